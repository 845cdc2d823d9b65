// The environments are the folders overlays/<env>/ that hold an env.json: adding an environment is adding
// one folder (the Nx plugin in tools/src/nx-environments.ts infers its project from the same files).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { environmentNamePattern } from './env-config.ts';

/** The output subtrees besides the environments; their names cannot name an environment. */
export const fixedSubtrees = ['base', 'components', 'env-schema'] as const;
const reservedNames: readonly string[] = fixedSubtrees;

export function envConfigPath(env: string, root: string): string {
  return join(root, 'overlays', env, 'env.json');
}

/** The environments under `root`/overlays, sorted; a folder name that cannot be one is an error. */
export function environments(root: string): string[] {
  const dir = join(root, 'overlays');
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(envConfigPath(e.name, root)))
    .map((e) => e.name)
    .sort();
  for (const name of names) {
    if (!new RegExp(environmentNamePattern).test(name) || reservedNames.includes(name)) {
      throw new Error(
        `overlays/${name}/env.json: "${name}" cannot name an environment: use lowercase letters, digits and ` +
          `dashes (${environmentNamePattern}), and none of ${reservedNames.join(', ')}; rename the folder`,
      );
    }
  }
  return names;
}
