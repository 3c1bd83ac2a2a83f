/**
 * An OAuth2 provider on loopback for the XOAUTH2 tests: the token endpoint (refresh_token grant,
 * like Google's) and an RFC 7662 introspection endpoint that Dovecot's oauth2 passdb asks whether
 * a token is good. Access tokens expire after `ttlS` seconds.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class FakeOAuth {
  readonly refreshes: string[] = [];
  readonly introspections: string[] = [];
  #server: Server | undefined;
  readonly #tokens = new Map<string, number>();
  #n = 0;

  constructor(readonly opts: { refreshToken: string; clientId: string; username: string; ttlS: number }) {}

  get url(): string {
    return `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
  }

  valid(token: string): boolean {
    const exp = this.#tokens.get(token);
    return exp !== undefined && exp > Date.now();
  }

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const json = (status: number, v: unknown): void => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v));
        };
        if (req.url === '/token') {
          this.refreshes.push(form.get('refresh_token') ?? '');
          if (
            form.get('grant_type') !== 'refresh_token' ||
            form.get('refresh_token') !== this.opts.refreshToken ||
            form.get('client_id') !== this.opts.clientId
          )
            return json(400, { error: 'invalid_grant' });
          const token = `at-${++this.#n}-${Math.random().toString(36).slice(2)}`;
          this.#tokens.set(token, Date.now() + this.opts.ttlS * 1000);
          return json(200, { access_token: token, expires_in: this.opts.ttlS, token_type: 'Bearer' });
        }
        if (req.url?.startsWith('/introspect') === true) {
          const token = form.get('token') ?? '';
          this.introspections.push(token);
          return json(
            200,
            this.valid(token) ? { active: true, username: this.opts.username } : { active: false },
          );
        }
        json(404, { error: 'not_found' });
      });
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', () => r()));
  }

  stop(): Promise<void> {
    return new Promise((r) => this.#server?.close(() => r()) ?? r());
  }
}
