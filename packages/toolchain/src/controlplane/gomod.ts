// The control plane's Go module (packages/toolchain/controlplane): which Kubernetes and etcd versions it
// builds, derived from the newest Kubernetes of the matrix, and its go.mod and go.sum, generated and
// checked.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { goModDownload } from '../go-modules.ts';
import { binDir, toolchainDir } from '../paths.ts';
import { readToolVersions } from '../pins.ts';
import { timeouts } from '../processes.ts';

export const controlPlaneModuleDir = join(toolchainDir, 'controlplane');
export const controlPlaneBinary = join(binDir, 'controlplane');
export const controlPlaneStampFile = `${controlPlaneBinary}.version`;
const modulePath = 'neurascale-deploy/packages/toolchain/controlplane';
export const kubernetesModule = 'k8s.io/kubernetes';
const etcdServerModule = 'go.etcd.io/etcd/server/v3';
const etcdClientModule = 'go.etcd.io/etcd/client/v3';

/** The newest of the Kubernetes versions of the matrix (`kubernetes.versions` in packages/toolchain/versions.json). */
export function newestKubernetesVersion(versions: string[]): string {
  const parse = (v: string): [number, number, number] => {
    const m = /^v(\d+)\.(\d+)\.(\d+)$/.exec(v);
    if (!m)
      throw new Error(
        `packages/toolchain/versions.json: kubernetes.versions: "${v}" is not vMAJOR.MINOR.PATCH`,
      );
    return [Number(m[1]), Number(m[2]), Number(m[3])];
  };
  const sorted = versions
    .map((v) => ({ v, n: parse(v) }))
    .sort(({ n: x }, { n: y }) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
  const newest = sorted.at(-1)?.v;
  if (!newest) throw new Error('packages/toolchain/versions.json: kubernetes.versions is empty');
  return newest;
}

/** Kubernetes v1.X.Y publishes its staging modules (k8s.io/api, k8s.io/apiserver, ...) as v0.X.Y. */
export function stagingVersion(kubernetesVersion: string): string {
  const m = /^v1\.(\d+)\.(\d+)$/.exec(kubernetesVersion);
  if (!m) throw new Error(`Kubernetes version "${kubernetesVersion}" is not v1.MINOR.PATCH`);
  return `v0.${m[1]}.${m[2]}`;
}

/** What `go mod edit -json` prints for a go.mod. */
export interface GoModJson {
  Module?: { Path: string };
  Go?: string;
  GoDebug?: { Key: string; Value: string }[] | null;
  Require?: { Path: string; Version: string; Indirect?: boolean }[] | null;
  Replace?: { Old: { Path: string; Version?: string }; New: { Path: string; Version?: string } }[] | null;
}

export function goEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, GOFLAGS: '-modcacherw -mod=mod', GOTOOLCHAIN: 'local', ...extra };
}

/** Parses a go.mod file with the go command itself (`go mod edit -json FILE`). */
export function readGoMod(file: string): GoModJson {
  const out = execFileSync('go', ['mod', 'edit', '-json', file], {
    timeout: timeouts.goQuery,
    cwd: tmpdir(),
    encoding: 'utf8',
    env: goEnv(),
  });
  return JSON.parse(out) as GoModJson;
}

/** The go.mod and .info (which carries the release time) of module@version, from the module cache. */
export function downloadGoMod(module: string, version: string): { goMod: string; info: string } {
  const { GoMod, Info } = goModDownload(
    module,
    version,
    'packages/toolchain/versions.json (kubernetes.versions)',
  );
  if (!GoMod || !Info) throw new Error(`go mod download ${module}@${version}: no go.mod reported`);
  return { goMod: GoMod, info: Info };
}

export interface ControlPlanePins {
  kubernetes: string;
  etcd: string;
  go: string;
  goDebug: { Key: string; Value: string }[];
  /** Staging modules that k8s.io/kubernetes requires and replaces with its ./staging directory. */
  staging: string[];
  /** Further libraries our sources use, at their pinned versions (versions.json cluster.goModules). */
  libraries: Record<string, string>;
}

/**
 * Derives our pins from the go.mod of k8s.io/kubernetes@version: the `go` and `godebug` lines, the
 * staging modules (required at v0.0.0 and replaced by ./staging/src/... there, so every module that
 * uses k8s.io/kubernetes as a dependency has to replace them with their published v0.X.Y), and the etcd
 * server version, which is the version of the etcd client Kubernetes requires (etcd releases its
 * modules together, so `go mod tidy` resolves to exactly that client).
 */
export function pinsFromKubernetesGoMod(
  kubernetesVersion: string,
  goMod: GoModJson,
  libraries: Record<string, string> = {},
): ControlPlanePins {
  const where = `${kubernetesModule}@${kubernetesVersion} go.mod`;
  const required = new Map((goMod.Require ?? []).map((r) => [r.Path, r.Version]));
  const staging = (goMod.Replace ?? [])
    .filter((r) => r.New.Path.startsWith('./staging/') && required.has(r.Old.Path))
    .map((r) => r.Old.Path)
    .sort();
  if (staging.length === 0) throw new Error(`${where}: no staging replace directives found`);
  const etcd = required.get(etcdClientModule);
  if (!etcd) throw new Error(`${where}: does not require ${etcdClientModule}`);
  if (!goMod.Go) throw new Error(`${where}: has no go directive`);
  return {
    kubernetes: kubernetesVersion,
    etcd,
    go: goMod.Go,
    goDebug: goMod.GoDebug ?? [],
    staging,
    libraries,
  };
}

/** Our go.mod before `go mod tidy` completes it with the indirect requirements and go.sum. */
export function renderGoMod(pins: ControlPlanePins): string {
  const staged = stagingVersion(pins.kubernetes);
  const width = Math.max(...pins.staging.map((m) => m.length));
  const lines = [
    `// Generated by "controlplane gomod" from packages/toolchain/versions.json (newest Kubernetes ${pins.kubernetes})`,
    `// and the go.mod of ${kubernetesModule}@${pins.kubernetes}, then completed by go mod tidy. Do not edit.`,
    `module ${modulePath}`,
    '',
    `go ${pins.go}`,
    '',
    ...pins.goDebug.map((d) => `godebug ${d.Key}=${d.Value}`),
    ...(pins.goDebug.length > 0 ? [''] : []),
    'require (',
    ...Object.entries(pins.libraries)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([module, version]) => `\t${module} ${version}`),
    `\t${etcdServerModule} ${pins.etcd}`,
    `\t${kubernetesModule} ${pins.kubernetes}`,
    ...pins.staging.map((m) => `\t${m} ${staged}`),
    ')',
    '',
    `// ${kubernetesModule} requires its staging modules at v0.0.0 and replaces them with its own directories.`,
    'replace (',
    ...pins.staging.map((m) => `\t${m.padEnd(width)} => ${m} ${staged}`),
    ')',
    '',
  ];
  return lines.join('\n');
}

/** Reads the pins the committed go.mod holds. */
export function committedPins(dir = controlPlaneModuleDir): { kubernetes: string; etcd: string } {
  const goMod = readGoMod(join(dir, 'go.mod'));
  const version = (path: string) => {
    const found = goMod.Require?.find((r) => r.Path === path)?.Version;
    if (!found) throw new Error(`packages/toolchain/controlplane/go.mod: does not require ${path}`);
    return found;
  };
  return { kubernetes: version(kubernetesModule), etcd: version(etcdServerModule) };
}

/** The module's Go sources, relative to its directory: the control plane at the top, the cluster's
 * programs (kubenode, double, images) in folders below. */
export function goSources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.go'))
    .map((f) => f.split(sep).join('/'))
    .sort();
}

/**
 * Writes go.mod (from the pins) and go.sum (`go mod tidy`) into `dir`, which holds our Go sources.
 * The result depends only on packages/toolchain/versions.json, our sources and the module proxy's immutable content,
 * so running it again gives the same bytes.
 */
export function generateGoMod(dir = controlPlaneModuleDir): ControlPlanePins {
  const kubernetes = newestKubernetesVersion(readToolVersions().kubernetes.versions);
  const { goMod } = downloadGoMod(kubernetesModule, kubernetes);
  const pins = pinsFromKubernetesGoMod(kubernetes, readGoMod(goMod), readToolVersions().cluster.goModules);
  writeFileSync(join(dir, 'go.mod'), renderGoMod(pins));
  rmSync(join(dir, 'go.sum'), { force: true });
  try {
    execFileSync('go', ['mod', 'tidy'], {
      cwd: dir,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: goEnv(),
      timeout: timeouts.goQuery,
    });
  } catch {
    throw new Error(
      `go mod tidy failed in ${dir} for ${kubernetesModule}@${kubernetes} with etcd ${pins.etcd}; ` +
        `see its output above (a dependency needing a newer Go shows as "requires go >= ...")`,
    );
  }
  return pins;
}

/** Regenerates go.mod and go.sum in a scratch copy and tells whether the committed ones match. */
export function checkGoMod(): { ok: boolean; diff: string[] } {
  const scratch = mkdtempSync(join(tmpdir(), 'controlplane-check-'));
  try {
    for (const file of goSources(controlPlaneModuleDir)) {
      mkdirSync(dirname(join(scratch, file)), { recursive: true });
      cpSync(join(controlPlaneModuleDir, file), join(scratch, file));
    }
    generateGoMod(scratch);
    const diff = ['go.mod', 'go.sum'].filter((file) => {
      const committed = join(controlPlaneModuleDir, file);
      return (
        !existsSync(committed) ||
        readFileSync(committed, 'utf8') !== readFileSync(join(scratch, file), 'utf8')
      );
    });
    return { ok: diff.length === 0, diff };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
