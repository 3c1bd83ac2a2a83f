/**
 * Version and git sha, embedded at build time by scripts/build-info.mjs into dist/build-info.json.
 * Without a build (dist/build-info.json missing) it falls back to package.json and "unknown".
 */
import { readFileSync } from 'node:fs';
import { BUILD_INFO, PACKAGE_JSON } from './install-paths.js';

export type BuildInfo = {
  readonly version: string;
  readonly gitSha: string;
  readonly builtAt: string | null;
};

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function load(): BuildInfo {
  const built = readJson(BUILD_INFO);
  if (built && typeof built['version'] === 'string' && typeof built['gitSha'] === 'string') {
    return {
      version: built['version'],
      gitSha: built['gitSha'],
      builtAt: typeof built['builtAt'] === 'string' ? built['builtAt'] : null,
    };
  }
  const pkg = readJson(PACKAGE_JSON);
  return {
    version: typeof pkg?.['version'] === 'string' ? pkg['version'] : '0.0.0',
    gitSha: 'unknown',
    builtAt: null,
  };
}

export const BUILD: BuildInfo = Object.freeze(load());
