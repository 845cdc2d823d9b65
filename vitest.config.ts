import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'tools/test/**/*.test.ts'],
    // The end-to-end suite needs a real cluster (root, one at a time): its own config and Nx target run it.
    exclude: [...configDefaults.exclude, '**/*.e2e.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
