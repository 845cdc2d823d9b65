// Shared platform facts the application tier depends on. One place, so that a namespace or port
// used by a NetworkPolicy and by an app config can never drift apart.
import type { DataStoreName, PriorityTier, SecretKey } from './catalog.ts';

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
  mesh: {
    /** Istio's root namespace: a PeerAuthentication there is mesh-wide. */
    rootNamespace: 'istio-system',
    trustDomain: 'cluster.local',
    istiod: { podLabels: { app: 'istiod' }, xdsPort: 15012 },
    /** The sidecar's merged Prometheus endpoint (its own and the app's metrics), outside mTLS. */
    metricsPort: 15020,
  },
  gateway: {
    /** One Gateway per environment, named for the product; its listeners carry the environment's hosts. */
    name: 'neural-engine',
    tlsSecret: 'neural-engine-tls',
    /**
     * The Gateway API implementations an environment may choose. The Gateway lives in the namespace its
     * proxy runs in; that proxy's pods and service account are what policies admit.
     */
    classes: {
      // Istio deploys the proxy for a Gateway itself, named <gateway>-istio, in the Gateway's namespace.
      istio: {
        namespace: 'istio-ingress',
        podLabels: { 'gateway.networking.k8s.io/gateway-name': 'neural-engine' },
        serviceAccount: 'neural-engine-istio',
        ports: { http: 80, https: 443 },
        healthPort: 15021,
      },
      // Traefik's own install (its chart) runs the proxy; its pods join the mesh with a sidecar that
      // leaves inbound traffic alone, so they reach STRICT mTLS backends.
      traefik: {
        namespace: 'traefik',
        podLabels: { 'app.kubernetes.io/name': 'traefik' },
        serviceAccount: 'traefik',
        ports: { http: 8000, https: 8443 },
        healthPort: 8080,
      },
    },
  },
  canary: {
    /** The service that rolls out through a Flagger canary where an environment turns `traffic.canary` on. */
    target: 'api-gateway',
    /** Flagger's load tester (installed with Flagger, in the mesh) drives traffic at a canary under analysis. */
    loadTester: {
      namespace: 'flagger-system',
      name: 'flagger-loadtester',
      serviceAccount: 'flagger-loadtester',
    },
    /** Where Flagger's metric queries go: the Prometheus of the monitoring namespace. */
    prometheus: 'http://prometheus-operated.monitoring:9090',
  },
  monitoringNamespace: 'monitoring',
  /** Velero (installed by the platform) runs in this namespace and reads its configuration there. */
  backup: { namespace: 'velero', provider: 'velero.io/gcp' },
  /** This repository: alerts link their runbook sections in it, and Argo CD reads the generated tree from it. */
  repository: { url: 'https://github.com/neurascale/neural-engine-deploy', revision: 'main' },
  monitoring: {
    /**
     * The label the platform's Prometheus (prometheus-operator) selects ServiceMonitors, PodMonitors and
     * PrometheusRules by; its install sets the same selectors.
     */
    selectorLabels: { 'monitoring.neurascale.io/prometheus': 'platform' },
    scrapeInterval: '30s',
    ruleInterval: '30s',
    /** Grafana's dashboard sidecar loads ConfigMaps with this label, into the folder the annotation names. */
    grafana: {
      dashboardLabel: { grafana_dashboard: '1' },
      folderAnnotation: 'grafana_folder',
      folder: 'Neural Engine',
      datasource: { type: 'prometheus', uid: 'prometheus' },
    },
    /** prometheus-adapter (custom metrics API) reads its rules from this ConfigMap (chart: rules.existing). */
    adapterConfigMap: 'prometheus-adapter-rules',
  },
  dns: { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' }, port: 53 },
  /** Where the in-cluster data stores run (data-stores.ts); managed stores run outside the cluster. */
  dataStoreNamespace: 'neural-data',
  /** The in-cluster data stores: official images, one StatefulSet each (data-stores.ts). */
  dataStores: {
    postgresql: {
      namespace: 'neural-data',
      service: 'postgresql',
      port: 5432,
      image: 'docker.io/library/postgres:17.6',
      podLabels: {
        'app.kubernetes.io/name': 'postgresql',
        'app.kubernetes.io/instance': 'neural-engine-postgresql',
      },
    },
    redis: {
      namespace: 'neural-data',
      service: 'redis',
      port: 6379,
      // Valkey: the BSD-licensed continuation of Redis, the same protocol and commands.
      image: 'docker.io/valkey/valkey:8.1.3',
      podLabels: { 'app.kubernetes.io/name': 'valkey', 'app.kubernetes.io/instance': 'neural-engine-redis' },
    },
    kafka: {
      namespace: 'neural-data',
      service: 'kafka',
      port: 9092,
      image: 'docker.io/apache/kafka:4.1.0',
      podLabels: { 'app.kubernetes.io/name': 'kafka', 'app.kubernetes.io/instance': 'neural-engine-kafka' },
    },
  } satisfies Record<
    DataStoreName,
    { namespace: string; service: string; port: number; image: string; podLabels: Record<string, string> }
  >,
  secrets: {
    /** ClusterSecretStore backed by the environment's cloud secret manager (one per cluster). */
    store: 'gcp-secret-manager',
    /**
     * The External Secrets operator: its chart at the version of the CRDs the validator checks against
     * (packages/toolchain/versions.json), its namespace and ServiceAccount (the chart creates it), and the
     * Google service account that reads the secret manager.
     */
    operator: {
      chart: { repository: 'https://charts.external-secrets.io', name: 'external-secrets', version: '1.3.2' },
      namespace: 'external-secrets',
      serviceAccount: 'external-secrets',
      googleAccount: 'external-secrets',
    },
    refreshInterval: '1h',
    /** Remote secret names; each environment's store points at its own project. */
    remoteKeys: {
      'database-url': 'neural-engine-database-url',
      'redis-url': 'neural-engine-redis-url',
      'jwt-secret': 'neural-engine-jwt-secret',
    } satisfies Record<SecretKey, string>,
  },
  /**
   * The PriorityClasses (scheduling.ts). Values stay far below the system classes (2,000,000,000) so that
   * node-critical pods still win; batch work never preempts anything.
   */
  priorityClasses: {
    'platform-critical': {
      name: 'neurascale-platform-critical',
      value: 1_000_000,
      description:
        "The platform's own controllers (cluster autoscaler, ingress, mesh control plane, monitoring): everything else depends on them",
    },
    realtime: {
      name: 'neurascale-realtime',
      value: 100_000,
      description:
        'The real-time signal path (device sessions, processing, live streams): keeps running when nodes are short',
    },
    standard: {
      name: 'neurascale-standard',
      value: 10_000,
      description: 'Interactive APIs: yield to the real-time path, outrank batch work',
    },
    batch: {
      name: 'neurascale-batch',
      value: 1_000,
      preemptionPolicy: 'Never',
      description: 'Training and batch inference: first to be preempted, never preempts others',
    },
  } satisfies Record<
    PriorityTier,
    { name: string; value: number; description: string; preemptionPolicy?: 'Never' }
  >,
  gpu: {
    resource: 'nvidia.com/gpu',
    runtimeClassName: 'nvidia',
    toleration: { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
  },
} as const;

/** The namespaces the data stores run in, sorted. */
export function dataStoreNamespaces(): string[] {
  return [...new Set(Object.values(platform.dataStores).map((s) => s.namespace))].sort();
}

export const secretEnvNames: Record<SecretKey, string> = {
  'database-url': 'DATABASE_URL',
  'redis-url': 'REDIS_URL',
  'jwt-secret': 'JWT_SECRET',
};
