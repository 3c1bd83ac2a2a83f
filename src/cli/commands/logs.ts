/** `agentforge logs`: reads the daemon's JSON log file directly, so it works with the daemon down. */
import type { Command } from 'commander';
import { closeSync, openSync, readSync, statSync, unwatchFile, watchFile } from 'node:fs';
import { parseDuration } from '../../config/duration.js';
import type { Ctx } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const NAMES = Object.fromEntries(Object.entries(LEVELS).map(([k, v]) => [v, k.toUpperCase()]));

type Filter = { minLevel: number; since: number | undefined; session?: string; group?: string };
type Opts = { follow?: boolean; level?: string; since?: string; session?: string; group?: string };

export function registerLogs(program: Command, ctx: () => Ctx): void {
  program
    .command('logs')
    .description('show the daemon log (JSON lines in logs/agentforge.log)')
    .option('-f, --follow', 'keep printing new lines')
    .option('--level <level>', 'minimum level: trace, debug, info, warn, error, fatal')
    .option('--since <duration>', 'only lines newer than this, e.g. 1h')
    .option('--session <id>', 'only lines about this session')
    .option('--group <folder>', 'only lines about this group')
    .action(async (opts: Opts) => {
      const c = ctx();
      const filter = toFilter(opts);
      const file = c.paths().logFile;
      const emit = (line: string): void => {
        const out = render(line, filter, c.out.format === 'json');
        if (out !== undefined) c.out.line(out);
      };
      let pos = 0;
      const readNew = (): void => {
        let size: number;
        try {
          size = statSync(file).size;
        } catch {
          return;
        }
        if (size < pos) pos = 0; // rotated: start over on the new file
        if (size === pos) return;
        const fd = openSync(file, 'r');
        try {
          const buf = Buffer.alloc(size - pos);
          readSync(fd, buf, 0, buf.length, pos);
          const text = buf.toString('utf8');
          const end = text.lastIndexOf('\n');
          if (end === -1) return;
          pos += Buffer.byteLength(text.slice(0, end + 1));
          for (const line of text.slice(0, end).split('\n')) if (line !== '') emit(line);
        } finally {
          closeSync(fd);
        }
      };
      readNew();
      if (!opts.follow) return c.exit(EXIT.ok);
      // A CLI follower may poll; the daemon never does.
      watchFile(file, { interval: 300 }, readNew);
      await new Promise<void>((resolve) => process.once('SIGINT', resolve));
      unwatchFile(file);
      return c.exit(EXIT.ok);
    });
}

function toFilter(opts: Opts): Filter {
  const level = opts.level?.toLowerCase();
  if (level !== undefined && LEVELS[level] === undefined) {
    throw new CliError(
      `--level: expected one of ${Object.keys(LEVELS).join(', ')}, got "${opts.level}"`,
      EXIT.usage,
    );
  }
  let since: number | undefined;
  if (opts.since !== undefined) {
    const ms = parseDuration(opts.since);
    if (ms === undefined)
      throw new CliError(`--since: expected a duration like "1h" or "30m", got "${opts.since}"`, EXIT.usage);
    since = Date.now() - ms;
  }
  return {
    minLevel: level === undefined ? 0 : (LEVELS[level] ?? 0),
    since,
    session: opts.session,
    group: opts.group,
  };
}

type Rec = {
  level?: number;
  time?: string | number;
  msg?: string;
  component?: string;
  session?: string;
  group?: string;
} & Record<string, unknown>;

function render(line: string, f: Filter, json: boolean): string | undefined {
  let rec: Rec;
  try {
    rec = JSON.parse(line) as Rec;
  } catch {
    // Raw stdout/stderr of a detached daemon: show it unless filters ask for structure.
    return f.minLevel > 30 || f.session || f.group || f.since ? undefined : line;
  }
  if ((rec.level ?? 30) < f.minLevel) return undefined;
  if (f.since !== undefined && new Date(rec.time ?? 0).getTime() < f.since) return undefined;
  if (f.session !== undefined && rec.session !== f.session) return undefined;
  if (f.group !== undefined && rec.group !== f.group) return undefined;
  if (json) return line;
  const { level, time, msg, component, pid: _pid, version: _v, sha: _s, ...rest } = rec;
  const t = typeof time === 'string' ? time.slice(11, 23) : '';
  const extra = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${t} ${(NAMES[level ?? 30] ?? 'INFO').padEnd(5)} ${component ?? '-'}: ${msg ?? ''}${extra ? ` ${extra}` : ''}`;
}
