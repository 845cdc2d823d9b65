// The fuzz suites with a random seed and more cases than `npm test` runs: `npm run fuzz [-- --scale N]`.
// Prints the seed first, so `FUZZ_SEED=<seed> npm run fuzz` reproduces a failing run.
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { scale: { type: 'string', default: '10' } } });
const seed = process.env.FUZZ_SEED ?? String(randomInt(2 ** 31));
console.log(`fuzz: seed ${seed}, scale ${values.scale} (reproduce with FUZZ_SEED=${seed})`);
const result = spawnSync(
  'vitest',
  ['run', 'packages/core/test/fuzz.test.ts', 'packages/validation/test/fuzz.test.ts'],
  { stdio: 'inherit', env: { ...process.env, FUZZ_SEED: seed, FUZZ_SCALE: values.scale } },
);
process.exit(result.status ?? 1);
