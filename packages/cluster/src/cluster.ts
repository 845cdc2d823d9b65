// Starts the node of the end-to-end cluster beside a control plane: containerd, kube-controller-manager,
// kube-scheduler, the kubelet, kube-proxy, kube-router (NetworkPolicies) and CoreDNS, and waits until the
// node is Ready and DNS answers. Every process is started through `setpriv --pdeathsig KILL`, so none
// outlives the process that started it; host state is put back by restoreHost (host.ts).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ControlPlane,
  exited,
  type KubectlResult,
  startControlPlane,
  tail,
} from '@neurascale/toolchain/controlplane';
import { cniConfig, containerdConfig, corednsManifests, kubeletConfig, kubeProxyConfig } from './configs.ts';
import { cgroupHierarchies } from './host.ts';
import { clusterImageEntries, importImages } from './images.ts';
import type { Installed } from './install.ts';
import { kubeYaml } from './json.ts';
import { cgroupRoot, network, nodeName, paths } from './paths.ts';

/** The comment of the FORWARD rule that keeps pod traffic on the node. */
export const podsStayOnTheNode = 'neurascale-e2e: pods reach nothing beyond the node';

/** Labels the node carries: production spreads over zones, so the single node names one. */
export const nodeLabels = {
  'topology.kubernetes.io/region': 'europe-west4',
  'topology.kubernetes.io/zone': 'europe-west4-a',
};
/** GPUs the node advertises (an extended resource; the containers run on the CPU like any other). */
export const advertisedGpus = 16;

export interface RunningCluster {
  kubeconfig: string;
  hostIP: string;
  controlPlane: ControlPlane;
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  /** The components' process ids by name. */
  pids: Record<string, number>;
  /** Seconds from start to: API ready, node Ready, DNS Available. */
  timings: Record<string, number>;
  /** A component that exited on its own, if any. */
  failed(): string | undefined;
  /** Stops every component (SIGTERM, then SIGKILL); host state is restored separately. */
  stop(): Promise<void>;
}

/** The kubelet's cgroup root, in every hierarchy (cpuset needs its CPUs and memory nodes copied down). */
function makeCgroupRoot(): void {
  for (const hierarchy of cgroupHierarchies()) {
    const dir = join(hierarchy, cgroupRoot);
    mkdirSync(dir, { recursive: true });
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      if (existsSync(join(hierarchy, file)) && readFileSync(join(dir, file), 'utf8').trim() === '') {
        writeFileSync(join(dir, file), readFileSync(join(hierarchy, file), 'utf8').trim());
      }
    }
  }
}

/** The address the node advertises: the source address of the default route. */
export function hostAddress(): string {
  const out = spawnSync('ip', ['-4', '-o', 'route', 'get', '192.0.2.255'], { encoding: 'utf8' }).stdout ?? '';
  const viaRoute = / src (\d+\.\d+\.\d+\.\d+)/.exec(out)?.[1];
  if (viaRoute && !viaRoute.startsWith('127.')) return viaRoute;
  const addrs =
    spawnSync('ip', ['-4', '-o', 'addr', 'show', 'scope', 'global'], { encoding: 'utf8' }).stdout ?? '';
  const first = / inet (\d+\.\d+\.\d+\.\d+)\//.exec(addrs)?.[1];
  if (!first) throw new Error('the node needs a non-loopback IPv4 address; none was found (ip -4 addr)');
  return first;
}

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
  check: () => string | undefined = () => undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const failure = check();
    if (failure) throw new Error(`cluster: ${failure} while waiting for ${what}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `cluster: ${what} not reached within ${timeoutMs / 1000}s${last ? ` (${(last as Error).message})` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function startCluster(tools: Installed, log: (line: string) => void): Promise<RunningCluster> {
  const started = Date.now();
  const since = () => Number(((Date.now() - started) / 1000).toFixed(1));
  const timings: Record<string, number> = {};
  const children = new Map<string, ChildProcess>();
  const hostIP = hostAddress();
  for (const dir of [paths.logs, paths.cniConf, paths.cniData, paths.kubeletRoot, paths.containerdState]) {
    mkdirSync(dir, { recursive: true });
  }
  writeFileSync(paths.containerdConfig, containerdConfig(tools.cniBinDir));
  writeFileSync(join(paths.cniConf, '10-neurascale-e2e.conflist'), cniConfig());
  // No upstream resolver offline: names outside the cluster simply do not resolve.
  writeFileSync(paths.resolvConf, `nameserver ${hostIP}\noptions ndots:5\n`);
  // The node forwards between its pods and bridges them through iptables (restored on teardown).
  writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
  // Pods reach nothing beyond the node: a connection that no Service rule has rewritten yet (a ClusterIP
  // before kube-proxy programs it, a pod before kube-router does) is refused here instead of leaving the
  // host, where something may answer it. Restored with the rest of iptables on teardown.
  const isolate = spawnSync(
    'iptables',
    [
      '-w',
      '-I',
      'FORWARD',
      '1',
      '-i',
      network.bridge,
      '!',
      '-o',
      network.bridge,
      '-m',
      'comment',
      '--comment',
      podsStayOnTheNode,
      '-j',
      'REJECT',
    ],
    { encoding: 'utf8' },
  );
  if (isolate.status !== 0) throw new Error(`iptables: cannot keep the pods on the node: ${isolate.stderr}`);

  const start = (name: string, command: string, args: string[]): ChildProcess => {
    const out = openSync(join(paths.logs, `${name}.log`), 'a');
    try {
      const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', command, ...args], {
        detached: true,
        stdio: ['ignore', out, out],
      });
      children.set(name, child);
      return child;
    } finally {
      closeSync(out);
    }
  };
  const failed = (): string | undefined => {
    for (const [name, child] of children) {
      if (exited(child)) {
        return `${name} exited (${child.exitCode ?? child.signalCode}); last lines of its log:\n${tail(join(paths.logs, `${name}.log`))}`;
      }
    }
    return undefined;
  };
  let controlPlane: ControlPlane | undefined;
  const stop = async () => {
    // The node first (it would otherwise restart what is being stopped), the control plane last.
    for (const name of [
      'kube-router',
      'kube-proxy',
      'kubelet',
      'kube-scheduler',
      'kube-controller-manager',
      'containerd',
    ]) {
      const child = children.get(name);
      if (!child?.pid || exited(child)) continue;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        continue;
      }
      const deadline = Date.now() + 10_000;
      while (!exited(child) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (!exited(child)) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    await controlPlane?.stop();
  };

  try {
    start('containerd', 'containerd', ['--config', paths.containerdConfig]);
    await waitFor(
      'containerd',
      60_000,
      () => {
        if (!existsSync(paths.containerdSocket)) return undefined;
        const r = spawnSync('ctr', ['--address', paths.containerdSocket, 'version'], {
          stdio: 'ignore',
          timeout: 10_000,
        });
        return r.status === 0 ? true : undefined;
      },
      failed,
    );
    await importImages(clusterImageEntries(tools), { images: tools.images, label: 'cluster' });
    log(`cluster: containerd ready, cluster images imported (${since()}s)`);

    controlPlane = await startControlPlane({
      build: false,
      log,
      node: {
        dir: paths.controlPlane,
        advertiseAddress: hostIP,
        serviceClusterIPRange: network.serviceCidr,
        serviceIP: network.apiServiceIP,
        extraArgs: [],
        wrap: ['setpriv', '--pdeathsig', 'KILL', '--'],
      },
    });
    timings.api = since();
    const kubeconfig = controlPlane.kubeconfig;
    const pki = join(controlPlane.dir, 'pki');
    const kube = [
      '--kubeconfig',
      kubeconfig,
      '--authentication-kubeconfig',
      kubeconfig,
      '--authorization-kubeconfig',
      kubeconfig,
    ];
    start('kube-controller-manager', tools.kubenode, [
      'kube-controller-manager',
      ...kube,
      '--leader-elect=false',
      '--secure-port=0',
      `--service-account-private-key-file=${join(pki, 'service-account.key')}`,
      `--root-ca-file=${join(pki, 'ca.crt')}`,
      '--allocate-node-cidrs=true',
      `--cluster-cidr=${network.clusterCidr}`,
      '--node-cidr-mask-size=24',
      `--service-cluster-ip-range=${network.serviceCidr}`,
      '--use-service-account-credentials=false',
    ]);
    start('kube-scheduler', tools.kubenode, [
      'kube-scheduler',
      ...kube,
      '--leader-elect=false',
      '--secure-port=0',
    ]);
    makeCgroupRoot();
    writeFileSync(paths.kubeletConfig, kubeletConfig(join(pki, 'ca.crt')));
    start('kubelet', tools.kubenode, [
      'kubelet',
      `--config=${paths.kubeletConfig}`,
      `--kubeconfig=${kubeconfig}`,
      `--root-dir=${paths.kubeletRoot}`,
      `--hostname-override=${nodeName}`,
      `--node-ip=${hostIP}`,
      `--node-labels=${Object.entries(nodeLabels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}`,
    ]);
    writeFileSync(paths.kubeProxyConfig, kubeProxyConfig(kubeconfig));
    start('kube-proxy', tools.kubenode, ['kube-proxy', `--config=${paths.kubeProxyConfig}`]);
    const kubectl = (args: string[], input?: string) =>
      controlPlane
        ? controlPlane.kubectl(args, input === undefined ? {} : { input })
        : Promise.reject(new Error('no control plane'));

    await waitFor(
      'the node to register',
      120_000,
      async () => {
        const r = await kubectl(['get', 'node', nodeName, '-o', 'name']);
        return r.code === 0 ? true : undefined;
      },
      failed,
    );
    // kube-router finds its node by name, so it starts once the node has registered.
    start('kube-router', tools.kubeRouter, [
      `--kubeconfig=${kubeconfig}`,
      '--run-firewall=true',
      '--run-router=false',
      '--run-service-proxy=false',
      // A full resync of the policy rules every 15 s (the default is 5 minutes) bounds how long a pod
      // update that an event-driven sync missed stays unenforced or wrongly refused.
      '--iptables-sync-period=15s',
      `--hostname-override=${nodeName}`,
      '--metrics-port=0',
      // Each sync's start and duration in the log, to line up with a refused edge.
      '--v=1',
    ]);
    // Extended resources are advertised through the node's status, as a device plugin would.
    const gpu = await kubectl([
      'patch',
      'node',
      nodeName,
      '--subresource=status',
      '--type=json',
      `-p=[{"op":"add","path":"/status/capacity/nvidia.com~1gpu","value":"${advertisedGpus}"}]`,
    ]);
    if (gpu.code !== 0) throw new Error(`cluster: advertising GPUs failed: ${gpu.stderr}`);
    await waitFor(
      'the node to be Ready',
      180_000,
      async () => {
        const r = await kubectl([
          'get',
          'node',
          nodeName,
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        ]);
        return r.stdout.trim() === 'True' ? true : undefined;
      },
      failed,
    );
    timings.node = since();
    log(`cluster: node ${nodeName} Ready (${since()}s)`);

    const addons = [
      ...corednsManifests(),
      // The GPU components name this RuntimeClass; here it is plain runc.
      { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'nvidia' }, handler: 'runc' },
    ];
    const applied = await kubectl(['apply', '-f', '-'], addons.map((o) => `---\n${kubeYaml(o)}`).join(''));
    if (applied.code !== 0) throw new Error(`cluster: applying the add-ons failed: ${applied.stderr}`);
    await waitFor(
      'CoreDNS to be Available',
      180_000,
      async () => {
        const r = await kubectl([
          '-n',
          'kube-system',
          'get',
          'deployment',
          'coredns',
          '-o',
          'jsonpath={.status.availableReplicas}',
        ]);
        return r.stdout.trim() === '1' ? true : undefined;
      },
      failed,
    );
    timings.dns = since();
    log(`cluster: CoreDNS Available (${since()}s)`);

    const pids: Record<string, number> = {};
    for (const [name, child] of children) pids[name] = child.pid ?? -1;
    pids.etcd = controlPlane.pids.etcd;
    pids['kube-apiserver'] = controlPlane.pids.apiserver;
    return { kubeconfig, hostIP, controlPlane, kubectl, pids, timings, failed, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
