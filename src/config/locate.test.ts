import { describe, expect, it } from 'vitest';
import { locateKey } from './locate.js';

const SOURCE = [
  '# AgentForge config', // 1
  '[http]', // 2
  'port = 0  # trailing comment', // 3
  '', // 4
  '[ channels . telegram ]', // 5
  '# dm_policy = "pairing"', // 6
  'dm_policy = "open"', // 7
  'bot_pool = [', // 8
  '  "env:A",', // 9
  ']', // 10
  '[agents."my agent"]', // 11
  'credentials = { KEY = "env:K" }', // 12
  '[log]', // 13
  'port = 1', // 14
].join('\n');

describe('locateKey maps a key path to the line that defines it', () => {
  it('finds a key inside its table, skipping comments', () => {
    expect(locateKey(SOURCE, ['channels', 'telegram', 'dm_policy'])).toBe(7);
    expect(locateKey(SOURCE, ['http', 'port'])).toBe(3);
  });

  it('tells apart the same key name in different tables', () => {
    expect(locateKey(SOURCE, ['log', 'port'])).toBe(14);
  });

  it('understands quoted keys and keys inside inline tables', () => {
    expect(locateKey(SOURCE, ['agents', 'my agent', 'credentials', 'KEY'])).toBe(12);
  });

  it('points array elements at the array key', () => {
    expect(locateKey(SOURCE, ['channels', 'telegram', 'bot_pool', '0'])).toBe(8);
    expect(locateKey(SOURCE, ['channels', 'telegram', 'bot_pool', 0])).toBe(8);
  });

  it('falls back to the enclosing table for a missing key, and to nothing without one', () => {
    expect(locateKey(SOURCE, ['channels', 'telegram', 'token'])).toBe(5);
    expect(locateKey(SOURCE, ['scheduler', 'timezone'])).toBeUndefined();
  });

  it('understands dotted keys at the top level and CRLF line endings', () => {
    expect(locateKey('a = 1\ndaemon.shutdown_timeout = "x"\n', ['daemon', 'shutdown_timeout'])).toBe(2);
    expect(locateKey('a = 1\r\n[b]\r\nc = 2\r\n', ['b', 'c'])).toBe(3);
  });
});
