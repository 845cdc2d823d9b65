// The tests that judge mutants of the rule engines: the validation suite without the server tier (it needs
// a control plane per run) and without the fuzz suite (its properties bound crashes, not verdicts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/validation/test/**/*.test.ts'],
    exclude: ['packages/validation/test/server.test.ts', 'packages/validation/test/fuzz.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
  },
});
