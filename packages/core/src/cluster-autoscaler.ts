// The cluster-autoscaler, for an environment whose cluster has no managed node autoscaler (GKE runs its own,
// and a second one would fight it, so a `gke` environment gets nothing). It scales node groups the cloud
// provider discovers, picks among them with the priority expander (whose table is the ConfigMap it reads),
// and scales down with the spec's settings. Image from registry.k8s.io (k8s.gcr.io is frozen).
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import type { IPolicyRule } from 'kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { stringify } from 'yaml';
import type { ClusterAutoscalerConfig, EnvConfig } from './env-config.ts';
import type { Labels } from './labels.ts';
import { platform } from './platform.ts';
import type { KubeObject } from './resource-set.ts';
import { priorityClassName } from './scheduling.ts';

export const clusterAutoscalerFolder = 'cluster-autoscaler';

const name = 'cluster-autoscaler';
const namespace = 'kube-system';
/** The ConfigMap the priority expander reads; the name is fixed by the autoscaler. */
export const priorityExpanderConfigMap = 'cluster-autoscaler-priority-expander';
const statusConfigMap = 'cluster-autoscaler-status';
const port = 8085;

type SelfManaged = Extract<ClusterAutoscalerConfig, { type: 'self-managed' }>;

function labels(): Labels {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/component': 'node-autoscaler',
    'app.kubernetes.io/part-of': platform.partOf,
    'app.kubernetes.io/managed-by': platform.managedBy,
  };
}

const selector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name };

/** The spec's scale-down settings, the priority expander and the node groups the provider discovers. */
export function clusterAutoscalerArgs(config: SelfManaged): string[] {
  return [
    `--cloud-provider=${config.cloudProvider}`,
    ...config.nodeGroupAutoDiscovery.map((d) => `--node-group-auto-discovery=${d}`),
    '--expander=priority',
    '--skip-nodes-with-local-storage=false',
    '--balance-similar-node-groups=true',
    '--scale-down-enabled=true',
    '--scale-down-delay-after-add=10m',
    '--scale-down-unneeded-time=10m',
    `--address=:${port}`,
    '--stderrthreshold=info',
    '--v=4',
  ];
}

/** The priority expander's table: `priority: [node group regex, ...]`, as the autoscaler parses it. */
export function expanderPriorities(config: SelfManaged): string {
  const table: Record<number, string[]> = {};
  for (const entry of config.expanderPriorities) {
    table[entry.priority] = [...(table[entry.priority] ?? []), ...entry.nodeGroups];
  }
  // YAML 1.1-safe: the autoscaler reads it with a YAML 1.1 parser.
  return stringify(table, { version: '1.1' });
}

const clusterRules: IPolicyRule[] = [
  { apiGroups: [''], resources: ['events', 'endpoints'], verbs: ['create', 'patch'] },
  { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
  { apiGroups: [''], resources: ['pods/status'], verbs: ['update'] },
  { apiGroups: [''], resources: ['endpoints'], resourceNames: [name], verbs: ['get', 'update'] },
  { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'update', 'watch'] },
  {
    apiGroups: [''],
    resources: [
      'namespaces',
      'persistentvolumeclaims',
      'persistentvolumes',
      'pods',
      'replicationcontrollers',
      'services',
    ],
    verbs: ['get', 'list', 'watch'],
  },
  {
    apiGroups: ['apps'],
    resources: ['daemonsets', 'replicasets', 'statefulsets'],
    verbs: ['get', 'list', 'watch'],
  },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['list', 'watch'] },
  {
    apiGroups: ['storage.k8s.io'],
    resources: ['csidrivers', 'csinodes', 'csistoragecapacities', 'storageclasses', 'volumeattachments'],
    verbs: ['get', 'list', 'watch'],
  },
  { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    resourceNames: [name],
    verbs: ['get', 'update'],
  },
];

const namespaceRules: IPolicyRule[] = [
  { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'list', 'watch'] },
  {
    apiGroups: [''],
    resources: ['configmaps'],
    resourceNames: [statusConfigMap, priorityExpanderConfigMap],
    verbs: ['delete', 'get', 'update', 'watch'],
  },
];

function deployment(config: SelfManaged): Deployment {
  return new Deployment({
    metadata: { name, namespace, labels: labels() },
    spec: {
      // One active instance; a second replica would only wait for the leader lease.
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: labels() },
        spec: {
          serviceAccountName: name,
          // It watches and updates nodes and evicts pods: it talks to the API.
          automountServiceAccountToken: true,
          priorityClassName: priorityClassName('platform-critical'),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65534,
            runAsGroup: 65534,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name,
              image: `registry.k8s.io/autoscaling/cluster-autoscaler:${config.version}`,
              command: ['./cluster-autoscaler'],
              args: clusterAutoscalerArgs(config),
              ports: [{ name: 'http', containerPort: port }],
              resources: { requests: { cpu: '100m', memory: '300Mi' }, limits: { memory: '600Mi' } },
              livenessProbe: { httpGet: { path: '/health-check', port: 'http' }, periodSeconds: 10 },
              readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 10 },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
        },
      },
    },
  });
}

/** The self-managed cluster-autoscaler's objects; none where the cluster scales its own nodes. */
export function clusterAutoscalerObjects(env: EnvConfig): KubeObject[] {
  const config = env.cluster.autoscaler;
  if (config.type !== 'self-managed') return [];
  const subject = { kind: 'ServiceAccount', name, namespace };
  return [
    new ServiceAccount({ metadata: { name, namespace, labels: labels() } }),
    new ClusterRole({ metadata: { name, labels: labels() }, rules: clusterRules }),
    new ClusterRoleBinding({
      metadata: { name, labels: labels() },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [subject],
    }),
    new Role({ metadata: { name, namespace, labels: labels() }, rules: namespaceRules }),
    new RoleBinding({
      metadata: { name, namespace, labels: labels() },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [subject],
    }),
    new ConfigMap({
      metadata: { name: priorityExpanderConfigMap, namespace, labels: labels() },
      data: { priorities: expanderPriorities(config) },
    }),
    deployment(config),
    new PodDisruptionBudget({
      metadata: { name, namespace, labels: labels() },
      spec: {
        maxUnavailable: 1,
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
        selector: { matchLabels: selector },
      },
    }),
  ];
}
