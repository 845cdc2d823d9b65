// Entry point of the `generate` targets. Renders every requested subtree in memory (env configs are
// checked first), then either writes them atomically or, with --check, reports how the committed
// tree differs from what the sources produce.
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appTierBase, buildAppTierBase } from './base.ts';
import { diffTree, type FileTree, renderUnit, writeTreeAtomically } from './emitter.ts';
import { type Environment, environments, loadEnvConfig } from './env-config.ts';
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
