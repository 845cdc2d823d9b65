// Where the end-to-end cluster keeps its state, and the addresses it uses. One cluster per machine: the
// node's components bind fixed host ports and own host-wide state (iptables, a bridge, cgroups).
import { join } from 'node:path';
import { repoRoot } from '@neurascale/toolchain';

/** Data: etcd, containerd's images and snapshots, the kubelet's root, logs and the supervisor's state. */
export const stateRoot = '/var/lib/neurascale-cluster';
/** Runtime: sockets and containerd's state (short paths: a unix socket path has at most 107 bytes). */
export const runRoot = '/run/neurascale-cluster';

export const paths = {
  state: join(stateRoot, 'state.json'),
  supervisorPid: join(stateRoot, 'supervisor.pid'),
  /** Logs stay in the workspace (reports/cluster), so that they outlive a teardown and CI keeps them. */
  logs: join(repoRoot, 'reports', 'cluster'),
  controlPlane: join(stateRoot, 'controlplane'),
  containerdRoot: join(stateRoot, 'containerd'),
  containerdState: join(runRoot, 'containerd'),
  containerdSocket: join(runRoot, 'containerd.sock'),
  containerdConfig: join(stateRoot, 'containerd.toml'),
  cniConf: join(stateRoot, 'cni', 'net.d'),
  cniData: join(stateRoot, 'cni', 'ipam'),
  kubeletRoot: join(stateRoot, 'kubelet'),
  kubeletConfig: join(stateRoot, 'kubelet.yaml'),
  kubeProxyConfig: join(stateRoot, 'kube-proxy.yaml'),
  resolvConf: join(stateRoot, 'resolv.conf'),
  images: join(stateRoot, 'images'),
  volumes: join(stateRoot, 'volumes'),
} as const;

export const network = {
  /** The node's pods: one bridge, one /24 (the node's podCIDR, allocated by the controller manager). */
  clusterCidr: '10.244.0.0/16',
  podCidr: '10.244.0.0/24',
  bridge: 'nscale0',
  serviceCidr: '10.96.0.0/16',
  apiServiceIP: '10.96.0.1',
  dnsServiceIP: '10.96.0.10',
  clusterDomain: 'cluster.local',
} as const;

export const nodeName = 'e2e-node';
/** Cgroup parent of every pod (under each cgroup v1 controller), so teardown knows exactly what it made. */
export const cgroupRoot = '/neurascale-e2e';
/** Images the cluster itself needs, under names no manifest uses. */
export const clusterImages = {
  pause: 'localhost/neurascale-e2e/pause:1',
  coredns: 'localhost/neurascale-e2e/coredns:1',
  traefik: 'localhost/neurascale-e2e/traefik:1',
  prometheus: 'localhost/neurascale-e2e/prometheus:1',
  store: 'localhost/neurascale-e2e/store:1',
  client: 'localhost/neurascale-e2e/client:1',
} as const;
