/**
 * The conformance suite with the real agent adapters (`npm run test:agents`): Claude, Codex and
 * Gemini from npm at pinned versions (test/agents/adapters/), against the fake model API. Kept
 * out of the main suite: the adapters are a separate install (scripts/install-adapters.mjs).
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/agents/**/*.test.ts'],
    exclude: ['test/agents/adapters/**'],
    // One daemon and several adapter processes per file; two cores.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 90_000,
    reporters: process.env['CI']
      ? ['default', ['json', { outputFile: '.vitest-agents-results.json' }]]
      : ['default'],
  },
});
