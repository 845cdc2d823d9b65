// Entry point of the `generate` targets. Renders every requested subtree in memory (env configs are
// checked first), then either writes them atomically or, with --check, reports how the committed
// tree differs from what the sources produce.
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { appTierBase, buildAppTierBase } from './base.ts';
import { diffTree, type FileTree, renderUnit, writeTreeAtomically } from './emitter.ts';
import { EnvConfigError, type Environment, environments, loadEnvConfig } from './env-config.ts';
import { buildOverlay } from './overlay.ts';

export const repoRoot = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..');
export type Subtree = 'base' | Environment;
export const subtrees: readonly Subtree[] = ['base', ...environments];

export function envConfigPath(env: Environment, root = repoRoot): string {
  return join(root, 'overlays', env, 'env.json');
}

export function subtreeDir(subtree: Subtree): string {
  return subtree === 'base' ? appTierBase : `overlays/${subtree}`;
}

export function renderSubtree(subtree: Subtree, root = repoRoot): FileTree {
  if (subtree === 'base') return renderUnit(buildAppTierBase(), { resources: [] });
  const file = envConfigPath(subtree, root);
  const config = loadEnvConfig(file, relative(root, file), subtree);
  const overlay = buildOverlay(config);
  const images = overlay.images.length > 0 ? { images: overlay.images } : {};
  return renderUnit(overlay, { resources: [`../../${appTierBase}`], ...images }, true);
}

export interface GenerateOptions {
  out: string;
  only: readonly Subtree[];
  check: boolean;
  root?: string;
}

/** Returns the problems found in check mode (empty when up to date); throws on invalid input. */
export function generate({ out, only, check, root = repoRoot }: GenerateOptions): string[] {
  // Render everything before touching the disk: one bad env config must not leave a partial tree.
  const rendered = only.map((subtree) => [subtree, renderSubtree(subtree, root)] as const);
  if (check) return rendered.flatMap(([subtree, tree]) => diffTree(join(out, subtreeDir(subtree)), tree));
  for (const [subtree, tree] of rendered) writeTreeAtomically(join(out, subtreeDir(subtree)), tree);
  return [];
}

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', default: join(repoRoot, 'generated') },
      only: { type: 'string', multiple: true },
      check: { type: 'boolean', default: false },
    },
  });
  const only = (values.only ?? [...subtrees]) as Subtree[];
  const unknown = only.filter((s) => !subtrees.includes(s));
  if (unknown.length > 0) {
    console.error(`generate: unknown --only ${unknown.join(', ')} (allowed: ${subtrees.join(', ')})`);
    return 2;
  }
  try {
    const problems = generate({ out: resolve(values.out), only, check: values.check });
    if (problems.length > 0) {
      console.error(
        `generate --check: generated/ is stale; run \`nx run-many -t generate\` and commit:\n  ${problems.join('\n  ')}`,
      );
      return 1;
    }
    console.log(`generate: ${values.check ? 'up to date' : 'wrote'} ${only.join(', ')}`);
    return 0;
  } catch (error) {
    if (error instanceof EnvConfigError) {
      console.error(`generate: ${error.message}\nNothing was written.`);
      return 1;
    }
    console.error(`generate: ${(error as Error).message}\nNothing was written.`);
    return 1;
  }
}

if (import.meta.main) process.exit(main(process.argv.slice(2)));
