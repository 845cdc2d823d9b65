#!/usr/bin/env node
// generate-manifests [--only SUBTREE]... [--out DIR] [--check]: the entry point of the `generate` targets.
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { failpointIo } from '../atomic-write.ts';
import { generate, repoRoot, type Subtree, subtrees } from '../generate.ts';

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', default: join(repoRoot, 'generated') },
      only: { type: 'string', multiple: true },
      check: { type: 'boolean', default: false },
    },
  });
  let known: Subtree[];
  try {
    known = subtrees();
  } catch (error) {
    console.error(`generate: ${(error as Error).message}\nNothing was written.`);
    return 1;
  }
  const only = values.only ?? known;
  const unknown = only.filter((s) => !known.includes(s));
  if (unknown.length > 0) {
    console.error(`generate: unknown --only ${unknown.join(', ')} (allowed: ${known.join(', ')})`);
    return 2;
  }
  try {
    const io = failpointIo(process.env.NEURASCALE_GENERATE_FAILPOINT);
    const problems = generate({ out: resolve(values.out), only, check: values.check, io });
    if (problems.length > 0) {
      console.error(
        `generate --check: generated/ is stale; run \`nx run-many -t generate\` and commit:\n  ${problems.join('\n  ')}`,
      );
      return 1;
    }
    console.log(`generate: ${values.check ? 'up to date' : 'wrote'} ${only.join(', ')}`);
    return 0;
  } catch (error) {
    // Env config errors name the file, the field and the fix; rendering runs before any write.
    console.error(`generate: ${(error as Error).message}\nNothing was written.`);
    return 1;
  }
}

process.exit(main(process.argv.slice(2)));
