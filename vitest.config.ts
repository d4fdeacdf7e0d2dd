import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores on CI: integration tests start brokers and child processes; keep parallelism modest.
    pool: 'forks',
    maxWorkers: 2,
  },
});
