// End to end: builds the multi-call binary (minutes when the Go build cache is cold), starts a real
// etcd + kube-apiserver and checks what server-side dry-run validation relies on, then that stopping or
// interrupting leaves no process, port or file behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildControlPlane,
  type ControlPlane,
  checkGoMod,
  newestKubernetesVersion,
  startControlPlane,
  sweepStaleDirs,
} from '../src/controlplane/index.ts';
import { readToolVersions, repoRoot } from '../src/index.ts';

const newest = newestKubernetesVersion(readToolVersions().kubernetes.versions);

/** Processes whose command line mentions `text` (the control plane's data directory). */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) found.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Exited: no such process, or a zombie waiting for a parent to reap it (it holds no ports or files). */
function exited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function eventually(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

const namespaceAndConfigMap = (namespace: string) => `
apiVersion: v1
kind: Namespace
metadata:
  name: ${namespace}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: ${namespace}
data:
  LOG_LEVEL: info
`;

const pod = (name: string, securityContext: string) => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: restricted
spec:
  containers:
    - name: main
      image: registry.example/app:1.0.0
      securityContext: ${securityContext}
`;

describe('controlplane (etcd + kube-apiserver from the pinned Go modules)', () => {
  let plane: ControlPlane;

  beforeAll(async () => {
    buildControlPlane({ log: () => {} });
    plane = await startControlPlane({ build: false });
  }, 45 * 60_000);

  afterAll(async () => {
    await plane?.stop();
  });

  it('serves the newest Kubernetes version of the matrix', async () => {
    expect(newest).toBe('v1.37.2');
    const result = await plane.kubectl(['version', '-o', 'json']);
    expect(result.stderr).toBe('');
    const version = JSON.parse(result.stdout);
    expect(version.serverVersion.gitVersion).toBe(newest);
    expect(version.clientVersion.gitVersion).toBe(newest);
    expect(plane.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('accepts a valid Namespace and ConfigMap in a server-side dry run and persists nothing', async () => {
    // A namespaced object needs its namespace to exist for real: a dry-run Namespace is not created.
    const notYet = await plane.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], {
      input: namespaceAndConfigMap('demo'),
    });
    expect(notYet.code).not.toBe(0);
    expect(notYet.stderr).toContain('namespaces "demo" not found');

    expect((await plane.kubectl(['create', 'namespace', 'demo'])).code).toBe(0);
    const result = await plane.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], {
      input: namespaceAndConfigMap('demo'),
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('configmap/settings serverside-applied (server dry run)');
    const get = await plane.kubectl(['get', 'configmap', 'settings', '-n', 'demo']);
    expect(get.code).not.toBe(0);
    expect(get.stderr).toContain('NotFound');
  });

  it('rejects an unknown field in a server-side dry run (strict field validation)', async () => {
    const result = await plane.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], {
      input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: typo, namespace: demo}\ndatta: {a: b}\n',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('.datta: field not declared in schema');
  });

  it('rejects a privileged Pod in a namespace enforcing the restricted Pod Security Standard', async () => {
    const namespace =
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: restricted\n  labels:\n' +
      '    pod-security.kubernetes.io/enforce: restricted\n';
    expect((await plane.kubectl(['apply', '--server-side', '-f', '-'], { input: namespace })).code).toBe(0);
    // No kube-controller-manager runs, so nothing creates the namespace's default ServiceAccount; without
    // it the ServiceAccount admission plugin would refuse the Pod before Pod Security sees it.
    expect((await plane.kubectl(['create', 'serviceaccount', 'default', '-n', 'restricted'])).code).toBe(0);

    const privileged = await plane.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], {
      input: pod('privileged', '{privileged: true}'),
    });
    expect(privileged.code).not.toBe(0);
    expect(privileged.stderr).toContain('violates PodSecurity "restricted:latest"');
    expect(privileged.stderr).toContain(
      'privileged (container "main" must not set securityContext.privileged=true)',
    );

    // The same Pod made compliant passes, so the rejection above was Pod Security's and nothing else's.
    const compliant = await plane.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], {
      input: pod(
        'compliant',
        '{allowPrivilegeEscalation: false, runAsNonRoot: true, runAsUser: 10001, ' +
          'capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}',
      ),
    });
    expect(compliant.stderr).toBe('');
    expect(compliant.code).toBe(0);
  });

  it('authorizes with RBAC: the admin may, a plain user and an impersonated one may not', async () => {
    const admin = await plane.kubectl(['auth', 'can-i', 'create', 'pods', '-n', 'demo']);
    expect(admin.stdout.trim()).toBe('yes');
    const tester = await plane.kubectl(['auth', 'can-i', 'create', 'pods', '-n', 'demo'], {
      context: 'tester',
    });
    expect(tester.stdout.trim()).toBe('no');
    expect(tester.code).toBe(1);
    const impersonated = await plane.kubectl([
      'auth',
      'can-i',
      'list',
      'secrets',
      '-n',
      'demo',
      '--as=system:serviceaccount:demo:default',
    ]);
    expect(impersonated.stdout.trim()).toBe('no');
  });

  it('leaves no process, port or file after stop()', async () => {
    const port = Number(new URL(plane.server).port);
    const { dir, pids } = plane;
    expect(alive(pids.etcd) && alive(pids.apiserver)).toBe(true);
    await plane.stop();
    expect(alive(pids.etcd)).toBe(false);
    expect(alive(pids.apiserver)).toBe(false);
    expect(processesMentioning(dir)).toEqual([]);
    expect(await portOpen(port)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    // kubectl's discovery cache went to the data directory, not to ~/.kube/cache.
    expect(existsSync(join(homedir(), '.kube', 'cache', 'discovery', `127.0.0.1_${port}`))).toBe(false);
    await plane.stop(); // idempotent
  });

  it(
    'regenerates exactly the committed go.mod and go.sum',
    () => {
      expect(checkGoMod()).toEqual({ ok: true, diff: [] });
    },
    10 * 60_000,
  );
});

describe('controlplane CLI interrupted', () => {
  function up(): Promise<{ child: ChildProcess; dir: string; port: number }> {
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'packages/toolchain/src/bin/controlplane.ts'), 'up'],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stderr?.on('data', (chunk) => {
      out += chunk;
    });
    return new Promise((resolve, reject) => {
      child.stdout?.on('data', (chunk) => {
        out += chunk;
        const kubeconfig = /kubeconfig: (\S+)\/kubeconfig/.exec(out);
        const server = /server: +https:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (kubeconfig?.[1] && server?.[1] && out.includes('Ctrl-C')) {
          resolve({ child, dir: kubeconfig[1], port: Number(server[1]) });
        }
      });
      child.once('exit', (code) => reject(new Error(`controlplane up exited (${code}) early:\n${out}`)));
    });
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} stops everything and removes the directory`, async () => {
      const { child, dir, port } = await up();
      const pids = processesMentioning(dir);
      expect(pids.length).toBe(2);
      const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill(signal);
      expect(await exit).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(pids.filter((pid) => !exited(pid))).toEqual([]);
      expect(processesMentioning(dir)).toEqual([]);
      expect(await portOpen(port)).toBe(false);
      expect(existsSync(dir)).toBe(false);
    }, 120_000);
  }

  it('SIGKILL of the starter: the kernel ends both processes; the next start sweeps the directory', async () => {
    const { child, dir, port } = await up();
    const pids = processesMentioning(dir);
    expect(pids.length).toBe(2);
    const exit = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exit;
    expect(await eventually(() => pids.every(exited))).toBe(true);
    // A killed multi-threaded process shows as a zombie as soon as its main thread has exited; its
    // sockets close when the last thread has.
    expect(await eventually(async () => !(await portOpen(port)))).toBe(true);
    expect(existsSync(dir)).toBe(true);
    expect(sweepStaleDirs()).toContain(dir);
    expect(existsSync(dir)).toBe(false);
  }, 120_000);
});
