/**
 * Serves the Hono app on the Unix socket (0600, stale file unlinked, path length checked) and, when
 * `[http] port` is not 0, on TCP. Binding comes first and the app second, so the app can be built
 * knowing the port it is served on; until then a request is answered 503 "starting".
 * Closing stops accepting and waits for in-flight requests.
 */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import { MAX_SOCKET_PATH_BYTES } from '../config/paths.js';

export type Listeners = {
  readonly socketPath: string;
  readonly tcp: { readonly host: string; readonly port: number } | null;
  /** Stop intake: no new connections; requests in flight (a prompt waiting for its turn) go on. */
  readonly stopAccepting: () => void;
  /** Ends every connection (SSE streams included) and removes the socket. */
  readonly close: () => Promise<void>;
};

export type BoundListeners = Listeners & {
  /** Starts answering requests with the app. */
  readonly serve: (app: Hono) => void;
};

export class ListenError extends Error {
  override readonly name = 'ListenError';
}

export async function serveApi(
  app: Hono,
  opts: { socketPath: string; host: string; port: number },
): Promise<Listeners> {
  const bound = await bindApi(opts);
  bound.serve(app);
  return bound;
}

export async function bindApi(opts: {
  socketPath: string;
  host: string;
  port: number;
}): Promise<BoundListeners> {
  if (Buffer.byteLength(opts.socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new ListenError(
      `socket path ${opts.socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes; set [daemon] socket to a shorter path`,
    );
  }
  let handle: ReturnType<typeof getRequestListener> | undefined;
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (handle !== undefined) {
      void handle(req, res);
      return;
    }
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
    res.end(JSON.stringify({ error: { code: 'starting', message: 'the daemon is starting; try again' } }));
  };
  const servers: Server[] = [];
  // The caller holds the single-instance lock, so an existing socket file is stale (kill -9).
  if (existsSync(opts.socketPath)) unlinkSync(opts.socketPath);
  const uds = createServer(listener);
  await listen(uds, () => uds.listen(opts.socketPath), `socket ${opts.socketPath}`);
  chmodSync(opts.socketPath, 0o600);
  servers.push(uds);

  let tcp: Listeners['tcp'] = null;
  if (opts.port !== 0) {
    const server = createServer(listener);
    try {
      await listen(server, () => server.listen(opts.port, opts.host), `${opts.host}:${opts.port}`);
    } catch (err) {
      await closeServer(uds);
      throw err;
    }
    const addr = server.address();
    tcp = { host: opts.host, port: typeof addr === 'object' && addr !== null ? addr.port : opts.port };
    servers.push(server);
  }
  return {
    socketPath: opts.socketPath,
    tcp,
    serve: (app) => {
      handle = getRequestListener(app.fetch);
    },
    stopAccepting: () => {
      for (const s of servers) s.close();
    },
    close: async () => {
      await Promise.all(servers.map(closeServer));
      try {
        unlinkSync(opts.socketPath);
      } catch {
        // already gone
      }
    },
  };
}

function listen(server: Server, start: () => void, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const hint =
        err.code === 'EADDRINUSE' ? '; another process uses it: change [http] port or stop that process' : '';
      reject(new ListenError(`cannot listen on ${what}: ${err.code ?? err.message}${hint}`));
    };
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve();
    });
    start();
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      server.closeAllConnections();
      resolve();
      return;
    }
    server.close(() => resolve());
    // Keep-alive sockets and open event streams would hold close() open indefinitely.
    server.closeAllConnections();
  });
}
