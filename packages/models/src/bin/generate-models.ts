#!/usr/bin/env node
// generate-models [--check]: regenerates the typed models of packages/models from the pinned CRDs; with
// --check, exits 1 and names each file that differs from what they generate.
import { regenerate } from '../generate-models.ts';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--check');
if (unknown.length > 0) {
  console.error(`generate-models: unknown argument ${unknown.join(' ')} (usage: generate-models [--check])`);
  process.exit(2);
}
try {
  const problems = await regenerate({ check: args.includes('--check') });
  for (const problem of problems) console.error(problem);
  process.exit(problems.length > 0 ? 1 : 0);
} catch (error) {
  console.error(`generate-models: ${(error as Error).message}`);
  process.exit(1);
}
