// Prints one closing line over every project's vitest JSON report ("N passed, N failed"), so the
// result of `npm test` reads the same whether Nx ran the tests or replayed them from its cache.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@neurascale/toolchain';

export const testProjects = [
  'core',
  'validation',
  'validation-server',
  'toolchain',
  'tools',
  'cluster',
  'cluster-e2e',
] as const;

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

export function reportPath(project: string): string {
  return join(repoRoot, 'reports', 'vitest', `${project}.json`);
}

function main(): number {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const project of testProjects) {
    const file = reportPath(project);
    if (!existsSync(file)) {
      console.error(`test-summary: no report for ${project} (${file}); run \`npm test\``);
      return 1;
    }
    const report = JSON.parse(readFileSync(file, 'utf8')) as VitestReport;
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + report.numTodoTests;
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed > 0 || passed === 0 ? 1 : 0;
}

if (import.meta.main) process.exit(main());
