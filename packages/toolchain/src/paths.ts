// Where the workspace, the pins and the built tools live. Everything under .tools/ is built by
// install-tools.ts and build-schemas.ts from versions.json; nothing there is committed.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BinaryName } from './pins.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const toolchainDir = join(repoRoot, 'packages', 'toolchain');
export const versionsFile = join(toolchainDir, 'versions.json');
/** NEURASCALE_TOOLS_DIR moves the built tools and schemas elsewhere (a shared cache, or a test's copy). */
export const toolsDir = process.env.NEURASCALE_TOOLS_DIR ?? join(repoRoot, '.tools');
export const binDir = join(toolsDir, 'bin');
export const schemasDir = join(toolsDir, 'schemas');

export function binaryPath(name: BinaryName): string {
  return join(binDir, name);
}

/** kubeconform -schema-location templates for our offline layout (core first, then CRDs). */
export function schemaLocations(root = schemasDir): string[] {
  return [
    join(
      root,
      'kubernetes',
      '{{.NormalizedKubernetesVersion}}-standalone{{.StrictSuffix}}',
      '{{.ResourceKind}}{{.KindSuffix}}.json',
    ),
    join(root, 'crds', '{{.Group}}', '{{.ResourceKind}}_{{.ResourceAPIVersion}}.json'),
  ];
}
