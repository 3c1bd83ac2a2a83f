/**
 * OAuth2 for XOAUTH2: an access token from a refresh token, cached and refreshed a minute before
 * it expires. The refresh token and client secret are references resolved at start; neither the
 * tokens nor the secret are ever logged or put in an error text.
 */
export type OAuthOptions = {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly refreshToken: string;
  readonly now?: () => number;
};

const REFRESH_EARLY_MS = 60_000;
const TOKEN_TIMEOUT_MS = 15_000;

export function oauthTokens(opts: OAuthOptions): () => Promise<string> {
  const now = opts.now ?? Date.now;
  let cached: { token: string; expiresAt: number } | undefined;
  let inFlight: Promise<string> | undefined;
  const refresh = async (): Promise<string> => {
    const body = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: opts.refreshToken,
      client_id: opts.clientId,
      ...(opts.clientSecret === undefined ? {} : { client_secret: opts.clientSecret }),
    });
    let res: Response;
    try {
      res = await fetch(opts.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
      });
    } catch (err) {
      throw new Error(`OAuth token endpoint unreachable: ${(err as Error).message}`, { cause: err });
    }
    const json = (await res.json().catch(() => ({}))) as {
      access_token?: unknown;
      expires_in?: unknown;
      error?: unknown;
    };
    if (!res.ok || typeof json.access_token !== 'string')
      throw new Error(
        `OAuth token refresh failed (HTTP ${res.status}${typeof json.error === 'string' ? `, ${json.error}` : ''}); check refresh_token and client_id`,
      );
    const ttl = typeof json.expires_in === 'number' ? json.expires_in * 1000 : 3_600_000;
    cached = { token: json.access_token, expiresAt: now() + ttl };
    return json.access_token;
  };
  return async () => {
    if (cached !== undefined && now() < cached.expiresAt - REFRESH_EARLY_MS) return cached.token;
    inFlight ??= refresh().finally(() => (inFlight = undefined));
    return inFlight;
  };
}
