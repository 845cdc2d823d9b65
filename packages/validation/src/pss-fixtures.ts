// Upstream Pod Security Admission's own test fixtures, to hold our checker to: the Go module
// k8s.io/pod-security-admission (its v0.N.M is released with Kubernetes v1.N.M) carries, for every policy
// version it knows, pods that must pass and pods that must fail each level:
//   test/testdata/{baseline,restricted}/v1.N/{pass,fail}/<check id, lower case><index>.yaml
// (plus pass/base*.yaml, the minimal valid pods). We fetch the module through the Go module proxy.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { downloadModule } from '@neurascale/toolchain';
import { parseAllDocuments } from 'yaml';

export const psaModule = 'k8s.io/pod-security-admission';

export type PssFixtureLevel = 'baseline' | 'restricted';

export interface PssFixture {
  level: PssFixtureLevel;
  /** Policy version of the fixture directory, e.g. v1.37. */
  version: string;
  expect: 'pass' | 'fail';
  /** Absolute path of the fixture file (in the Go module cache). */
  file: string;
  /** Where it is in the module, e.g. k8s.io/pod-security-admission@v0.37.2:restricted/v1.37/fail/runasuser0.yaml */
  name: string;
  /** The check the fixture exercises (its file name without the index), e.g. runasuser, or base. */
  check: string;
  object: Record<string, unknown>;
}

const levels: readonly PssFixtureLevel[] = ['baseline', 'restricted'];

/** The module version released with a Kubernetes version: v1.37.2 → v0.37.2. */
export function psaModuleVersion(kubernetesVersion: string): string {
  const match = /^v?1\.(\d+)\.(\d+)$/.exec(kubernetesVersion);
  if (!match) throw new Error(`${kubernetesVersion}: not a Kubernetes version v1.N.M`);
  return `v0.${match[1]}.${match[2]}`;
}

/** The minor N of a Kubernetes version v1.N.M. */
export function kubernetesMinor(kubernetesVersion: string): number {
  const match = /^v?1\.(\d+)\.\d+$/.exec(kubernetesVersion);
  if (!match) throw new Error(`${kubernetesVersion}: not a Kubernetes version v1.N.M`);
  return Number(match[1]);
}

/** Downloads the module released with `kubernetesVersion` and returns its directory. */
export function psaModuleDir(kubernetesVersion: string): string {
  return downloadModule(
    psaModule,
    psaModuleVersion(kubernetesVersion),
    'packages/toolchain/versions.json kubernetes.versions',
  );
}

/** The policy minors the module has fixtures for, ascending. */
export function fixtureMinors(moduleDir: string): number[] {
  const dir = join(moduleDir, 'test', 'testdata', 'restricted');
  return readdirSync(dir)
    .map((d) => /^v1\.(\d+)$/.exec(d)?.[1])
    .filter((m): m is string => m !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

function parseFixture(file: string): Record<string, unknown> {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  if (!Array.isArray(docs) || docs.length !== 1) throw new Error(`${file}: expected one YAML document`);
  const [doc] = docs;
  if (!doc || doc.errors.length > 0) throw new Error(`${file}: ${doc?.errors[0]?.message ?? 'no document'}`);
  const object = doc.toJS() as unknown;
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw new Error(`${file}: not an object`);
  }
  return object as Record<string, unknown>;
}

export interface LoadOptions {
  /**
   * Policy minors whose fixture directories to load: default the Kubernetes version's own minor; 'all' for
   * every directory the module has (v1.0 up to its minor).
   */
  minors?: number[] | 'all';
}

/**
 * The fixtures of the pod-security-admission module released with `kubernetesVersion` (v1.N.M), for the
 * policy versions in `options.minors`. Throws when the module cannot be downloaded or a requested
 * directory is missing or empty.
 */
export function loadPssFixtures(kubernetesVersion: string, options: LoadOptions = {}): PssFixture[] {
  const dir = psaModuleDir(kubernetesVersion);
  const module = `${psaModule}@${psaModuleVersion(kubernetesVersion)}`;
  const available = fixtureMinors(dir);
  const minors =
    options.minors === 'all' ? available : (options.minors ?? [kubernetesMinor(kubernetesVersion)]);
  const fixtures: PssFixture[] = [];
  for (const minor of minors) {
    if (!available.includes(minor)) {
      throw new Error(
        `${module} has no fixtures for policy version v1.${minor} (it has v1.0–v1.${available.at(-1)})`,
      );
    }
    for (const level of levels) {
      for (const expect of ['pass', 'fail'] as const) {
        const rel = join(level, `v1.${minor}`, expect);
        const at = join(dir, 'test', 'testdata', rel);
        const files = existsSync(at) ? readdirSync(at).filter((f) => f.endsWith('.yaml')) : [];
        if (files.length === 0) throw new Error(`${module}: no fixtures in test/testdata/${rel}`);
        for (const f of files.sort()) {
          const file = join(at, f);
          fixtures.push({
            level,
            version: `v1.${minor}`,
            expect,
            file,
            name: `${module}:${rel}/${f}`,
            check: f.replace(/\d*\.yaml$/, ''),
            object: parseFixture(file),
          });
        }
      }
    }
  }
  return fixtures;
}
