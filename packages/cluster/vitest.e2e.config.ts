// The end-to-end suite: one real cluster at a time, so one file at a time and no parallel tests.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/cluster/test/**/*.e2e.test.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 20 * 60_000,
    hookTimeout: 30 * 60_000,
    sequence: { concurrent: false },
  },
});
