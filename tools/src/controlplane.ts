// A throw-away Kubernetes control plane (etcd + kube-apiserver, plus kubectl) for server-side dry-run
// validation, built offline from Go modules into one multi-call binary, .tools/bin/controlplane.
//
//   node tools/src/controlplane.ts gomod [--check]   regenerate tools/controlplane/go.mod and go.sum
//   node tools/src/controlplane.ts build             build the binary (nothing to do when the stamp matches)
//   node tools/src/controlplane.ts up                start a control plane and keep it up until Ctrl-C
//   node tools/src/controlplane.ts run -- CMD ARGS   start one, run CMD with KUBECONFIG set, stop it
//
// startControlPlane() is the library entry point; docs/controlplane.md explains the whole thing.

import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goModDownload } from './go-modules.ts';
import { processAlive } from './processes.ts';
import { binDir, readToolVersions, repoRoot } from './toolchain.ts';

export const controlPlaneModuleDir = join(repoRoot, 'tools', 'controlplane');
export const controlPlaneBinary = join(binDir, 'controlplane');
export const controlPlaneStampFile = `${controlPlaneBinary}.version`;
const modulePath = 'neurascale-deploy/tools/controlplane';
const kubernetesModule = 'k8s.io/kubernetes';
const etcdServerModule = 'go.etcd.io/etcd/server/v3';
const etcdClientModule = 'go.etcd.io/etcd/client/v3';

// ---------------------------------------------------------------------------------------------------
// Versions and go.mod
// ---------------------------------------------------------------------------------------------------

/** The newest of the Kubernetes versions of the matrix (`kubernetes.versions` in tools/versions.json). */
export function newestKubernetesVersion(versions: string[]): string {
  const parse = (v: string): [number, number, number] => {
    const m = /^v(\d+)\.(\d+)\.(\d+)$/.exec(v);
    if (!m) throw new Error(`tools/versions.json: kubernetes.versions: "${v}" is not vMAJOR.MINOR.PATCH`);
    return [Number(m[1]), Number(m[2]), Number(m[3])];
  };
  const sorted = versions
    .map((v) => ({ v, n: parse(v) }))
    .sort(({ n: x }, { n: y }) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
  const newest = sorted.at(-1)?.v;
  if (!newest) throw new Error('tools/versions.json: kubernetes.versions is empty');
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

function goEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, GOFLAGS: '-modcacherw -mod=mod', GOTOOLCHAIN: 'local', ...extra };
}

/** Parses a go.mod file with the go command itself (`go mod edit -json FILE`). */
export function readGoMod(file: string): GoModJson {
  const out = execFileSync('go', ['mod', 'edit', '-json', file], {
    cwd: tmpdir(),
    encoding: 'utf8',
    env: goEnv(),
  });
  return JSON.parse(out) as GoModJson;
}

/** The go.mod and .info (which carries the release time) of module@version, from the module cache. */
export function downloadGoMod(module: string, version: string): { goMod: string; info: string } {
  const { GoMod, Info } = goModDownload(module, version, 'tools/versions.json (kubernetes.versions)');
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
}

/**
 * Derives our pins from the go.mod of k8s.io/kubernetes@version: the `go` and `godebug` lines, the
 * staging modules (required at v0.0.0 and replaced by ./staging/src/... there, so every module that
 * uses k8s.io/kubernetes as a dependency has to replace them with their published v0.X.Y), and the etcd
 * server version, which is the version of the etcd client Kubernetes requires (etcd releases its
 * modules together, so `go mod tidy` resolves to exactly that client).
 */
export function pinsFromKubernetesGoMod(kubernetesVersion: string, goMod: GoModJson): ControlPlanePins {
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
  return { kubernetes: kubernetesVersion, etcd, go: goMod.Go, goDebug: goMod.GoDebug ?? [], staging };
}

/** Our go.mod before `go mod tidy` completes it with the indirect requirements and go.sum. */
export function renderGoMod(pins: ControlPlanePins): string {
  const staged = stagingVersion(pins.kubernetes);
  const width = Math.max(...pins.staging.map((m) => m.length));
  const lines = [
    `// Generated by tools/src/controlplane.ts gomod from tools/versions.json (newest Kubernetes ${pins.kubernetes})`,
    `// and the go.mod of ${kubernetesModule}@${pins.kubernetes}, then completed by go mod tidy. Do not edit.`,
    `module ${modulePath}`,
    '',
    `go ${pins.go}`,
    '',
    ...pins.goDebug.map((d) => `godebug ${d.Key}=${d.Value}`),
    ...(pins.goDebug.length > 0 ? [''] : []),
    'require (',
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
    if (!found) throw new Error(`tools/controlplane/go.mod: does not require ${path}`);
    return found;
  };
  return { kubernetes: version(kubernetesModule), etcd: version(etcdServerModule) };
}

function goSources(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.go'))
    .sort();
}

/**
 * Writes go.mod (from the pins) and go.sum (`go mod tidy`) into `dir`, which holds our Go sources.
 * The result depends only on tools/versions.json, our sources and the module proxy's immutable content,
 * so running it again gives the same bytes.
 */
export function generateGoMod(dir = controlPlaneModuleDir): ControlPlanePins {
  const kubernetes = newestKubernetesVersion(readToolVersions().kubernetes.versions);
  const { goMod } = downloadGoMod(kubernetesModule, kubernetes);
  const pins = pinsFromKubernetesGoMod(kubernetes, readGoMod(goMod));
  writeFileSync(join(dir, 'go.mod'), renderGoMod(pins));
  rmSync(join(dir, 'go.sum'), { force: true });
  try {
    execFileSync('go', ['mod', 'tidy'], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'], env: goEnv() });
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

// ---------------------------------------------------------------------------------------------------
// Build
// ---------------------------------------------------------------------------------------------------

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
  return execFileSync('go', ['env', 'GOVERSION', 'GOOS', 'GOARCH'], { encoding: 'utf8', env: goEnv() })
    .trim()
    .split('\n')
    .join(' ');
}

/** `go build` flags besides -ldflags and -o, and the environment that changes the binary. */
const buildFlags = ['-trimpath', '-buildvcs=false'];
const buildEnv = { CGO_ENABLED: '0' };

/** The stamp records what the binary was built from; a matching stamp means the binary is current. */
export function buildStamp(dir: string, flags: string, pins: { kubernetes: string; etcd: string }): string {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', ...goSources(dir)]) {
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

/** Builds .tools/bin/controlplane from tools/controlplane unless its stamp says it is current. */
export function buildControlPlane(options: BuildOptions = {}): BuildResult {
  const log = options.log ?? ((line: string) => console.log(line));
  const kubernetes = newestKubernetesVersion(readToolVersions().kubernetes.versions);
  const pins = committedPins();
  if (pins.kubernetes !== kubernetes) {
    throw new Error(
      `tools/controlplane/go.mod pins ${kubernetesModule} ${pins.kubernetes} but the newest version of ` +
        `tools/versions.json is ${kubernetes}: run "node tools/src/controlplane.ts gomod" and commit go.mod and go.sum`,
    );
  }
  const { info } = downloadGoMod(kubernetesModule, kubernetes);
  const releaseTime = (JSON.parse(readFileSync(info, 'utf8')) as { Time?: string }).Time;
  const flags = ldflags(kubernetes, releaseTime);
  const stamp = buildStamp(controlPlaneModuleDir, flags, pins);
  const result = { binary: controlPlaneBinary, kubernetes, etcd: pins.etcd };
  if (
    !options.force &&
    existsSync(controlPlaneBinary) &&
    existsSync(controlPlaneStampFile) &&
    readFileSync(controlPlaneStampFile, 'utf8') === stamp
  ) {
    log(`controlplane (kubernetes ${kubernetes}, etcd ${pins.etcd}): present`);
    return { ...result, built: false, seconds: 0 };
  }
  mkdirSync(binDir, { recursive: true });
  const staging = join(binDir, `.staging-controlplane-${process.pid}`);
  log(`controlplane (kubernetes ${kubernetes}, etcd ${pins.etcd}): building`);
  const started = Date.now();
  try {
    execFileSync('go', ['build', ...buildFlags, '-ldflags', flags, '-o', staging, '.'], {
      cwd: controlPlaneModuleDir,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...goEnv({ GOFLAGS: '-modcacherw -mod=readonly', ...buildEnv }),
        ...(options.goCache ? { GOCACHE: options.goCache } : {}),
      },
    });
  } catch {
    rmSync(staging, { force: true });
    throw new Error(
      `go build of tools/controlplane failed (see above); if go.mod or go.sum is stale, run ` +
        `"node tools/src/controlplane.ts gomod"`,
    );
  }
  renameSync(staging, controlPlaneBinary);
  writeFileSync(controlPlaneStampFile, stamp);
  const seconds = (Date.now() - started) / 1000;
  log(`controlplane: built in ${seconds.toFixed(1)}s`);
  return { ...result, built: true, seconds };
}

// ---------------------------------------------------------------------------------------------------
// Start and stop
// ---------------------------------------------------------------------------------------------------

export interface ControlPlane {
  /** A kubeconfig whose current context is the admin (system:masters); context "tester" is a plain user. */
  kubeconfig: string;
  /** https://127.0.0.1:PORT */
  server: string;
  /** The temporary directory holding the data, certificates, logs and kubeconfig (removed by stop()). */
  dir: string;
  /** A directory with a kubectl symlink to the multi-call binary, for PATH. */
  binDir: string;
  /** Environment for kubectl run by the caller: KUBECONFIG, and KUBECACHEDIR inside dir (kubectl's
   * discovery and HTTP caches would otherwise land in ~/.kube/cache and outlive the control plane),
   * KUBERC=off (a user's ~/.kube/kuberc aliases and defaults must not change what is validated). */
  env: { KUBECONFIG: string; KUBECACHEDIR: string; KUBERC: string };
  /** The process ids of etcd and kube-apiserver (each is the leader of its own process group). */
  pids: { etcd: number; apiserver: number };
  /** Runs kubectl against this control plane (the pinned one, from the multi-call binary). */
  kubectl(args: string[], options?: { input?: string; context?: string }): Promise<KubectlResult>;
  /** Stops both processes (SIGTERM, then SIGKILL after a grace period), waits for them and removes dir. */
  stop(): Promise<void>;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface StartOptions {
  /** How long to wait for /readyz (default 120 s). */
  readyTimeoutMs?: number;
  /** Build the binary first when it is missing or stale (default true). */
  build?: boolean;
  log?: (line: string) => void;
}

const dirPrefix = 'controlplane-run-';
const serviceClusterIPRange = '10.0.0.0/24';
const serviceIP = '10.0.0.1';
const live = new Set<LiveControlPlane>();

interface LiveControlPlane {
  dir: string;
  children: ChildProcess[];
  stop(): Promise<void>;
}

/** Removes data directories left by a process that no longer exists (e.g. one killed with SIGKILL). */
export function sweepStaleDirs(root = tmpdir()): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    if (!name.startsWith(dirPrefix)) continue;
    const dir = join(root, name);
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
    } catch {
      // no owner file (yet): a start in progress or a foreign directory; leave it
      continue;
    }
    if (Number.isInteger(owner) && !processAlive(owner)) {
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  return removed;
}

/** Ports that were free a moment ago: bound to 127.0.0.1:0 together (so distinct), then released. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** Signals the child's process group (etcd and kube-apiserver start no processes of their own). Once the
 * child has been reaped its pid may belong to someone else, so an exited child is left alone. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || exited(child)) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.pid === undefined) return;
  killGroup(child, 'SIGTERM');
  if (!(await waitForExit(child, graceMs))) {
    killGroup(child, 'SIGKILL');
    await waitForExit(child, 10_000);
  }
}

function onExitKillAll(): void {
  for (const plane of live) {
    for (const child of plane.children) killGroup(child, 'SIGKILL');
    rmSync(plane.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

function onSignal(signal: NodeJS.Signals): void {
  const code = 128 + (signal === 'SIGINT' ? 2 : 15);
  Promise.allSettled([...live].map((plane) => plane.stop())).finally(() => process.exit(code));
}

function register(plane: LiveControlPlane): void {
  if (live.size === 0) {
    process.on('exit', onExitKillAll);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  live.add(plane);
}

function unregister(plane: LiveControlPlane): void {
  live.delete(plane);
  if (live.size === 0) {
    process.off('exit', onExitKillAll);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function readyz(server: { port: number; ca: Buffer; cert: Buffer; key: Buffer }): Promise<string> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: '/readyz',
        ca: server.ca,
        cert: server.cert,
        key: server.key,
        timeout: 2000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve(res.statusCode === 200 ? 'ok' : `HTTP ${res.statusCode}: ${body.trim()}`),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolve(error.message));
    req.end();
  });
}

function kubeconfigYaml(server: string, pki: string, token: string): string {
  const b64 = (file: string) => readFileSync(join(pki, file)).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: controlplane',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64('ca.crt')}`,
    'users:',
    '- name: admin',
    '  user:',
    `    client-certificate-data: ${b64('admin.crt')}`,
    `    client-key-data: ${b64('admin.key')}`,
    '- name: tester',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: admin',
    '  context: {cluster: controlplane, user: admin}',
    '- name: tester',
    '  context: {cluster: controlplane, user: tester}',
    'current-context: admin',
    '',
  ].join('\n');
}

/**
 * Starts etcd and kube-apiserver on free 127.0.0.1 ports in a fresh temporary directory, writes a
 * kubeconfig and resolves once /readyz answers 200. Rejects (after cleaning up) with the last log lines
 * when a process exits early or the server is not ready in time.
 */
export async function startControlPlane(options: StartOptions = {}): Promise<ControlPlane> {
  const log = options.log ?? (() => {});
  if (options.build !== false) buildControlPlane({ log });
  if (!existsSync(controlPlaneBinary)) {
    throw new Error(`${controlPlaneBinary} is missing: run "node tools/src/controlplane.ts build"`);
  }
  sweepStaleDirs();
  // A port taken between choosing it and binding it makes a process exit with "address already in use";
  // choosing new ports and starting again is then the whole remedy.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options, log);
    } catch (error) {
      if (attempt < 3 && /address already in use/.test((error as Error).message)) {
        log(`controlplane: a port was taken, retrying (${attempt})`);
        continue;
      }
      throw error;
    }
  }
}

async function startOnce(options: StartOptions, log: (line: string) => void): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  const pki = join(dir, 'pki');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(controlPlaneBinary, join(bin, 'kubectl'));
  const children: ChildProcess[] = [];
  let stopping: Promise<void> | undefined;
  const plane: LiveControlPlane = {
    dir,
    children,
    stop() {
      stopping ??= (async () => {
        // The apiserver first, so that it does not spend its shutdown retrying a vanished etcd.
        for (const child of [...children].reverse()) await terminate(child, 15_000);
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
        unregister(plane);
      })();
      return stopping;
    },
  };
  register(plane);

  const spawnTool = (name: string, args: string[]): ChildProcess => {
    const out = openSync(join(dir, `${name}.log`), 'a');
    try {
      const child = spawn(controlPlaneBinary, [name, ...args], {
        cwd: dir,
        detached: true, // its own process group, so that stop() can signal everything it started
        stdio: ['ignore', out, out],
        env: { ...process.env, CONTROLPLANE_PARENT_PID: String(process.pid) },
      });
      children.push(child);
      return child;
    } finally {
      closeSync(out);
    }
  };

  try {
    execFileSync(controlPlaneBinary, ['certs', '-dir', pki, '-service-ip', serviceIP], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const token = randomBytes(24).toString('hex');
    writeFileSync(join(dir, 'tokens.csv'), `${token},controlplane-tester,controlplane-tester\n`, {
      mode: 0o600,
    });
    const [etcdPort, peerPort, apiPort] = (await freePorts(3)) as [number, number, number];
    const p = (file: string) => join(pki, file);
    const etcdURL = `https://127.0.0.1:${etcdPort}`;
    const peerURL = `http://127.0.0.1:${peerPort}`;
    const etcd = spawnTool('etcd', [
      '--name=controlplane',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdURL}`,
      `--advertise-client-urls=${etcdURL}`,
      `--listen-peer-urls=${peerURL}`,
      `--initial-advertise-peer-urls=${peerURL}`,
      `--initial-cluster=controlplane=${peerURL}`,
      `--cert-file=${p('etcd.crt')}`,
      `--key-file=${p('etcd.key')}`,
      `--trusted-ca-file=${p('ca.crt')}`,
      '--client-cert-auth',
      '--unsafe-no-fsync', // thrown away afterwards: durability buys nothing
      '--log-level=warn',
    ]);
    const apiserver = spawnTool('kube-apiserver', [
      `--etcd-servers=${etcdURL}`,
      `--etcd-cafile=${p('ca.crt')}`,
      `--etcd-certfile=${p('etcd-client.crt')}`,
      `--etcd-keyfile=${p('etcd-client.key')}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'apiserver')}`,
      `--tls-cert-file=${p('apiserver.crt')}`,
      `--tls-private-key-file=${p('apiserver.key')}`,
      `--client-ca-file=${p('ca.crt')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,PodSecurity,ResourceQuota,' +
        'Priority,DefaultTolerationSeconds,RuntimeClass,DefaultIngressClass,ValidatingAdmissionPolicy,' +
        'MutatingAdmissionWebhook,ValidatingAdmissionWebhook',
      '--allow-privileged=true', // as on GKE: Pod Security admission, not this switch, decides
      `--service-cluster-ip-range=${serviceClusterIPRange}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${p('service-account.pub')}`,
      `--service-account-signing-key-file=${p('service-account.key')}`,
      '--endpoint-reconciler-type=none', // 127.0.0.1 is not a valid endpoint of the kubernetes Service
      '--profiling=false',
    ]);
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml(server, pki, token), { mode: 0o600 });

    const creds = {
      port: apiPort,
      ca: readFileSync(p('ca.crt')),
      cert: readFileSync(p('admin.crt')),
      key: readFileSync(p('admin.key')),
    };
    const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
    const started = Date.now();
    let last = '';
    for (;;) {
      for (const [name, child] of [
        ['etcd', etcd],
        ['kube-apiserver', apiserver],
      ] as const) {
        if (exited(child)) {
          throw new Error(
            `controlplane: ${name} exited (${child.exitCode ?? child.signalCode}) during start-up; ` +
              `last lines of its log:\n${tail(join(dir, `${name}.log`))}`,
          );
        }
      }
      last = await readyz(creds);
      if (last === 'ok') break;
      if (Date.now() > deadline) {
        throw new Error(
          `controlplane: ${server}/readyz not ready after ${options.readyTimeoutMs ?? 120_000} ms (${last}); ` +
            `last lines of the kube-apiserver log:\n${tail(join(dir, 'kube-apiserver.log'))}\n` +
            `last lines of the etcd log:\n${tail(join(dir, 'etcd.log'))}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    log(`controlplane: ${server} ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);

    const pids = { etcd: etcd.pid ?? -1, apiserver: apiserver.pid ?? -1 };
    const env = { KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'kube-cache'), KUBERC: 'off' };
    return {
      kubeconfig,
      server,
      dir,
      binDir: bin,
      env,
      pids,
      kubectl: (args, opts = {}) =>
        runKubectl(env, [...(opts.context ? ['--context', opts.context] : []), ...args], opts.input),
      stop: () => plane.stop(),
    };
  } catch (error) {
    await plane.stop();
    throw error;
  }
}

function runKubectl(env: ControlPlane['env'], args: string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      controlPlaneBinary,
      ['kubectl', `--kubeconfig=${env.KUBECONFIG}`, ...args],
      { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? '');
  });
}

// ---------------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------------

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const log = (line: string) => console.error(line);
  switch (command) {
    case 'gomod': {
      if (rest[0] === '--check') {
        const { ok, diff } = checkGoMod();
        if (!ok) {
          console.error(
            `tools/controlplane: ${diff.join(' and ')} ${diff.length > 1 ? 'differ' : 'differs'} from what the pins produce: ` +
              'run "node tools/src/controlplane.ts gomod" and commit the result',
          );
          return 1;
        }
        console.log('tools/controlplane: go.mod and go.sum are what the pins produce');
        return 0;
      }
      const pins = generateGoMod();
      console.log(
        `tools/controlplane/go.mod: kubernetes ${pins.kubernetes}, etcd ${pins.etcd}, go ${pins.go}, ` +
          `${pins.staging.length} staging modules at ${stagingVersion(pins.kubernetes)}`,
      );
      return 0;
    }
    case 'build': {
      const goCacheIndex = rest.indexOf('--gocache');
      buildControlPlane({
        force: rest.includes('--force'),
        ...(goCacheIndex >= 0 && rest[goCacheIndex + 1] ? { goCache: rest[goCacheIndex + 1] } : {}),
        log,
      });
      return 0;
    }
    case 'up': {
      const plane = await startControlPlane({ log });
      console.log(`server:     ${plane.server}`);
      console.log(`kubeconfig: ${plane.kubeconfig}`);
      console.log(`kubectl:    ${join(plane.binDir, 'kubectl')}`);
      const exports = Object.entries(plane.env).map(([k, v]) => `${k}=${v}`);
      console.log(`export ${exports.join(' ')} PATH=${plane.binDir}:$PATH`);
      console.log('Ctrl-C stops it and removes everything.');
      // Until SIGINT or SIGTERM, whose handler stops the control plane and exits.
      setInterval(() => {}, 2 ** 30);
      await new Promise(() => {});
      return 0;
    }
    case 'run': {
      const args = rest[0] === '--' ? rest.slice(1) : rest;
      const [cmd, ...cmdArgs] = args;
      if (!cmd) {
        console.error('usage: node tools/src/controlplane.ts run -- COMMAND [ARGS...]');
        return 2;
      }
      const plane = await startControlPlane({ log });
      try {
        const child = spawn(cmd, cmdArgs, {
          stdio: 'inherit',
          env: {
            ...process.env,
            ...plane.env,
            CONTROLPLANE_SERVER: plane.server,
            PATH: `${plane.binDir}:${process.env.PATH ?? ''}`,
          },
        });
        return await new Promise<number>((resolve) => {
          child.on('error', (error) => {
            console.error(`controlplane run: ${cmd}: ${error.message}`);
            resolve(127);
          });
          child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGINT' ? 2 : 15)));
        });
      } finally {
        await plane.stop();
      }
    }
    default:
      console.error(
        'usage: node tools/src/controlplane.ts gomod [--check] | build [--force] [--gocache DIR] | up | run -- CMD...',
      );
      return 2;
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`controlplane: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
