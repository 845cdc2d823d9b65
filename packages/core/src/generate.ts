// What the `generate` targets write, rendered in memory first (every env config is checked before
// anything is written), then either written atomically or, with check, compared with what is on disk.
// Subtrees: `base` (the app tier base), `components` (optional features), `env-schema` (the JSON schema of
// env.json, for editors) and one per environment.
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Output, type WriteIo, withLock, writeOutputs } from './atomic-write.ts';
import { appTierBase, buildAppTierBase } from './base.ts';
import { services } from './catalog.ts';
import { buildComponents, componentsDir } from './components.ts';
import { diffFile, diffTree, type FileTree, renderDirs } from './emitter.ts';
import { envConfigSchema, loadEnvConfig } from './env-config.ts';
import { envConfigPath, environments, fixedSubtrees } from './environments.ts';
import { buildOverlayTree } from './overlay.ts';

export const repoRoot = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..');
export type Subtree = string;

/** Every subtree of the workspace at `root`: the fixed ones, then its environments. */
export function subtrees(root = repoRoot): Subtree[] {
  return [...fixedSubtrees, ...environments(root)];
}

export const envSchemaFile = (root = repoRoot) => join(root, 'overlays', 'env.schema.json');

export function renderEnvSchema(): string {
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $comment: 'Generated from packages/core/src/env-config.ts by `nx run core:generate`: do not edit.',
    ...envConfigSchema(services),
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

function render(subtree: Subtree, root: string, out: string): Output {
  switch (subtree) {
    case 'base':
      return { kind: 'dir', path: join(out, appTierBase), tree: renderDirs(buildAppTierBase(services)) };
    case 'components':
      return { kind: 'dir', path: join(out, componentsDir), tree: renderDirs(buildComponents(services)) };
    case 'env-schema':
      return { kind: 'file', path: envSchemaFile(root), content: renderEnvSchema() };
    default: {
      const file = envConfigPath(subtree, root);
      const config = loadEnvConfig(file, relative(root, file), subtree);
      const dir = join(out, 'overlays', subtree);
      const tree = buildOverlayTree(config, {
        base: relative(dir, join(out, appTierBase)),
        components: relative(dir, join(out, componentsDir)),
      });
      return { kind: 'dir', path: dir, tree: renderDirs(tree) };
    }
  }
}

/** A subtree's files in memory (paths relative to its directory). */
export function renderSubtree(subtree: Subtree, root = repoRoot, out = join(root, 'generated')): FileTree {
  const output = render(subtree, root, out);
  return output.kind === 'dir' ? output.tree : new Map([['', output.content]]);
}

export interface GenerateOptions {
  out: string;
  only: readonly Subtree[];
  check: boolean;
  root?: string;
  /** The file system calls of the write (the fault tests inject faults here). */
  io?: WriteIo;
}

/** Returns the problems found in check mode (empty when up to date); throws on invalid input. */
export function generate({ out, only, check, root = repoRoot, io }: GenerateOptions): string[] {
  const known = subtrees(root);
  const unknown = only.filter((s) => !known.includes(s));
  if (unknown.length > 0) {
    throw new Error(`unknown subtree ${unknown.join(', ')} (known: ${known.join(', ')})`);
  }
  // Render everything before touching the disk: one bad env config must not leave a partial tree.
  const outputs = only.map((subtree) => render(subtree, root, out));
  if (check) {
    return outputs.flatMap((o) =>
      o.kind === 'dir' ? diffTree(o.path, o.tree) : diffFile(o.path, o.content),
    );
  }
  withLock(out, () => writeOutputs(outputs, io));
  return [];
}
