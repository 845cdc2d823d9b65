// Multi-tenancy: each tenant of an environment (a team running its own workloads beside the Neural Engine)
// gets a namespace of its own that starts from nothing: restricted Pod Security, a ResourceQuota and a
// LimitRange, default-deny NetworkPolicies with only the tenant's declared flows (within its namespace,
// DNS, the app services it may call), and a Role for its team's group that cannot widen any of that (no
// RBAC, quota, limit or policy writes). The app side admits each tenant only to the services it declares.
import { AuthorizationPolicy } from '@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPolicyRule } from 'kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { LimitRange } from 'kubernetes-models/v1/LimitRange';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ResourceQuota } from 'kubernetes-models/v1/ResourceQuota';
import { portOf, type ServiceName, serviceByName } from './catalog.ts';
import type { EnvConfig, TenantConfig } from './env-config.ts';
import { instanceLabels, type Labels } from './labels.ts';
import { istiodEgressRule } from './mesh.ts';
import { podSecurityLabels } from './namespaces.ts';
import { dnsEgressRule, inNamespace, tcp } from './network-policies.ts';
import { platform } from './platform.ts';
import type { KubeObject } from './resource-set.ts';

export const tenantsFolder = 'tenants';
/** Marks a tenant's namespace with the tenant's name: the isolation rule (netpol-crosses-tenants) reads it. */
export const tenantLabel = 'neurascale.io/tenant';
export const tenantRole = 'tenant-member';

export function tenantNamespace(tenant: Pick<TenantConfig, 'name'>): string {
  return `tenant-${tenant.name}`;
}

function labels(tenant: TenantConfig, component: string): Labels {
  return {
    'app.kubernetes.io/name': tenantNamespace(tenant),
    'app.kubernetes.io/instance': tenantNamespace(tenant),
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': platform.partOf,
    'app.kubernetes.io/managed-by': platform.managedBy,
    [tenantLabel]: tenant.name,
  };
}

function apiPort(name: ServiceName): number {
  return portOf(serviceByName(name), 'http').containerPort;
}

/** What the team may do in its namespace: run and debug workloads; read, never change, its guard rails. */
const memberRules: IPolicyRule[] = [
  {
    apiGroups: [''],
    resources: ['configmaps', 'persistentvolumeclaims', 'pods', 'secrets', 'serviceaccounts', 'services'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  },
  { apiGroups: [''], resources: ['pods/exec', 'pods/portforward'], verbs: ['create'] },
  {
    apiGroups: [''],
    resources: ['events', 'limitranges', 'pods/log', 'resourcequotas'],
    verbs: ['get', 'list', 'watch'],
  },
  {
    apiGroups: ['apps'],
    resources: ['deployments', 'statefulsets'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  },
  { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get', 'list', 'watch'] },
  {
    apiGroups: ['batch'],
    resources: ['cronjobs', 'jobs'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  },
  {
    apiGroups: ['autoscaling'],
    resources: ['horizontalpodautoscalers'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  },
  {
    apiGroups: ['policy'],
    resources: ['poddisruptionbudgets'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list', 'watch'] },
];

function namespace(env: EnvConfig, tenant: TenantConfig): Namespace {
  return new Namespace({
    metadata: {
      name: tenantNamespace(tenant),
      labels: {
        ...labels(tenant, 'namespace'),
        ...podSecurityLabels('restricted'),
        // In the mesh, a tenant's pods get sidecars: mTLS identities are how the app side admits them.
        ...(env.traffic.mesh ? { 'istio-injection': 'enabled' } : {}),
      },
    },
  });
}

function networkPolicies(env: EnvConfig, tenant: TenantConfig): NetworkPolicy[] {
  const ns = tenantNamespace(tenant);
  const meta = (name: string) => ({ name, namespace: ns, labels: labels(tenant, 'network-policy') });
  const policies = [
    new NetworkPolicy({
      metadata: meta('default-deny-all'),
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    }),
    new NetworkPolicy({
      metadata: meta('allow-same-namespace'),
      spec: {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: {} }] }],
        egress: [{ to: [{ podSelector: {} }] }],
      },
    }),
    new NetworkPolicy({
      metadata: meta('allow-dns-egress'),
      spec: { podSelector: {}, policyTypes: ['Egress'], egress: [dnsEgressRule()] },
    }),
  ];
  if (tenant.allowedServices.length > 0) {
    policies.push(
      new NetworkPolicy({
        metadata: meta('allow-neural-engine-egress'),
        spec: {
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [...tenant.allowedServices].sort().map((service) => ({
            to: [
              {
                ...inNamespace(platform.appNamespace),
                podSelector: { matchLabels: instanceLabels({ name: service }) },
              },
            ],
            ports: tcp(apiPort(service)),
          })),
        },
      }),
    );
  }
  if (env.traffic.mesh) {
    policies.push(
      new NetworkPolicy({
        metadata: meta('allow-istiod-egress'),
        spec: { podSelector: {}, policyTypes: ['Egress'], egress: [istiodEgressRule()] },
      }),
    );
  }
  return policies;
}

/** The app namespace's side: each allowed service admits the tenant's namespace on its API port. */
function appSideAccess(env: EnvConfig, tenant: TenantConfig): KubeObject[] {
  return [...tenant.allowedServices].sort().flatMap((service) => {
    const name = `${service}-from-${tenantNamespace(tenant)}`;
    const metadata = { name, namespace: platform.appNamespace, labels: labels(tenant, 'tenant-access') };
    const policy = new NetworkPolicy({
      metadata,
      spec: {
        podSelector: { matchLabels: instanceLabels({ name: service }) },
        policyTypes: ['Ingress'],
        ingress: [{ from: [inNamespace(tenantNamespace(tenant))], ports: tcp(apiPort(service)) }],
      },
    });
    if (!env.traffic.mesh) return [policy];
    return [
      policy,
      new AuthorizationPolicy({
        metadata,
        spec: {
          selector: { matchLabels: instanceLabels({ name: service }) },
          action: 'ALLOW',
          rules: [
            {
              from: [{ source: { namespaces: [tenantNamespace(tenant)] } }],
              to: [{ operation: { ports: [String(apiPort(service))] } }],
            },
          ],
        },
      }),
    ];
  });
}

/** Every object of every tenant of the environment. */
export function tenantObjects(env: EnvConfig): KubeObject[] {
  return env.tenants.flatMap((tenant) => objectsOf(env, tenant));
}

/** One tenant's objects: its namespace and what is in it, and its access on the app side. */
export function objectsOf(env: EnvConfig, tenant: TenantConfig): KubeObject[] {
  const ns = tenantNamespace(tenant);
  const meta = (name: string, component: string) => ({
    name,
    namespace: ns,
    labels: labels(tenant, component),
  });
  return [
    namespace(env, tenant),
    new ResourceQuota({
      metadata: meta('tenant-quota', 'quota'),
      spec: {
        hard: {
          'requests.cpu': tenant.quota.cpu,
          'requests.memory': tenant.quota.memory,
          'limits.memory': tenant.quota.memory,
          'requests.storage': tenant.quota.storage,
          pods: String(tenant.quota.pods),
          // Nothing of a tenant is reachable from outside the cluster except through the platform's Gateway.
          'services.loadbalancers': '0',
          'services.nodeports': '0',
        },
      },
    }),
    // PriorityClasses are not guarded by RBAC: a tenant pod could name the platform's and preempt the app.
    // No pod of a tenant may run at any class above batch.
    new ResourceQuota({
      metadata: meta('tenant-no-priority', 'quota'),
      spec: {
        hard: { pods: '0' },
        scopeSelector: {
          matchExpressions: [
            {
              scopeName: 'PriorityClass',
              operator: 'In',
              values: (['platform-critical', 'realtime', 'standard'] as const).map(
                (tier) => platform.priorityClasses[tier].name,
              ),
            },
          ],
        },
      },
    }),
    new LimitRange({
      metadata: meta('tenant-defaults', 'quota'),
      spec: {
        limits: [
          {
            type: 'Container',
            defaultRequest: { cpu: '100m', memory: '128Mi' },
            default: { memory: '256Mi' },
          },
        ],
      },
    }),
    ...networkPolicies(env, tenant),
    new Role({ metadata: meta(tenantRole, 'rbac'), rules: memberRules }),
    new RoleBinding({
      metadata: meta(tenantRole, 'rbac'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: tenantRole },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: tenant.group }],
    }),
    ...appSideAccess(env, tenant),
  ];
}
