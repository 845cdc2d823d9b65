// Where the pinned tool binaries and offline schemas live, and which versions are pinned.
// Everything under .tools/ is built by tools/src/install-tools.ts and tools/src/build-schemas.ts
// from tools/versions.json; nothing there is committed.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface GoBinaryPin {
  module: string;
  version: string;
}

export interface CrdSourcePin {
  module: string;
  version: string;
  files: string[];
}

export interface ToolVersions {
  binaries: Record<'kustomize' | 'kubeconform' | 'conftest', GoBinaryPin>;
  kubernetes: { module: string; versions: string[] };
  crds: CrdSourcePin[];
}

export type BinaryName = keyof ToolVersions['binaries'];

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const versionsFile = join(repoRoot, 'tools', 'versions.json');
export const toolsDir = join(repoRoot, '.tools');
export const binDir = join(toolsDir, 'bin');
export const schemasDir = join(toolsDir, 'schemas');

export function readToolVersions(): ToolVersions {
  return JSON.parse(readFileSync(versionsFile, 'utf8')) as ToolVersions;
}

export function binaryPath(name: BinaryName): string {
  return join(binDir, name);
}

/** The stamp file beside a binary records the module@version it was built from. */
export function binaryStamp(pin: GoBinaryPin): string {
  return `${pin.module}@${pin.version}\n`;
}

/** kubeconform's -kubernetes-version takes the version without its leading "v". */
export function kubeconformVersion(version: string): string {
  return version.replace(/^v/, '');
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
