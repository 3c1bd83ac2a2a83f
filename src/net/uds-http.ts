/**
 * A minimal HTTP/1.1 client over a Unix socket. Node's fetch cannot dial a socket path without
 * undici's dispatcher, and the CLI must start fast, so node:http with `socketPath` it is.
 */
// Not `import … from 'node:http'`: an ES import of a built-in reads every export, and node:http's
// WebSocket getters then load undici (~25 ms and ~14 MB), which a CLI command never uses.
const { request } = process.getBuiltinModule('node:http');

export type UdsRequest = {
  readonly socketPath: string;
  readonly method?: string;
  readonly path: string;
  readonly token?: string;
  readonly body?: unknown;
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
};

export type UdsResponse = { readonly status: number; readonly body: string; readonly json: () => unknown };

export class DaemonUnreachableError extends Error {
  override readonly name = 'DaemonUnreachableError';
}

export function udsRequest(req: UdsRequest): Promise<UdsResponse> {
  return new Promise((resolve, reject) => {
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    const headers: Record<string, string> = { host: 'localhost', ...req.headers };
    if (req.token !== undefined) headers['authorization'] = `Bearer ${req.token}`;
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const r = request(
      {
        socketPath: req.socketPath,
        method: req.method ?? 'GET',
        path: req.path,
        headers,
        timeout: req.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body, json: () => JSON.parse(body) as unknown });
        });
        res.on('error', reject);
      },
    );
    r.on('timeout', () =>
      r.destroy(
        new DaemonUnreachableError(`no answer on ${req.socketPath} within ${req.timeoutMs ?? 10_000} ms`),
      ),
    );
    r.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof DaemonUnreachableError) return reject(err);
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
        return reject(new DaemonUnreachableError(`daemon is not running (no listener on ${req.socketPath})`));
      }
      reject(err);
    });
    if (payload !== undefined) r.write(payload);
    r.end();
  });
}
