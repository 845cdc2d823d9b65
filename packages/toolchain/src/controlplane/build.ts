// Builds the control plane's multi-call binary (.tools/bin/controlplane) from its Go module, with a
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binDir } from '../paths.ts';
import { readToolVersions } from '../pins.ts';
import { timeouts } from '../processes.ts';
import {
  committedPins,
  controlPlaneBinary,
  controlPlaneModuleDir,
  downloadGoMod,
  goEnv,
  goSources,
  kubernetesModule,
  newestKubernetesVersion,
} from './gomod.ts';
// stamp over everything that changes the binary, so a warm run does nothing.
/** The -X flags that make the binaries report the real release instead of v0.0.0-master. */
export function versionLdflags(kubernetesVersion: string, releaseTime?: string): string[] {
  const m = /^v(\d+)\.(\d+)\.\d+$/.exec(kubernetesVersion);
  if (!m) throw new Error(`Kubernetes version "${kubernetesVersion}" is not vMAJOR.MINOR.PATCH`);
  const flags: string[] = [];
  // component-base/version is what kube-apiserver and kubectl report; client-go/pkg/version is the
  // client-go copy some client code reads.
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    flags.push(
      `-X ${pkg}.gitVersion=${kubernetesVersion}`,
      `-X ${pkg}.gitMajor=${m[1]}`,
      `-X ${pkg}.gitMinor=${m[2]}`,
      `-X ${pkg}.gitTreeState=clean`,
    );
    if (releaseTime) flags.push(`-X ${pkg}.buildDate=${releaseTime}`);
  }
  return flags;
}

/** The full -ldflags value: strip the symbol table (stack traces keep working) and set the versions. */
export function ldflags(kubernetesVersion: string, releaseTime?: string): string {
  return ['-s', '-w', ...versionLdflags(kubernetesVersion, releaseTime)].join(' ');
}

function goVersion(): string {
  return execFileSync('go', ['env', 'GOVERSION', 'GOOS', 'GOARCH'], {
    encoding: 'utf8',
    env: goEnv(),
    timeout: timeouts.goQuery,
  })
    .trim()
    .split('\n')
    .join(' ');
}

/** `go build` flags besides -ldflags and -o, and the environment that changes the binary. */
const buildFlags = ['-trimpath', '-buildvcs=false'];
const buildEnv = { CGO_ENABLED: '0' };

/** The stamp records what the binary was built from; a matching stamp means the binary is current. */
export function buildStamp(
  dir: string,
  flags: string,
  pins: { kubernetes: string; etcd: string },
  pkg: ModuleProgram = 'controlplane',
): string {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', ...programSources(dir, pkg)]) {
    hash
      .update(`${file}\0`)
      .update(readFileSync(join(dir, file)))
      .update('\0');
  }
  const build = [...buildFlags, ...Object.entries(buildEnv).map(([k, v]) => `${k}=${v}`)].join(' ');
  const go = goVersion();
  hash.update(`build\0${build}\0ldflags\0${flags}\0go\0${go}\0`);
  return [
    `kubernetes ${pins.kubernetes}`,
    `etcd ${pins.etcd}`,
    `go ${go}`,
    `build ${build}`,
    `ldflags ${flags}`,
    `sha256 ${hash.digest('hex')} (go.mod, go.sum, *.go, build flags, ldflags, go version)`,
    '',
  ].join('\n');
}

/** The programs of the module: the control plane at its top, the cluster's programs in folders below. */
export const modulePrograms = ['controlplane', 'kubenode', 'double', 'images'] as const;
export type ModuleProgram = (typeof modulePrograms)[number];

/** The Go sources one program is built from (its own folder; the top level for the control plane). */
export function programSources(dir: string, pkg: ModuleProgram): string[] {
  return goSources(dir).filter((f) =>
    pkg === 'controlplane'
      ? !f.includes('/')
      : f.startsWith(`${pkg}/`) && !f.slice(pkg.length + 1).includes('/'),
  );
}

export interface BuildResult {
  binary: string;
  built: boolean;
  seconds: number;
  kubernetes: string;
  etcd: string;
}

export interface BuildOptions {
  /** Build even when the stamp matches. */
  force?: boolean;
  /** A separate Go build cache (GOCACHE), e.g. an empty one to measure a cold build. */
  goCache?: string;
  log?: (line: string) => void;
}

/** Builds .tools/bin/controlplane from packages/toolchain/controlplane unless its stamp says it is current. */
export function buildControlPlane(options: BuildOptions = {}): BuildResult {
  return buildModuleProgram('controlplane', options);
}

/**
 * Builds one program of the control plane's Go module into .tools/bin/NAME unless its stamp (go.mod, go.sum,
 * the program's sources, flags and Go version) says it is current. All programs share the module and the
 * Go build cache, so the Kubernetes packages are compiled once for all of them.
 */
export function buildModuleProgram(pkg: ModuleProgram, options: BuildOptions = {}): BuildResult {
  const log = options.log ?? ((line: string) => console.log(line));
  const kubernetes = newestKubernetesVersion(readToolVersions().kubernetes.versions);
  const pins = committedPins();
  if (pins.kubernetes !== kubernetes) {
    throw new Error(
      `packages/toolchain/controlplane/go.mod pins ${kubernetesModule} ${pins.kubernetes} but the newest version of ` +
        `packages/toolchain/versions.json is ${kubernetes}: run "npx controlplane gomod" and commit go.mod and go.sum`,
    );
  }
  const { info } = downloadGoMod(kubernetesModule, kubernetes);
  const releaseTime = (JSON.parse(readFileSync(info, 'utf8')) as { Time?: string }).Time;
  const flags = ldflags(kubernetes, releaseTime);
  const stamp = buildStamp(controlPlaneModuleDir, flags, pins, pkg);
  const binary = pkg === 'controlplane' ? controlPlaneBinary : join(binDir, pkg);
  const stampFile = `${binary}.version`;
  const result = { binary, kubernetes, etcd: pins.etcd };
  if (
    !options.force &&
    existsSync(binary) &&
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8') === stamp
  ) {
    log(`${pkg} (kubernetes ${kubernetes}, etcd ${pins.etcd}): present`);
    return { ...result, built: false, seconds: 0 };
  }
  mkdirSync(binDir, { recursive: true });
  const staging = join(binDir, `.staging-${pkg}-${process.pid}`);
  log(`${pkg} (kubernetes ${kubernetes}, etcd ${pins.etcd}): building`);
  const started = Date.now();
  try {
    execFileSync(
      'go',
      ['build', ...buildFlags, '-ldflags', flags, '-o', staging, pkg === 'controlplane' ? '.' : `./${pkg}`],
      {
        timeout: timeouts.goBuild,
        killSignal: 'SIGKILL',
        cwd: controlPlaneModuleDir,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: {
          ...goEnv({ GOFLAGS: '-modcacherw -mod=readonly', ...buildEnv }),
          ...(options.goCache ? { GOCACHE: options.goCache } : {}),
        },
      },
    );
  } catch {
    rmSync(staging, { force: true });
    throw new Error(
      `go build of packages/toolchain/controlplane${pkg === 'controlplane' ? '' : `/${pkg}`} failed (see above); ` +
        'if go.mod or go.sum is stale, run "npx controlplane gomod"',
    );
  }
  renameSync(staging, binary);
  writeFileSync(stampFile, stamp);
  const seconds = (Date.now() - started) / 1000;
  log(`${pkg}: built in ${seconds.toFixed(1)}s`);
  return { ...result, built: true, seconds };
}
