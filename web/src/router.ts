/** Hash routes (#/sessions/abc): the server serves one page at `/`, so every route is that page. */
import { useEffect, useState } from 'preact/hooks';

export type Route = { readonly page: string; readonly params: readonly string[] };

export function parseHash(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] ?? 'overview', params: parts.slice(1) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const on = (): void => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export const href = (page: string, ...params: string[]): string =>
  `#/${[page, ...params].map(encodeURIComponent).join('/')}`;
