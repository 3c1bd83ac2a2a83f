/**
 * JSON-RPC over the child's stdio as the SDK's `Stream`. We do not use the SDK's ndJsonStream
 * because it silently answers a non-JSON line with a parse error and carries on, while we must
 * classify garbage on stdout as a protocol failure (SPEC §6). Lines are bounded; writes respect
 * stdin backpressure and go through one queue.
 */
import type { Readable, Writable } from 'node:stream';
import type { AnyMessage, Stream } from '@agentclientprotocol/sdk';

export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

export type NdjsonOptions = {
  readonly maxLineBytes?: number; // DEFAULT_MAX_LINE_BYTES
  readonly onViolation: (why: string) => void;
  /** Bytes of each inbound line, for output accounting. */
  readonly onBytes?: (n: number) => void;
};

export function childStream(stdout: Readable, stdin: Writable, opts: NdjsonOptions): Stream {
  const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let buffered: Buffer[] = [];
  let bufferedBytes = 0;
  let violated = false;
  let done = false;
  // The SDK may cancel the readable when the connection closes; after that, every controller call
  // throws. `finish` makes ending idempotent.
  const finish = (controller: ReadableStreamDefaultController<AnyMessage>, err?: unknown): void => {
    if (done) return;
    done = true;
    try {
      if (err === undefined) controller.close();
      else controller.error(err);
    } catch {
      // already cancelled by the consumer
    }
  };
  const violate = (why: string, controller: ReadableStreamDefaultController<AnyMessage>): void => {
    if (violated) return;
    violated = true;
    opts.onViolation(why);
    finish(controller);
  };
  const readable = new ReadableStream<AnyMessage>({
    start(controller) {
      const onLine = (line: Buffer): void => {
        const text = line.toString('utf8').trim();
        if (text === '') return;
        opts.onBytes?.(line.length);
        let msg: unknown;
        try {
          msg = JSON.parse(text);
        } catch {
          return violate(
            `agent wrote a non-JSON line to stdout: ${JSON.stringify(text.slice(0, 80))}`,
            controller,
          );
        }
        if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
          return violate('agent wrote a JSON value that is not a JSON-RPC message', controller);
        }
        if (done) return;
        try {
          controller.enqueue(msg as AnyMessage);
        } catch {
          done = true; // consumer cancelled
        }
      };
      stdout.on('data', (chunk: Buffer) => {
        if (violated) return;
        let start = 0;
        for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
          const part = chunk.subarray(start, nl);
          // The bound holds however the line was chunked, also when its newline came with it.
          if (bufferedBytes + part.length > max)
            return violate(`agent wrote a line longer than ${max} bytes`, controller);
          const line = bufferedBytes === 0 ? part : Buffer.concat([...buffered, part]);
          buffered = [];
          bufferedBytes = 0;
          onLine(line);
          if (violated) return;
          start = nl + 1;
        }
        if (start < chunk.length) {
          buffered.push(chunk.subarray(start));
          bufferedBytes += chunk.length - start;
          if (bufferedBytes > max) violate(`agent wrote a line longer than ${max} bytes`, controller);
        }
      });
      // A last line without its newline is dropped, not a violation: it is what an agent we
      // stopped (timeout, memory, output cap) was cut off writing, and the agent is not to blame.
      stdout.once('end', () => finish(controller));
      stdout.once('error', (err) => finish(controller, err));
    },
    cancel() {
      done = true;
    },
  });
  const writable = new WritableStream<AnyMessage>({
    write(msg) {
      if (stdin.destroyed || stdin.writableEnded) return Promise.resolve();
      return new Promise<void>((resolve) => {
        if (stdin.write(`${JSON.stringify(msg)}\n`)) return resolve();
        const done = (): void => {
          stdin.off('drain', done);
          stdin.off('close', done);
          resolve();
        };
        stdin.once('drain', done);
        stdin.once('close', done);
      });
    },
    close() {
      stdin.end();
    },
  });
  return { readable, writable };
}
