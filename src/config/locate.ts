/**
 * Maps a config key path (["channels", "telegram", "dm_policy"]) to the line that defines it, so
 * errors can say file:line. smol-toml (like every TOML parser we know of) returns values without
 * source positions, hence this small scanner. It understands table headers and `key =` lines,
 * including dotted and quoted keys; when the exact key is absent (a missing required key), it falls
 * back to the nearest enclosing table that is present.
 */

function splitKey(text: string): string[] {
  const parts: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/gy;
  for (let m = re.exec(text); m !== null && m[0] !== ''; m = re.exec(text)) {
    parts.push(m[1] ?? m[2] ?? m[3] ?? '');
    if (re.lastIndex >= text.length) break;
  }
  return parts;
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === path[i]);
}

export function locateKey(source: string, path: readonly (string | number)[]): number | undefined {
  const want = path.filter((p): p is string => typeof p === 'string');
  let table: string[] = [];
  let best: { line: number; depth: number } | undefined;
  const consider = (full: string[], line: number): void => {
    if (full.length === 0 || !startsWith(want, full)) return;
    if (best === undefined || full.length > best.depth) best = { line, depth: full.length };
  };
  const lines = source.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const header = /^\[\[?([^\]]+)\]\]?/.exec(line);
    if (header) {
      table = splitKey(header[1] ?? '');
      consider(table, i + 1);
      return;
    }
    const assign = /^((?:"[^"]*"|'[^']*'|[A-Za-z0-9_.\-\s])+?)\s*=/.exec(line);
    if (assign) consider([...table, ...splitKey(assign[1] ?? '')], i + 1);
  });
  return best?.line;
}
