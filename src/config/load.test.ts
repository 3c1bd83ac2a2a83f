import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { isLoopbackHost, parseConfig } from './load.js';

const HOME = '/srv/agentforge-home';
const FILE = join(HOME, 'config.toml');
const parse = (toml: string): ReturnType<typeof parseConfig> => parseConfig(toml, FILE, HOME);

function issuesOf(toml: string): Array<{ path: string; line: number | undefined; message: string }> {
  try {
    parse(toml);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map(({ path, line, message }) => ({ path, line, message }));
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('refuses a duration longer than a timer can hold, naming the key and line', () => {
    // Node would fire such a timer after 1 ms: every turn would time out at once.
    expect(issuesOf('[limits]\nturn_timeout = "99999999999d"\n')).toEqual([
      {
        path: 'limits.turn_timeout',
        line: 2,
        message: expect.stringMatching(/longer than a timer can hold.*"24d"/),
      },
    ]);
    expect(issuesOf('[channels.telegram]\npoll_timeout = "20d"\nstall_threshold = "10d"\n')).toEqual([
      {
        path: 'channels.telegram.poll_timeout',
        line: 2,
        message: expect.stringMatching(/together with stall_threshold/),
      },
    ]);
    expect(parse('[limits]\nturn_timeout = "24d"\n').limits.turn_timeout).toBe(24 * 86_400_000);
    // A window is not a timer: a long catch-up window is fine.
    expect(parse('[scheduler]\ncatch_up_window = "60d"\n').scheduler.catch_up_window).toBe(60 * 86_400_000);
  });

  it('fills every section with its documented default from an empty file', () => {
    const c = parse('');
    expect(c.http).toMatchObject({ host: '127.0.0.1', port: 2180, allow_remote: false });
    expect(c.daemon.shutdown_timeout).toBe(30_000);
    expect(c.log).toMatchObject({
      level: 'info',
      max_size_mb: 10,
      max_backups: 5,
      max_age_days: 30,
      compress_backups: false,
    });
    expect(c.limits).toMatchObject({
      max_concurrent_agents: 5,
      turn_timeout: 15 * 60_000,
      idle_timeout: 30 * 60_000,
    });
    expect(c.retention).toMatchObject({ messages_days: 90, events_days: 30, run_logs_days: 14 });
    expect(c.backup).toMatchObject({ schedule: '0 3 * * *', keep: 7 });
    expect(c.channels.telegram).toMatchObject({ enabled: false, dm_policy: 'pairing', allowed_users: [] });
    expect(c.scheduler.missed_runs).toBe('run-once');
    expect(c.metrics.enabled).toBe(false);
    expect(c.agents).toEqual({});
    expect(c.file).toBe(FILE);
    expect(c.paths).toMatchObject({
      socket: join(HOME, 'daemon.sock'),
      lock: join(HOME, 'daemon.lock'),
      state: join(HOME, 'daemon.json'),
      db: join(HOME, 'agentforge.db'),
    });
  });

  it('parses durations to milliseconds and takes relative paths from the home, never the cwd', () => {
    const c = parse(
      '[daemon]\nshutdown_timeout = "1h30m"\nsocket = "run/d.sock"\nlock_file = "/tmp/x.lock"\n',
    );
    expect(c.daemon.shutdown_timeout).toBe(90 * 60_000);
    expect(c.paths.socket).toBe(join(HOME, 'run/d.sock'));
    expect(c.paths.lock).toBe('/tmp/x.lock');
  });

  it('returns a deeply frozen object', () => {
    const c = parse('[http]\nport = 0\n');
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.http)).toBe(true);
    expect(Object.isFrozen(c.paths)).toBe(true);
    expect(Object.isFrozen(c.channels.telegram.allowed_users)).toBe(true);
    expect(() => {
      (c.http as { port: number }).port = 80;
    }).toThrow(TypeError);
    expect(c.http.port).toBe(0);
  });

  it('refuses a non-loopback host unless allow_remote = true', () => {
    expect(issuesOf('[http]\nport = 0\nhost = "0.0.0.0"\n')).toEqual([
      { path: 'http.host', line: 3, message: expect.stringContaining('allow_remote') },
    ]);
    expect(issuesOf('[http]\nhost = "192.168.1.10"\n')[0]?.path).toBe('http.host');
    expect(parse('[http]\nhost = "0.0.0.0"\nallow_remote = true\n').http.host).toBe('0.0.0.0');
    expect(parse('[http]\nhost = "::1"\n').http.host).toBe('::1');
  });

  it('reports every problem at once with its line and key path', () => {
    const issues = issuesOf('[daemon]\nshutdown_timeout = "soon"\n\n[log]\nlevel = "loud"\nmax_sizemb = 3\n');
    expect(issues.map((i) => `${i.path}@${i.line}`).sort()).toEqual([
      'daemon.shutdown_timeout@2',
      'log.level@5',
      'log.max_sizemb@6',
    ]);
  });

  it('reports a TOML syntax error with its line', () => {
    expect(issuesOf('[http]\nport = 0\nhost = \n')).toEqual([
      { path: '', line: 3, message: expect.stringContaining('not valid TOML') },
    ]);
  });
});

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.0.0.53', '::1', '[::1]', 'localhost'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });
  it.each(['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', 'localhost.evil.example', ''])(
    '%s is not loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );
});
