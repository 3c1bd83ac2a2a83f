import { describe, expect, it, vi } from 'vitest';
import { commandWord, main } from './main.js';

describe('the command word (which command module the CLI loads)', () => {
  it('is the first argument past the global -o/--output option', () => {
    expect(commandWord(['status'])).toBe('status');
    expect(commandWord(['-o', 'json', 'status'])).toBe('status');
    expect(commandWord(['--output', 'json', 'session', 'list'])).toBe('session');
    expect(commandWord(['--output=json', 'task', 'list'])).toBe('task');
    expect(commandWord(['-ojson', 'version'])).toBe('version');
  });

  it('is absent for help, the version flag or no command, so that every command is loaded', () => {
    expect(commandWord([])).toBeUndefined();
    expect(commandWord(['--help'])).toBeUndefined();
    expect(commandWord(['-V'])).toBeUndefined();
    expect(commandWord(['-o', 'json'])).toBeUndefined();
  });

  it('an unknown word (even an Object property name) is a usage error, not a crash', async () => {
    const quiet = vi.spyOn(process.stderr, 'write').mockImplementation(() => true); // commander's usage text
    try {
      expect(await main(['node', 'agentforge', 'constructor'])).toBe(2);
      expect(await main(['node', 'agentforge', 'statu'])).toBe(2);
    } finally {
      quiet.mockRestore();
    }
  });
});
