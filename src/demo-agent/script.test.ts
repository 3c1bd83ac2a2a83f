import { describe, expect, it } from 'vitest';
import { parseCommand } from './script.js';

describe('parseCommand', () => {
  it('parses every scripted command', () => {
    expect(parseCommand('echo hi there')).toEqual({ kind: 'echo', text: 'hi there' });
    expect(parseCommand('stream 20')).toEqual({ kind: 'stream', chunks: 20 });
    expect(parseCommand('stream 3 250')).toEqual({ kind: 'stream', chunks: 3, pauseMs: 250 });
    expect(parseCommand('read notes.txt')).toEqual({ kind: 'read', path: 'notes.txt' });
    expect(parseCommand('write notes.txt hello world')).toEqual({
      kind: 'write',
      path: 'notes.txt',
      text: 'hello world',
    });
    expect(parseCommand('sleep 800')).toEqual({ kind: 'sleep', ms: 800 });
    expect(parseCommand('slowread 3000')).toEqual({ kind: 'slowread', ms: 3000 });
    expect(parseCommand('slowread')).toEqual({ kind: 'slowread', ms: 5000 });
    expect(parseCommand('hang')).toEqual({ kind: 'hang' });
    expect(parseCommand('crash')).toEqual({ kind: 'crash' });
    expect(parseCommand('memory 400')).toEqual({ kind: 'memory', mb: 400 });
    expect(parseCommand('garbage')).toEqual({ kind: 'garbage' });
    expect(parseCommand('cat /home/x/.ssh/id_rsa')).toEqual({ kind: 'cat', path: '/home/x/.ssh/id_rsa' });
    expect(parseCommand('ls')).toEqual({ kind: 'ls', path: '.' });
    expect(parseCommand('put a.txt hello there')).toEqual({
      kind: 'put',
      path: 'a.txt',
      text: 'hello there',
    });
    expect(parseCommand('spawn-setsid')).toEqual({ kind: 'spawnSetsid' });
    expect(parseCommand('env DEMO_TOKEN')).toEqual({ kind: 'env', name: 'DEMO_TOKEN' });
    expect(parseCommand('stderr key=$DEMO_TOKEN end')).toEqual({
      kind: 'stderr',
      text: 'key=$DEMO_TOKEN end',
    });
    expect(parseCommand('flood 4096')).toEqual({ kind: 'flood', bytes: 4096 });
  });

  it('reads the tool kind of ask when it is one, else asks to edit with the whole text as title', () => {
    expect(parseCommand('ask read x')).toEqual({ kind: 'ask', toolKind: 'read', title: 'x' });
    expect(parseCommand('ask execute make install')).toEqual({
      kind: 'ask',
      toolKind: 'execute',
      title: 'make install',
    });
    expect(parseCommand('ask search')).toEqual({
      kind: 'ask',
      toolKind: 'search',
      title: 'search something',
    });
    expect(parseCommand('ask rename the file')).toEqual({
      kind: 'ask',
      toolKind: 'edit',
      title: 'rename the file',
    });
    expect(parseCommand('ask')).toEqual({ kind: 'ask', toolKind: 'edit', title: 'edit a file' });
  });

  it('is case-insensitive in the command word and tolerant of surrounding space', () => {
    expect(parseCommand('  ECHO  spaced   out ')).toEqual({ kind: 'echo', text: 'spaced   out' });
    expect(parseCommand('Sleep 5')).toEqual({ kind: 'sleep', ms: 5 });
  });

  it('falls back to defaults for missing or bad numbers and caps stream', () => {
    expect(parseCommand('sleep')).toEqual({ kind: 'sleep', ms: 1000 });
    expect(parseCommand('sleep soon')).toEqual({ kind: 'sleep', ms: 1000 });
    expect(parseCommand('sleep -5')).toEqual({ kind: 'sleep', ms: 1000 });
    expect(parseCommand('stream')).toEqual({ kind: 'stream', chunks: 5 });
    expect(parseCommand('stream 999999999')).toEqual({ kind: 'stream', chunks: 100_000 });
    expect(parseCommand('memory')).toEqual({ kind: 'memory', mb: 512 });
    expect(parseCommand('flood')).toEqual({ kind: 'flood', bytes: 1_000_000 });
    expect(parseCommand('read')).toEqual({ kind: 'read', path: '' });
    expect(parseCommand('env')).toEqual({ kind: 'env', name: '' });
  });

  it('parses tool calls with JSON arguments and reports arguments that are not JSON', () => {
    expect(parseCommand('tool send_message {"text": "hi there"}')).toEqual({
      kind: 'tool',
      name: 'send_message',
      args: { text: 'hi there' },
    });
    expect(parseCommand('tool list_tasks')).toEqual({ kind: 'tool', name: 'list_tasks', args: {} });
    expect(parseCommand('tool x {oops')).toMatchObject({
      kind: 'tool',
      name: 'x',
      error: expect.stringContaining('not JSON'),
    });
  });

  it('treats anything else as chat', () => {
    expect(parseCommand('hello, agent')).toEqual({ kind: 'chat', text: 'hello, agent' });
    expect(parseCommand('')).toEqual({ kind: 'chat', text: '' });
    expect(parseCommand('echoes of the past')).toEqual({ kind: 'chat', text: 'echoes of the past' });
  });

  it('reads usage reports, also beside a trigger word, and says what is wrong with a bad one', () => {
    expect(parseCommand('usage {"cost":0.5,"input":100}')).toEqual({
      kind: 'usage',
      report: { cost: 0.5, input: 100 },
    });
    expect(parseCommand('usage @Andy {"cost":1}')).toEqual({ kind: 'usage', report: { cost: 1 } });
    expect(parseCommand('usage [1]')).toMatchObject({
      kind: 'usage',
      error: 'usage takes a JSON object, got: [1]',
    });
  });
});
