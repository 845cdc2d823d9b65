// Starts and stops throw-away control planes (etcd + kube-apiserver on free loopback ports, in a
// temporary directory) and cleans up after runs that were killed before they could.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive, timeouts } from '../processes.ts';
import { buildControlPlane } from './build.ts';
import { controlPlaneBinary } from './gomod.ts';
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
  /**
   * For a control plane that serves a node (packages/cluster): a fixed data directory instead of a
   * temporary one, the node-reachable address it advertises (and listens on, with loopback), the Service
   * range, and further kube-apiserver flags. Without these it is a loopback-only dry-run server.
   */
  node?: {
    dir: string;
    advertiseAddress: string;
    serviceClusterIPRange: string;
    serviceIP: string;
    extraArgs: string[];
    /** A command prefix for each process, e.g. setpriv --pdeathsig KILL, so that they die with their starter. */
    wrap?: string[];
  };
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

/** The last lines of a log file, for an error message. */
export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export function exited(child: ChildProcess): boolean {
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
    throw new Error(`${controlPlaneBinary} is missing: run "npx controlplane build"`);
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
  const node = options.node;
  if (node) mkdirSync(node.dir, { recursive: true });
  const dir = node ? mkdtempSync(join(node.dir, 'run-')) : mkdtempSync(join(tmpdir(), dirPrefix));
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
      const wrap = node?.wrap ?? [];
      const [command, ...prefix] = [...wrap, controlPlaneBinary];
      const child = spawn(command as string, [...prefix, name, ...args], {
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
    execFileSync(
      controlPlaneBinary,
      [
        'certs',
        '-dir',
        pki,
        '-service-ip',
        node?.serviceIP ?? serviceIP,
        ...(node ? ['-ip', node.advertiseAddress] : []),
      ],
      {
        timeout: timeouts.goQuery,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
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
      ...(node
        ? ['--bind-address=0.0.0.0', `--advertise-address=${node.advertiseAddress}`]
        : ['--bind-address=127.0.0.1', '--advertise-address=127.0.0.1']),
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
      `--service-cluster-ip-range=${node?.serviceClusterIPRange ?? serviceClusterIPRange}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${p('service-account.pub')}`,
      `--service-account-signing-key-file=${p('service-account.key')}`,
      // 127.0.0.1 is not a valid endpoint of the kubernetes Service; a node's address is
      ...(node
        ? [
            // kubectl logs and exec reach the kubelet as the admin
            `--kubelet-client-certificate=${p('admin.crt')}`,
            `--kubelet-client-key=${p('admin.key')}`,
            ...node.extraArgs,
          ]
        : ['--endpoint-reconciler-type=none']),
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
      {
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, ...env },
        timeout: timeouts.kubectl,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? '');
  });
}
