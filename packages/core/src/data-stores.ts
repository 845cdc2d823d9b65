// The data stores the services use (PostgreSQL, a Redis-compatible cache, Kafka), per environment:
//
// - `in-cluster` (dev): official images, no operator: PostgreSQL (`postgres`), Valkey (the Linux
//   Foundation's BSD-licensed Redis fork, Redis protocol on 6379) and Apache Kafka in KRaft mode (`apache/kafka`),
//   one StatefulSet each in `neural-data`, behind default-deny policies that admit only the services the
//   catalog says use them. Every kind is core Kubernetes, so every object validates offline (the operators'
//   CRDs, CloudNativePG's and Strimzi's, cannot be fetched here; docs/platform.md says more).
// - `managed` (staging, production): Cloud SQL, Memorystore and Google's managed Kafka. Nothing runs in the
//   cluster; credentials arrive by ExternalSecret as they always do, and the services may reach each store's
//   private address range only (plus, in the mesh, a ServiceEntry so the sidecar lets the connection out).
//
// The services' egress to the stores is generated here per environment (`<service>-to-data-stores`), not in
// the base, because where the stores are differs.

import { ExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';
import { ServiceEntry } from '@kubernetes-models/istio/networking.istio.io/v1/ServiceEntry';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { type DataStoreName, type ServiceSpec, services } from './catalog.ts';
import type { EnvConfig } from './env-config.ts';
import { instanceLabels, type Labels, serviceLabels } from './labels.ts';
import { podSecurityLabels } from './namespaces.ts';
import { dnsEgressRule, inNamespace, tcp } from './network-policies.ts';
import { platform } from './platform.ts';
import type { KubeObject } from './resource-set.ts';
import { priorityClassName } from './scheduling.ts';

export const dataStoresFolder = 'data-stores';
const ns = platform.dataStoreNamespace;
export const dataStoreNames: readonly DataStoreName[] = ['postgresql', 'redis', 'kafka'];

function labels(store: DataStoreName, component = 'data-store'): Labels {
  const s = platform.dataStores[store];
  return {
    ...s.podLabels,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': platform.partOf,
    'app.kubernetes.io/managed-by': platform.managedBy,
  };
}

/** The stores that `catalog` services use, and who uses each. */
function users(store: DataStoreName, catalog: readonly ServiceSpec[]): ServiceSpec[] {
  return catalog.filter((s) => s.dataStores.includes(store));
}

const restricted = (uid: number) => ({
  runAsNonRoot: true,
  runAsUser: uid,
  runAsGroup: uid,
  fsGroup: uid,
  fsGroupChangePolicy: 'OnRootMismatch' as const,
  seccompProfile: { type: 'RuntimeDefault' as const },
});
const lockedDown = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

/** Base64url of 16 bytes named after the environment: Kafka's KRaft cluster id, stable across restarts. */
export function kafkaClusterId(environment: string): string {
  return Buffer.from(`nscale-${environment}`.padEnd(16, '-').slice(0, 16)).toString('base64url');
}

interface StoreShape {
  container: IContainer;
  uid: number;
  /** Claim for the data, if the store keeps any (the cache does not). */
  storage?: { mountPath: string; size: string };
  scratch: { name: string; mountPath: string }[];
  annotations?: Record<string, string>;
}

function shape(store: DataStoreName, env: EnvConfig): StoreShape {
  const s = platform.dataStores[store];
  const port = {
    name: store === 'redis' ? 'redis' : store === 'kafka' ? 'kafka' : 'postgresql',
    containerPort: s.port,
  };
  switch (store) {
    case 'postgresql':
      return {
        uid: 999,
        storage: { mountPath: '/var/lib/postgresql/data', size: '10Gi' },
        scratch: [
          { name: 'run', mountPath: '/var/run/postgresql' },
          { name: 'tmp', mountPath: '/tmp' },
        ],
        container: {
          name: 'postgresql',
          image: s.image,
          ports: [port],
          env: [
            { name: 'POSTGRES_USER', value: 'neural_engine' },
            { name: 'POSTGRES_DB', value: 'neural_engine' },
            // A subdirectory: the volume's root holds lost+found, which initdb refuses.
            { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
            {
              name: 'POSTGRES_PASSWORD',
              valueFrom: { secretKeyRef: { name: 'postgresql-credentials', key: 'password' } },
            },
          ],
          resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } },
          readinessProbe: {
            exec: { command: ['pg_isready', '-h', '127.0.0.1', '-U', 'neural_engine'] },
            periodSeconds: 10,
          },
          livenessProbe: { tcpSocket: { port: 'postgresql' }, periodSeconds: 20, failureThreshold: 6 },
          securityContext: lockedDown,
        },
      };
    case 'redis':
      return {
        uid: 999,
        scratch: [{ name: 'data', mountPath: '/data' }],
        container: {
          name: 'valkey',
          image: s.image,
          // A cache: nothing persisted, memory bounded, least recently used keys evicted first.
          args: [
            '--save',
            '',
            '--appendonly',
            'no',
            '--maxmemory',
            '200mb',
            '--maxmemory-policy',
            'allkeys-lru',
          ],
          ports: [port],
          resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '320Mi' } },
          readinessProbe: { exec: { command: ['valkey-cli', 'ping'] }, periodSeconds: 10 },
          livenessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 20, failureThreshold: 6 },
          securityContext: lockedDown,
        },
      };
    case 'kafka':
      return {
        uid: 1000,
        storage: { mountPath: '/var/lib/kafka/data', size: '20Gi' },
        scratch: [{ name: 'tmp', mountPath: '/tmp' }],
        annotations: {
          'validation.neurascale.io/suppress-readonly-root-fs-missing':
            "apache/kafka's start script writes server.properties under /opt/kafka/config from the KAFKA_* variables at every start",
        },
        container: {
          name: 'kafka',
          image: s.image,
          ports: [port, { name: 'controller', containerPort: 9093 }],
          env: [
            { name: 'KAFKA_NODE_ID', value: '1' },
            { name: 'KAFKA_PROCESS_ROLES', value: 'broker,controller' },
            { name: 'KAFKA_LISTENERS', value: `PLAINTEXT://:${s.port},CONTROLLER://:9093` },
            { name: 'KAFKA_ADVERTISED_LISTENERS', value: `PLAINTEXT://${s.service}.${ns}.svc:${s.port}` },
            { name: 'KAFKA_CONTROLLER_LISTENER_NAMES', value: 'CONTROLLER' },
            {
              name: 'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP',
              value: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
            },
            { name: 'KAFKA_CONTROLLER_QUORUM_VOTERS', value: '1@localhost:9093' },
            { name: 'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', value: '1' },
            { name: 'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR', value: '1' },
            { name: 'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR', value: '1' },
            { name: 'KAFKA_LOG_DIRS', value: '/var/lib/kafka/data/logs' },
            { name: 'KAFKA_HEAP_OPTS', value: '-Xms512m -Xmx512m' },
            { name: 'CLUSTER_ID', value: kafkaClusterId(env.environment) },
          ],
          resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { memory: '1536Mi' } },
          startupProbe: { tcpSocket: { port: 'kafka' }, periodSeconds: 5, failureThreshold: 36 },
          readinessProbe: { tcpSocket: { port: 'kafka' }, periodSeconds: 10 },
          livenessProbe: { tcpSocket: { port: 'controller' }, periodSeconds: 20, failureThreshold: 6 },
          securityContext: { ...lockedDown, readOnlyRootFilesystem: false },
        },
      };
  }
}

function storeObjects(store: DataStoreName, env: EnvConfig, catalog: readonly ServiceSpec[]): KubeObject[] {
  const s = platform.dataStores[store];
  const { container, uid, storage, scratch, annotations } = shape(store, env);
  const meta = (name: string) => ({ name, namespace: ns, labels: labels(store) });
  const selector = { ...s.podLabels };
  const mounts = [
    ...(storage ? [{ name: 'data', mountPath: storage.mountPath }] : []),
    ...scratch.map((v) => ({ name: v.name, mountPath: v.mountPath })),
  ];
  return [
    new ServiceAccount({ metadata: meta(s.service), automountServiceAccountToken: false }),
    new Service({
      metadata: meta(s.service),
      spec: {
        selector,
        ports: [{ name: String(container.ports?.[0]?.name), port: s.port, targetPort: s.port }],
      },
    }),
    new Service({
      metadata: {
        ...meta(`${s.service}-headless`),
        labels: { ...labels(store), 'neurascale.io/headless': 'true' },
      },
      spec: {
        clusterIP: 'None',
        selector,
        ports: [{ name: String(container.ports?.[0]?.name), port: s.port, targetPort: s.port }],
      },
    }),
    new StatefulSet({
      metadata: { ...meta(s.service), ...(annotations ? { annotations } : {}) },
      spec: {
        serviceName: `${s.service}-headless`,
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: labels(store) },
          spec: {
            serviceAccountName: s.service,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            priorityClassName: priorityClassName('realtime'),
            securityContext: restricted(uid),
            terminationGracePeriodSeconds: 60,
            containers: [{ ...container, volumeMounts: mounts }],
            volumes: scratch.map((v) => ({ name: v.name, emptyDir: {} })),
          },
        },
        ...(storage
          ? {
              volumeClaimTemplates: [
                {
                  metadata: { name: 'data', labels: labels(store) },
                  spec: {
                    accessModes: ['ReadWriteOnce'],
                    resources: { requests: { storage: storage.size } },
                  },
                },
              ],
            }
          : {}),
      },
    }),
    new PodDisruptionBudget({
      metadata: meta(s.service),
      spec: {
        maxUnavailable: 1,
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
        selector: { matchLabels: selector },
      },
    }),
    new NetworkPolicy({
      metadata: meta(s.service),
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: users(store, catalog).map((u) => ({
              ...inNamespace(platform.appNamespace),
              podSelector: { matchLabels: instanceLabels(u) },
            })),
            ports: tcp(s.port),
          },
        ],
      },
    }),
  ];
}

function namespaceObjects(): KubeObject[] {
  const tier = {
    'app.kubernetes.io/name': ns,
    'app.kubernetes.io/instance': ns,
    'app.kubernetes.io/component': 'network-policy',
    'app.kubernetes.io/part-of': platform.partOf,
    'app.kubernetes.io/managed-by': platform.managedBy,
  };
  return [
    new Namespace({
      metadata: {
        name: ns,
        labels: {
          ...tier,
          'app.kubernetes.io/component': 'namespace',
          ...podSecurityLabels('restricted'),
        },
      },
    }),
    new NetworkPolicy({
      metadata: { name: 'default-deny-all', namespace: ns, labels: tier },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    }),
    new NetworkPolicy({
      metadata: { name: 'allow-dns-egress', namespace: ns, labels: tier },
      spec: { podSelector: {}, policyTypes: ['Egress'], egress: [dnsEgressRule()] },
    }),
    // The password PostgreSQL starts with, from the dev project's secret manager like every secret.
    new ExternalSecret({
      metadata: { name: 'postgresql-credentials', namespace: ns, labels: labels('postgresql') },
      spec: {
        refreshInterval: platform.secrets.refreshInterval,
        secretStoreRef: { kind: 'ClusterSecretStore', name: platform.secrets.store },
        target: { name: 'postgresql-credentials', creationPolicy: 'Owner', deletionPolicy: 'Retain' },
        data: [{ secretKey: 'password', remoteRef: { key: 'neural-engine-postgres-password' } }],
      },
    }),
  ];
}

/** Each service's way to the stores it uses: their pods in-cluster, or their private ranges when managed. */
function serviceEgress(env: EnvConfig, catalog: readonly ServiceSpec[]): KubeObject[] {
  const config = env.dataStores;
  return catalog
    .filter((spec) => spec.dataStores.length > 0)
    .map((spec) => {
      const egress: INetworkPolicyEgressRule[] = spec.dataStores.map((store) => {
        const s = platform.dataStores[store];
        return config.mode === 'in-cluster'
          ? {
              to: [{ ...inNamespace(ns), podSelector: { matchLabels: { ...s.podLabels } } }],
              ports: tcp(s.port),
            }
          : { to: [{ ipBlock: { cidr: config[store].cidr } }], ports: tcp(config[store].port ?? s.port) };
      });
      return new NetworkPolicy({
        metadata: {
          name: `${spec.name}-to-data-stores`,
          namespace: platform.appNamespace,
          labels: serviceLabels(spec),
        },
        // By instance only: Flagger's -primary copy of a canary target (which serves) keeps the instance label.
        spec: { podSelector: { matchLabels: instanceLabels(spec) }, policyTypes: ['Egress'], egress },
      });
    });
}

/** In the mesh the sidecars let out only what the registry knows: the managed stores' ranges are entered. */
function managedServiceEntries(env: EnvConfig): KubeObject[] {
  const config = env.dataStores;
  if (config.mode !== 'managed' || !env.traffic.mesh) return [];
  return dataStoreNames.map((store) => {
    const s = platform.dataStores[store];
    const port = config[store].port ?? s.port;
    return new ServiceEntry({
      metadata: { name: `managed-${store}`, namespace: platform.appNamespace, labels: labels(store, 'mesh') },
      spec: {
        hosts: [`${store}.managed.${env.cluster.project}.internal`],
        addresses: [config[store].cidr],
        ports: [{ number: port, name: `tcp-${store}`, protocol: 'TCP' }],
        location: 'MESH_EXTERNAL',
        resolution: 'NONE',
        exportTo: ['.'],
      },
    });
  });
}

export function dataStoreObjects(env: EnvConfig, catalog: readonly ServiceSpec[] = services): KubeObject[] {
  return [
    ...(env.dataStores.mode === 'in-cluster'
      ? [...namespaceObjects(), ...dataStoreNames.flatMap((store) => storeObjects(store, env, catalog))]
      : []),
    ...serviceEgress(env, catalog),
    ...managedServiceEntries(env),
  ];
}
