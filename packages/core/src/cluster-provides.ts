// What an environment's manifests reference but the cluster provides: the namespaces of the Gateway
// proxy, monitoring and Velero namespaces, the proxy's pods and identity and its
// GatewayClass, Istio's root namespace, Flagger's load tester and the -primary pods Flagger creates, the
// secret store its ExternalSecrets read, the GPU runtime its GPU workloads ask for, and the Prometheus metrics
// its rules, dashboards and autoscalers query (kind PrometheusMetric). Written beside the overlay as cluster-provides.yaml
// (not a resource of the kustomization, so Argo CD never applies it); the validator resolves references
// against it (`validate-manifests --provided`), and a reviewer sees every assumption about the cluster.
import { stringify } from 'yaml';
import { type MetricType, type ServiceSpec, serviceByName } from './catalog.ts';
import { enabledGpuComponents } from './components.ts';
import type { EnvConfig } from './env-config.ts';
import { primaryLabels, serviceLabels } from './labels.ts';
import { declaredMetrics } from './observability/metrics.ts';
import { platform } from './platform.ts';

export const clusterProvidesFile = 'cluster-provides.yaml';

interface Provided {
  kind: string;
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  metricType?: MetricType;
  why: string;
}

export function clusterProvides(env: EnvConfig, catalog: readonly ServiceSpec[]): Provided[] {
  const { traffic } = env;
  const proxy = platform.gateway.classes[traffic.gatewayClass];
  const provided: Provided[] = [
    {
      kind: 'Namespace',
      name: proxy.namespace,
      why: `the ${traffic.gatewayClass} Gateway proxy runs there (service account ${proxy.serviceAccount}); public services admit its traffic`,
    },
    {
      kind: 'Pod',
      name: `${platform.gateway.name}-${traffic.gatewayClass}`,
      namespace: proxy.namespace,
      labels: { ...proxy.podLabels },
      why:
        traffic.gatewayClass === 'istio'
          ? 'Istio deploys the Gateway proxy itself for the Gateway; the Gateway namespace policies select it'
          : "Traefik's install runs the Gateway proxy; the Gateway namespace policies select it",
    },
    {
      kind: 'ServiceAccount',
      name: proxy.serviceAccount,
      namespace: proxy.namespace,
      why: "the Gateway proxy's identity; public services' AuthorizationPolicies admit it",
    },
    {
      kind: 'GatewayClass',
      name: traffic.gatewayClass,
      why: `installed with ${traffic.gatewayClass === 'istio' ? 'Istio' : "Traefik's Gateway API provider"}; the Gateway names it`,
    },
    {
      kind: 'Namespace',
      name: platform.monitoringNamespace,
      why: 'Prometheus runs there; every service admits its scrapes',
    },
    {
      kind: 'Namespace',
      name: platform.backup.namespace,
      why: 'Velero runs there (installed by the platform) and reads its locations and schedules there',
    },
    {
      kind: 'Namespace',
      name: platform.secrets.operator.namespace,
      why: 'the External Secrets operator runs there (its chart, with the values in external-secrets/values/)',
    },
    {
      kind: 'ServiceAccount',
      name: platform.secrets.operator.serviceAccount,
      namespace: platform.secrets.operator.namespace,
      why: 'created by the External Secrets chart; the secret store authenticates as it (Workload Identity)',
    },
  ];
  if (traffic.mesh) {
    provided.push({
      kind: 'Namespace',
      name: platform.mesh.rootNamespace,
      why: "Istio's control plane (istiod) runs there; its PeerAuthentication is the mesh-wide default",
    });
  }
  if (traffic.canary) {
    const tester = platform.canary.loadTester;
    provided.push({
      kind: 'Namespace',
      name: tester.namespace,
      why: `Flagger's load tester runs there in the mesh (service account ${tester.serviceAccount}); the canary admits it`,
    });
    provided.push({
      kind: 'ServiceAccount',
      name: tester.serviceAccount,
      namespace: tester.namespace,
      why: "the identity of Flagger's load tester; the canary target's AuthorizationPolicy admits it",
    });
    const target = serviceByName(platform.canary.target);
    provided.push({
      kind: 'Deployment',
      name: `${target.name}-primary`,
      namespace: platform.appNamespace,
      why: "Flagger's copy of the canary target, which serves the traffic; the target's VPA recommends for it",
    });
    provided.push({
      kind: 'Pod',
      name: `${target.name}-primary`,
      namespace: platform.appNamespace,
      labels: { ...serviceLabels(target), ...primaryLabels(target) },
      why: "Flagger's copy of the canary target (the -primary Deployment); its policies and budget select it",
    });
  }
  if (enabledGpuComponents(env, catalog).length > 0) {
    provided.push({
      kind: 'RuntimeClass',
      name: platform.gpu.runtimeClassName,
      why: 'installed by the GPU operator on the GPU node pools',
    });
  }
  // The metrics the environment's queries may read: the services' own and the platform exporters'.
  for (const metric of declaredMetrics(env, catalog)) {
    provided.push({ kind: 'PrometheusMetric', name: metric.name, metricType: metric.type, why: metric.why });
  }
  return provided;
}

export function renderClusterProvides(env: EnvConfig, catalog: readonly ServiceSpec[]): string {
  return stringify({
    apiVersion: 'validation.neurascale.io/v1',
    kind: 'ClusterProvides',
    provides: clusterProvides(env, catalog),
  });
}
