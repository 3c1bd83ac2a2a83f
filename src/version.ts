/**
 * Version and git sha, embedded at build time by scripts/build-info.mjs into dist/build-info.json.
 * Running from source (tests) falls back to package.json and "unknown".
 */
import { readFileSync } from 'node:fs';

export type BuildInfo = {
  readonly version: string;
  readonly gitSha: string;
  readonly builtAt: string | null;
};

function readJson(url: URL): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function load(): BuildInfo {
  const built = readJson(new URL('./build-info.json', import.meta.url));
  if (built && typeof built['version'] === 'string' && typeof built['gitSha'] === 'string') {
    return {
      version: built['version'],
      gitSha: built['gitSha'],
      builtAt: typeof built['builtAt'] === 'string' ? built['builtAt'] : null,
    };
  }
  const pkg = readJson(new URL('../package.json', import.meta.url));
  return {
    version: typeof pkg?.['version'] === 'string' ? pkg['version'] : '0.0.0',
    gitSha: 'unknown',
    builtAt: null,
  };
}

export const BUILD: BuildInfo = Object.freeze(load());
