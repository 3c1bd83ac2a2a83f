/**
 * Request guards: the Host check against DNS rebinding (a browser page on evil.example that
 * resolves to 127.0.0.1 still sends Host: evil.example) and the bearer token on /api/*.
 */
import type { MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';

export function hostCheck(allowedHostnames: ReadonlySet<string>): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header('host') ?? '';
    if (!allowedHostnames.has(hostnameOf(host))) {
      return c.json({ error: { code: 'host_not_allowed', message: 'Host header not allowed' } }, 403);
    }
    await next();
  };
}

/** "127.0.0.1:2180" → "127.0.0.1", "[::1]:2180" → "::1", "LocalHost" → "localhost". */
export function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') === -1 ? undefined : h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

export function allowedHostnames(bindHost: string, extra: readonly string[] = []): Set<string> {
  return new Set([
    ...extra.map((h) => hostnameOf(h)),
    'localhost',
    '127.0.0.1',
    '::1',
    hostnameOf(bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost),
  ]);
}

export function requireToken(token: string): MiddlewareHandler {
  return bearerAuth({
    token,
    noAuthenticationHeader: {
      message: {
        error: { code: 'unauthorized', message: 'missing bearer token; read it from api.token in the home' },
      },
    },
    invalidAuthenticationHeader: {
      message: {
        error: { code: 'unauthorized', message: 'malformed Authorization header; use: Bearer <token>' },
      },
    },
    invalidToken: { message: { error: { code: 'unauthorized', message: 'invalid token' } } },
  });
}
