/**
 * Every call the page makes: same-origin /api with the session cookie, and the CSRF token (from
 * the page's meta tag) on anything that changes state. A 401 means the session ended: back to
 * the login page, which says how to get a new link.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const csrf = (): string => document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';

export function toLogin(): void {
  window.location.assign('/login');
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrf();
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (res.status === 401) {
    toLogin();
    throw new ApiError(401, 'unauthorized', 'your session ended; log in again');
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const err = (parsed as { error?: { code?: string; message?: string; kind?: string } } | undefined)?.error;
    const message = err?.kind
      ? `turn failed (${err.kind}): ${err.message ?? ''}`
      : (err?.message ?? `HTTP ${res.status}`);
    throw new ApiError(res.status, err?.code ?? 'http_error', message);
  }
  return parsed as T;
}

export const get = <T>(path: string): Promise<T> => api<T>('GET', path);
export const post = <T>(path: string, body?: unknown): Promise<T> => api<T>('POST', path, body ?? {});
export const del = <T>(path: string): Promise<T> => api<T>('DELETE', path);
export const enc = encodeURIComponent;
