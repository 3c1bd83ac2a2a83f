/**
 * The daemon log as a live feed (the dashboard's Logs page, GET /api/logs): a bounded ring of the
 * newest lines, each numbered, plus watchers told of every new line. It is one more pino
 * destination, so it sees exactly what the file gets, after redaction. Seeded at boot from the tail
 * of the existing file, so the page shows the lines before this start too. Never reads the file
 * again and never polls: the file stays the record (`agentforge logs` reads it directly).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Lines kept in memory for replay; older ones are in the file. */
export const LOG_TAP_LINES = 2_000;
/** How much of the file's end is read at boot to seed the ring. */
export const LOG_TAP_SEED_BYTES = 256 * 1024;
/** A line longer than this keeps its level, time and message but not its fields. */
export const LOG_TAP_MAX_LINE = 16 * 1024;

export type LogLine = {
  readonly seq: number;
  readonly level: number;
  readonly time: string;
  readonly msg: string;
  readonly component: string | null;
  readonly group: string | null;
  readonly session: string | null;
  readonly fields: Readonly<Record<string, unknown>>;
};

type Rec = Record<string, unknown>;

export class LogTap {
  readonly #ring: LogLine[] = [];
  readonly #watchers = new Set<(line: LogLine) => void>();
  #seq = 0;

  constructor(private readonly capacity = LOG_TAP_LINES) {}

  /** pino's destination interface: one JSON line per call. */
  write(chunk: string): boolean {
    for (const text of chunk.split('\n')) if (text.trim() !== '') this.#add(text);
    return true;
  }

  /** Lines after `after`, oldest first, at most `limit`. */
  read(after: number, limit: number): LogLine[] {
    const start = this.#ring.findIndex((l) => l.seq > after);
    return start === -1 ? [] : this.#ring.slice(start, start + limit);
  }

  get lastSeq(): number {
    return this.#seq;
  }

  watch(fn: (line: LogLine) => void): () => void {
    this.#watchers.add(fn);
    return () => this.#watchers.delete(fn);
  }

  /** Reads the end of an existing log file into the ring (boot, before anything is logged). */
  seedFrom(file: string): void {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return; // first start: no file yet
    }
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, LOG_TAP_SEED_BYTES);
      const buf = Buffer.alloc(length);
      readSync(fd, buf, 0, length, size - length);
      const lines = buf.toString('utf8').split('\n');
      if (length < size) lines.shift(); // the first line is cut
      for (const l of lines.slice(-this.capacity)) if (l.trim() !== '') this.#add(l, false);
    } finally {
      closeSync(fd);
    }
  }

  #add(text: string, notify = true): void {
    let rec: Rec;
    try {
      rec = JSON.parse(text) as Rec;
    } catch {
      // A detached daemon's raw stdout/stderr lands in the same file.
      rec = { level: 30, msg: text.slice(0, LOG_TAP_MAX_LINE) };
    }
    const { level, time, msg, component, group, session, pid: _p, version: _v, sha: _s, ...rest } = rec;
    const line: LogLine = {
      seq: ++this.#seq,
      level: typeof level === 'number' ? level : 30,
      time: typeof time === 'string' ? time : new Date(typeof time === 'number' ? time : 0).toISOString(),
      msg: typeof msg === 'string' ? msg : '',
      component: typeof component === 'string' ? component : null,
      group: typeof group === 'string' ? group : null,
      session: typeof session === 'string' ? session : null,
      fields: text.length > LOG_TAP_MAX_LINE ? { truncated: true } : rest,
    };
    this.#ring.push(line);
    if (this.#ring.length > this.capacity) this.#ring.splice(0, this.#ring.length - this.capacity);
    if (notify) for (const fn of this.#watchers) fn(line);
  }
}
