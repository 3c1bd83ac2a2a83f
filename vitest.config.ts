import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The reliability suite, the real-adapter suite and the browser suite have their own configs
    // and commands (npm run test:chaos, npm run test:agents, npm run test:browser).
    exclude: [...configDefaults.exclude, 'test/chaos/**', 'test/agents/**', 'test/browser/**'],
    // Process-level tests spawn real daemons; two cores, so keep parallelism modest.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: process.env['CI']
      ? ['default', ['json', { outputFile: '.vitest-results.json' }]]
      : ['default'],
  },
});
