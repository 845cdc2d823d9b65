// Benchmark: how long rendering, writing and validating take, so a slowdown shows up as a number.
// Run with `npm run bench`; needs the pinned tools (`npx nx run-many -t install schemas -p toolchain`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { environments, generate, renderSubtree, repoRoot, subtrees } from '@neurascale/core';
import { kustomizeBuild, validateText } from '@neurascale/validation';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

function measure(label: string, fn: () => void): void {
  fn(); // warm-up: module loading and JIT are not what we measure
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)] ?? 0;
  console.log(
    `${label.padEnd(42)} median ${median.toFixed(1).padStart(8)} ms   min ${(samples[0] ?? 0).toFixed(1).padStart(8)} ms   (${rounds} rounds)`,
  );
}

const out = mkdtempSync(join(tmpdir(), 'bench-'));
// The manifests only: the env schema belongs to the workspace, not to the benchmark's output directory.
const manifests = subtrees().filter((s) => s !== 'env-schema');
try {
  measure('render all subtrees (in memory)', () => {
    for (const s of manifests) renderSubtree(s, repoRoot, out);
  });
  measure('generate all subtrees (write)', () => generate({ out, only: manifests, check: false }));
  measure('generate --check', () => generate({ out, only: manifests, check: true }));
  for (const env of environments(repoRoot)) {
    const dir = join(out, 'overlays', env);
    measure(`kustomize build ${env}`, () => kustomizeBuild(dir));
    const stream = kustomizeBuild(dir);
    measure(`validate ${env} (schemas, PSS, Rego, graph)`, () => validateText(stream, env));
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
