/**
 * The browser suite (`npm run test:browser`): the web dashboard in Debian's Chromium (driven by
 * playwright-core; nothing is downloaded) against a real daemon with the demo agent and the fake
 * Bot API. Screenshots of every page go to test-results/. Kept out of the main suite:
 * vitest.config.ts excludes test/browser/.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    // One browser and one daemon at a time: two cores.
    maxWorkers: 1,
    testTimeout: 90_000,
    hookTimeout: 90_000,
    reporters: process.env['CI']
      ? ['default', ['json', { outputFile: '.vitest-browser-results.json' }]]
      : ['default'],
  },
});
