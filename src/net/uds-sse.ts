/**
 * A Server-Sent Events reader over the daemon's Unix socket, for `session events -f` and `chat`.
 * Resolves when the server ends the stream or the signal aborts; reconnecting with the last id is
 * the caller's choice.
 */
// Not `import … from 'node:http'`: an ES import of a built-in reads every export, and node:http's
// WebSocket getters then load undici (~25 ms and ~14 MB), which a CLI command never uses.
const { request } = process.getBuiltinModule('node:http');
import { DaemonUnreachableError } from './uds-http.js';

export type SseEvent = { readonly id: string | undefined; readonly event: string; readonly data: string };

export function readSse(opts: {
  socketPath: string;
  path: string;
  token: string;
  lastEventId?: string;
  signal?: AbortSignal;
  onOpen?: () => void;
  onEvent: (e: SseEvent) => void;
}): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      host: 'localhost',
      accept: 'text/event-stream',
      authorization: `Bearer ${opts.token}`,
    };
    if (opts.lastEventId !== undefined) headers['last-event-id'] = opts.lastEventId;
    const req = request({ socketPath: opts.socketPath, path: opts.path, headers }, (res) => {
      if (res.statusCode !== 200) {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => reject(new Error(errorMessage(body, res.statusCode))));
        return;
      }
      opts.onOpen?.();
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let end = buf.indexOf('\n\n'); end !== -1; end = buf.indexOf('\n\n')) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          let id: string | undefined;
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('id:')) id = line.slice(3).trim();
            else if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (data.length > 0) opts.onEvent({ id, event, data: data.join('\n') });
        }
      });
      res.on('end', () => resolve());
      res.on('error', () => resolve());
    });
    opts.signal?.addEventListener('abort', () => {
      req.destroy();
      resolve();
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (opts.signal?.aborted) return resolve();
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED')
        return reject(new DaemonUnreachableError('daemon is not running'));
      reject(err);
    });
    req.end();
  });
}

function errorMessage(body: string, status: number | undefined): string {
  try {
    return (JSON.parse(body) as { error: { message: string } }).error.message;
  } catch {
    return `HTTP ${status}`;
  }
}
