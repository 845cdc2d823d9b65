// Shared platform facts the application tier depends on. One place, so that a namespace or port
// used by a NetworkPolicy and by an app config can never drift apart.
import type { DataStoreName, SecretKey } from './catalog.ts';

export const platform = {
  partOf: 'neural-engine',
  managedBy: 'neurascale-deploy',
  appNamespace: 'neural-engine',
  /** Pod Security Admission level the app namespace enforces. */
  podSecurityLevel: 'restricted',
  imageRegistry: 'europe-west4-docker.pkg.dev/neurascale/neural-engine',
  /** The base pins a released tag so that it renders on its own; each environment chooses its tags. */
  baseImageTag: '1.0.0',
  /** Non-root identity baked into every Neural Engine image. */
  runAsUser: 10001,
  /** Seconds a pod keeps serving after removal from endpoints, so load balancers stop sending to it. */
  preStopSleepSeconds: 10,
  minReadySeconds: 10,
  ingressGatewayNamespace: 'istio-ingress',
  monitoringNamespace: 'monitoring',
  dns: { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' }, port: 53 },
  dataStores: {
    postgresql: {
      namespace: 'neural-data',
      port: 5432,
      podLabels: { 'cnpg.io/cluster': 'neural-engine-db' },
    },
    redis: { namespace: 'neural-data', port: 6379, podLabels: { 'app.kubernetes.io/name': 'redis' } },
    kafka: { namespace: 'neural-data', port: 9092, podLabels: { 'strimzi.io/cluster': 'neural-engine' } },
  } satisfies Record<DataStoreName, { namespace: string; port: number; podLabels: Record<string, string> }>,
  secrets: {
    /** ClusterSecretStore backed by the environment's cloud secret manager (one per cluster). */
    store: 'gcp-secret-manager',
    refreshInterval: '1h',
    /** Remote secret names; each environment's store points at its own project. */
    remoteKeys: {
      'database-url': 'neural-engine-database-url',
      'redis-url': 'neural-engine-redis-url',
      'jwt-secret': 'neural-engine-jwt-secret',
    } satisfies Record<SecretKey, string>,
  },
  gpu: {
    resource: 'nvidia.com/gpu',
    runtimeClassName: 'nvidia',
    toleration: { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
  },
} as const;

export const secretEnvNames: Record<SecretKey, string> = {
  'database-url': 'DATABASE_URL',
  'redis-url': 'REDIS_URL',
  'jwt-secret': 'JWT_SECRET',
};
