/**
 * The one pino root logger of the daemon. JSON lines to the rotated log file; a pretty copy on
 * stdout only when stdout is a TTY (pino-pretty is a dev dependency, so it is optional at run time).
 * Every line carries version and git sha. Known secret-bearing fields are redacted.
 */
import { pino, type Logger, type DestinationStream, type StreamEntry } from 'pino';
import { once } from 'node:events';
import { BUILD } from '../version.js';
import { openLogFile, type LogFileOptions } from './log-files.js';
import { LogTap } from './log-tap.js';

export type { Logger };

export const REDACT_PATHS = [
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'credentials',
  '*.credentials',
  'apiKey',
  '*.apiKey',
];

export type RootLogger = {
  readonly log: Logger;
  /** The same lines as the file, live (the dashboard's Logs page). */
  readonly tap: LogTap;
  readonly close: () => Promise<void>;
};

export type RootLoggerOptions = LogFileOptions & {
  readonly level: string;
  readonly prettyToStdout: boolean;
};

export async function createRootLogger(opts: RootLoggerOptions): Promise<RootLogger> {
  const tap = new LogTap();
  tap.seedFrom(opts.file);
  const file = openLogFile(opts);
  const streams: StreamEntry[] = [
    { stream: file, level: opts.level as pino.Level },
    { stream: tap, level: opts.level as pino.Level },
  ];
  if (opts.prettyToStdout) {
    const pretty = await loadPretty();
    streams.push({ stream: pretty ?? process.stdout, level: opts.level as pino.Level });
  }
  const log = pino(
    {
      level: opts.level,
      base: { pid: process.pid, version: BUILD.version, sha: BUILD.gitSha },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.multistream(streams),
  );
  const close = async (): Promise<void> => {
    log.flush();
    const finished = once(file, 'finish');
    file.end();
    await finished;
  };
  return { log, tap, close };
}

async function loadPretty(): Promise<DestinationStream | undefined> {
  try {
    const mod = (await import('pino-pretty')) as unknown as { default: (o: object) => DestinationStream };
    return mod.default({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,version,sha' });
  } catch {
    return undefined; // production install without dev dependencies: plain JSON on the TTY
  }
}
