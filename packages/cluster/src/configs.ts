// The configuration files of the node's components, rendered from the cluster's paths and addresses.
// Each choice that differs from a stock node says why.
import { cgroupRoot, clusterImages, network, nodeName, paths } from './paths.ts';

export function containerdConfig(cniBinDir: string): string {
  return [
    'version = 2',
    `root = "${paths.containerdRoot}"`,
    `state = "${paths.containerdState}"`,
    // The opt plugin would create /opt/containerd; nothing here uses it.
    'disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
    '',
    '[grpc]',
    `  address = "${paths.containerdSocket}"`,
    '',
    '[plugins."io.containerd.grpc.v1.cri"]',
    `  sandbox_image = "${clusterImages.pause}"`,
    // The VM withholds CAP_SYS_RESOURCE from root: without this every sandbox fails to start.
    '  restrict_oom_score_adj = true',
    '  enable_selinux = false',
    '  [plugins."io.containerd.grpc.v1.cri".containerd]',
    '    snapshotter = "overlayfs"',
    '    default_runtime_name = "runc"',
    '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
    '      runtime_type = "io.containerd.runc.v2"',
    '      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
    '        SystemdCgroup = false',
    '  [plugins."io.containerd.grpc.v1.cri".cni]',
    `    bin_dir = "${cniBinDir}"`,
    `    conf_dir = "${paths.cniConf}"`,
    '',
  ].join('\n');
}

/**
 * One bridge for the node's pods, hairpin so a pod can reach itself via its Service. No NAT to the
 * outside: the cluster is offline, and a pod's packet must never leave the host (cluster.ts refuses it).
 */
export function cniConfig(): string {
  return `${JSON.stringify(
    {
      cniVersion: '0.4.0',
      name: 'neurascale-e2e',
      plugins: [
        {
          type: 'bridge',
          bridge: network.bridge,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            // IP allocations live in the cluster's folder, not in /var/lib/cni.
            dataDir: paths.cniData,
            ranges: [[{ subnet: network.podCidr }]],
            routes: [{ dst: '0.0.0.0/0' }],
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
        { type: 'loopback' },
      ],
    },
    null,
    2,
  )}\n`;
}

export function kubeletConfig(caFile: string): string {
  return `${JSON.stringify(
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      authentication: {
        anonymous: { enabled: false },
        webhook: { enabled: true },
        x509: { clientCAFile: caFile },
      },
      authorization: { mode: 'Webhook' },
      // cgroups v1 with the cgroupfs driver here; the kubelet refuses v1 unless told not to.
      cgroupDriver: 'cgroupfs',
      failCgroupV1: false,
      // Every pod below one cgroup of ours, so that teardown removes exactly what the cluster made.
      cgroupRoot,
      containerRuntimeEndpoint: `unix://${paths.containerdSocket}`,
      clusterDNS: [network.dnsServiceIP],
      clusterDomain: network.clusterDomain,
      resolvConf: paths.resolvConf,
      failSwapOn: false,
      readOnlyPort: 0,
      healthzPort: 0,
      // The node's sysctls stay as they are (teardown restores the few the kubelet would change).
      protectKernelDefaults: false,
      serializeImagePulls: false,
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      // A test machine's disk may be fuller than a real node's: evict only when it is truly full.
      evictionHard: { 'memory.available': '200Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
      maxPods: 110,
      podPidsLimit: 4096,
      shutdownGracePeriod: '0s',
    },
    null,
    2,
  )}\n`;
}

export function kubeProxyConfig(kubeconfig: string): string {
  return `${JSON.stringify(
    {
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      clientConnection: { kubeconfig },
      mode: 'iptables',
      clusterCIDR: network.clusterCidr,
      hostnameOverride: nodeName,
      // Leave the host's conntrack table size alone.
      conntrack: { maxPerCore: 0, min: 0 },
      // Not serving NodePorts on 127.0.0.1 keeps net.ipv4.conf.all.route_localnet untouched.
      iptables: { localhostNodePorts: false, masqueradeAll: false },
      healthzBindAddress: '',
      metricsBindAddress: '',
    },
    null,
    2,
  )}\n`;
}

/** The cluster's DNS: CoreDNS in kube-system with the labels the generated NetworkPolicies allow. */
export function corednsManifests(): object[] {
  const labels = { 'k8s-app': 'kube-dns' };
  const corefile = [
    '.:53 {',
    '    errors',
    '    health :8080',
    '    ready :8181',
    `    kubernetes ${network.clusterDomain} in-addr.arpa ip6.arpa {`,
    '        pods insecure',
    '        fallthrough in-addr.arpa ip6.arpa',
    '    }',
    '    cache 5',
    '}',
    '',
  ].join('\n');
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coredns', namespace: 'kube-system' } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'system:coredns' },
      rules: [
        {
          apiGroups: [''],
          resources: ['endpoints', 'services', 'pods', 'namespaces'],
          verbs: ['list', 'watch'],
        },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system:coredns' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:coredns' },
      subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace: 'kube-system' }],
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'coredns', namespace: 'kube-system' },
      data: { Corefile: corefile },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: 'kube-system', labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'coredns',
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65532,
              runAsGroup: 65532,
              seccompProfile: { type: 'RuntimeDefault' },
              // Port 53 without a capability: a non-root process gets no ambient capabilities here.
              sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
            },
            containers: [
              {
                name: 'coredns',
                image: clusterImages.coredns,
                imagePullPolicy: 'Never',
                args: ['-conf', '/etc/coredns/Corefile'],
                ports: [
                  { name: 'dns', containerPort: 53, protocol: 'UDP' },
                  { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                ],
                readinessProbe: { httpGet: { path: '/ready', port: 8181 }, periodSeconds: 2 },
                livenessProbe: { httpGet: { path: '/health', port: 8080 }, periodSeconds: 10 },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMounts: [{ name: 'config', mountPath: '/etc/coredns', readOnly: true }],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: 'coredns' } }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system', labels },
      spec: {
        clusterIP: network.dnsServiceIP,
        selector: labels,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ],
      },
    },
  ];
}
