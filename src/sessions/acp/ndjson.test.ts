import { PassThrough, Writable } from 'node:stream';
import type { AnyMessage } from '@agentclientprotocol/sdk';
import { describe, expect, it } from 'vitest';
import { childStream, DEFAULT_MAX_LINE_BYTES } from './ndjson.js';

/** The agent's side of the pipes: what it writes to stdout, and everything it read on stdin. */
function pipes(maxLineBytes?: number) {
  const stdout = new PassThrough();
  const written: string[] = [];
  const stdin = new Writable({
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk.toString('utf8'));
      cb();
    },
  });
  const violations: string[] = [];
  const bytes: number[] = [];
  const stream = childStream(stdout, stdin, {
    ...(maxLineBytes === undefined ? {} : { maxLineBytes }),
    onViolation: (why) => violations.push(why),
    onBytes: (n) => bytes.push(n),
  });
  return { stdout, stdin, written, violations, bytes, stream };
}

/** Everything the readable yields until it closes. */
async function readAll(readable: ReadableStream<AnyMessage>): Promise<AnyMessage[]> {
  const out: AnyMessage[] = [];
  const reader = readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

const msg = (id: number): AnyMessage => ({ jsonrpc: '2.0', id, method: 'session/update', params: { n: id } });
const line = (m: unknown): string => `${JSON.stringify(m)}\n`;

describe('childStream: reading ndjson from the agent', () => {
  it('joins a message split over several chunks, even inside a multi-byte character', async () => {
    const { stdout, stream, violations } = pipes();
    const m = { jsonrpc: '2.0', id: 1, result: { text: 'grüße 🙂' } };
    const bytes = Buffer.from(line(m));
    const emoji = bytes.indexOf(Buffer.from('🙂'));
    for (const cut of [
      [0, 5],
      [5, emoji + 2],
      [emoji + 2, bytes.length],
    ] as const)
      stdout.write(bytes.subarray(cut[0], cut[1]));
    stdout.end();
    expect(await readAll(stream.readable)).toEqual([m]);
    expect(violations).toEqual([]);
  });

  it('yields every message of a chunk that holds several, in order, and the start of the next', async () => {
    const { stdout, stream, bytes } = pipes();
    const tail = line(msg(4));
    stdout.write(line(msg(1)) + line(msg(2)) + line(msg(3)) + tail.slice(0, 7));
    stdout.write(tail.slice(7));
    stdout.end();
    expect(await readAll(stream.readable)).toEqual([msg(1), msg(2), msg(3), msg(4)]);
    expect(bytes).toEqual([1, 2, 3, 4].map((i) => Buffer.byteLength(JSON.stringify(msg(i)))));
  });

  it('skips blank lines and accepts CRLF line ends', async () => {
    const { stdout, stream, violations } = pipes();
    stdout.write(`\n  \n${JSON.stringify(msg(1))}\r\n\r\n${line(msg(2))}`);
    stdout.end();
    expect(await readAll(stream.readable)).toEqual([msg(1), msg(2)]);
    expect(violations).toEqual([]);
  });

  it('a non-JSON line is a protocol violation: reported once, quoted, and the stream ends there', async () => {
    const { stdout, stream, violations } = pipes();
    stdout.write(`${line(msg(1))}Loading model…\n${line(msg(2))}`);
    stdout.write('more garbage\n');
    stdout.end();
    expect(await readAll(stream.readable)).toEqual([msg(1)]);
    expect(violations).toEqual(['agent wrote a non-JSON line to stdout: "Loading model…"']);
  });

  it('quotes at most 80 characters of a non-JSON line', async () => {
    const { stdout, stream, violations } = pipes();
    stdout.write(`${'x'.repeat(500)}\n`);
    stdout.end();
    await readAll(stream.readable);
    expect(violations).toEqual([`agent wrote a non-JSON line to stdout: "${'x'.repeat(80)}"`]);
  });

  it.each([
    ['a number', '42'],
    ['null', 'null'],
    ['a string', '"hello"'],
    ['a batch (array)', '[{"jsonrpc":"2.0","id":1,"result":{}}]'],
  ])('JSON that is not a JSON-RPC message (%s) is a violation', async (_what, text) => {
    const { stdout, stream, violations } = pipes();
    stdout.write(`${text}\n${line(msg(2))}`);
    stdout.end();
    expect(await readAll(stream.readable)).toEqual([]);
    expect(violations).toEqual(['agent wrote a JSON value that is not a JSON-RPC message']);
  });

  it('a line longer than the limit is a violation, whether or not its end arrived with it', async () => {
    const max = 1_000;
    const long = line({ jsonrpc: '2.0', id: 1, result: { pad: 'p'.repeat(max) } });
    // All of it in one chunk, newline included.
    const whole = pipes(max);
    whole.stdout.write(long);
    whole.stdout.end();
    expect(await readAll(whole.stream.readable)).toEqual([]);
    expect(whole.violations).toEqual([`agent wrote a line longer than ${max} bytes`]);
    // Dribbled in small chunks without a newline: refused before the end arrives.
    const dribbled = pipes(max);
    for (let i = 0; i < long.length - 1; i += 100)
      dribbled.stdout.write(long.slice(i, Math.min(i + 100, long.length - 1)));
    expect(dribbled.violations).toEqual([`agent wrote a line longer than ${max} bytes`]);
    dribbled.stdout.end();
    expect(await readAll(dribbled.stream.readable)).toEqual([]);
  });

  it('a line of exactly the limit is accepted', async () => {
    const base = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { pad: '' } });
    const max = 200;
    const exact = { jsonrpc: '2.0', id: 1, result: { pad: 'p'.repeat(max - base.length) } };
    expect(Buffer.byteLength(JSON.stringify(exact))).toBe(max);
    const { stdout, stream, violations } = pipes(max);
    stdout.write(line(exact));
    stdout.end();
    expect(await readAll(stream.readable)).toEqual([exact]);
    expect(violations).toEqual([]);
  });

  it('the default limit is 16 MiB', () => {
    expect(DEFAULT_MAX_LINE_BYTES).toBe(16 * 1024 * 1024);
  });

  it('bytes after the last newline at EOF are dropped without a violation (an agent cut off mid-write)', async () => {
    const { stdout, stream, violations } = pipes();
    stdout.write(line(msg(1)) + '{"jsonrpc":"2.0","id":2,"res');
    stdout.end();
    expect(await readAll(stream.readable)).toEqual([msg(1)]);
    expect(violations).toEqual([]);
  });

  it('an error on stdout errors the stream', async () => {
    const { stdout, stream } = pipes();
    stdout.write(line(msg(1)));
    const reader = stream.readable.getReader();
    expect((await reader.read()).value).toEqual(msg(1));
    stdout.destroy(new Error('EPIPE'));
    await expect(reader.read()).rejects.toThrow('EPIPE');
  });

  it('a consumer that cancels stops the stream without errors from later output', async () => {
    const { stdout, stream, violations } = pipes();
    await stream.readable.cancel();
    stdout.write(line(msg(1)));
    stdout.write('garbage after cancel\n');
    stdout.end();
    await new Promise((r) => setImmediate(r));
    // The garbage is still reported (the agent did write it), and nothing throws.
    expect(violations).toEqual(['agent wrote a non-JSON line to stdout: "garbage after cancel"']);
  });
});

describe('childStream: writing ndjson to the agent', () => {
  it('writes each message as one JSON line, in order', async () => {
    const { stream, written } = pipes();
    const writer = stream.writable.getWriter();
    await Promise.all([writer.write(msg(1)), writer.write(msg(2)), writer.write(msg(3))]);
    expect(written).toEqual([line(msg(1)), line(msg(2)), line(msg(3))]);
  });

  it('waits for stdin to drain before the next write (backpressure), keeping order', async () => {
    const stdout = new PassThrough();
    const written: string[] = [];
    let release: (() => void) | undefined;
    // A slow agent: stdin accepts one small line, then holds each write until released.
    const stdin = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _enc, cb) {
        written.push(chunk.toString('utf8'));
        release = () => cb();
      },
    });
    const { writable } = childStream(stdout, stdin, { onViolation: () => undefined });
    const writer = writable.getWriter();
    let firstDone = false;
    const first = writer.write(msg(1)).then(() => (firstDone = true));
    const second = writer.write(msg(2));
    await new Promise((r) => setImmediate(r));
    expect(written).toEqual([line(msg(1))]);
    expect(firstDone).toBe(false); // over the high-water mark: the write waits for 'drain'
    release?.();
    await first;
    await new Promise((r) => setImmediate(r));
    expect(written).toEqual([line(msg(1)), line(msg(2))]);
    release?.();
    await second;
  });

  it('a write after stdin has ended resolves without writing or throwing; close ends stdin', async () => {
    const { stream, stdin, written } = pipes();
    const writer = stream.writable.getWriter();
    await writer.write(msg(1));
    await writer.close();
    expect(stdin.writableEnded).toBe(true);
    const again = childStream(new PassThrough(), stdin, {
      onViolation: () => undefined,
    }).writable.getWriter();
    await again.write(msg(2));
    expect(written).toEqual([line(msg(1))]);
  });

  it('a write that is pending when stdin closes resolves (the agent went away)', async () => {
    const stdout = new PassThrough();
    const stdin = new Writable({ highWaterMark: 1, write: () => undefined }); // never drains
    const writer = childStream(stdout, stdin, { onViolation: () => undefined }).writable.getWriter();
    const pending = writer.write(msg(1));
    stdin.destroy();
    await expect(pending).resolves.toBeUndefined();
  });
});
