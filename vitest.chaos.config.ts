/**
 * The reliability suite (`npm run test:chaos`): kill -9 under load, Telegram and agent fault
 * matrices, property-based fuzzing and an opt-in soak. Quick by default (CI, ≤ 5 minutes on two
 * cores); CHAOS_LONG=1 (`npm run test:chaos:long`) scales the counts up; CHAOS_SOAK=1 adds the soak.
 * Kept out of the main suite: vitest.config.ts excludes test/chaos/.
 */
import { defineConfig } from 'vitest/config';

const long = process.env['CHAOS_LONG'] === '1';
const soak = process.env['CHAOS_SOAK'] === '1';

export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    // Each file runs real daemons; two cores, so two files at a time.
    maxWorkers: 2,
    // Per-test limits are set in the files (they scale with CHAOS_LONG); these are the fallbacks.
    testTimeout: long || soak ? 20 * 60_000 : 4 * 60_000,
    hookTimeout: 60_000,
    reporters: process.env['CI']
      ? ['default', ['json', { outputFile: '.vitest-chaos-results.json' }]]
      : ['default'],
  },
});
