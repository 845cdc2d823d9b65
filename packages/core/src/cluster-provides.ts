// What an environment's manifests reference but the cluster provides: the namespaces of the ingress
// gateway, monitoring and the data stores its NetworkPolicies admit, the secret store its ExternalSecrets
// read, the GPU runtime its GPU workloads ask for. Written beside the overlay as cluster-provides.yaml
// (not a resource of the kustomization, so Argo CD never applies it); the validator resolves references
// against it (`validate-manifests --provided`), and a reviewer sees every assumption about the cluster.
import { stringify } from 'yaml';
import type { ServiceSpec } from './catalog.ts';
import { enabledComponents } from './components.ts';
import type { EnvConfig } from './env-config.ts';
import { platform } from './platform.ts';

export const clusterProvidesFile = 'cluster-provides.yaml';

interface Provided {
  kind: string;
  name: string;
  why: string;
}

export function clusterProvides(env: EnvConfig, catalog: readonly ServiceSpec[]): Provided[] {
  const dataNamespaces = [...new Set(Object.values(platform.dataStores).map((s) => s.namespace))].sort();
  const provided: Provided[] = [
    {
      kind: 'Namespace',
      name: platform.ingressGatewayNamespace,
      why: 'the Istio ingress gateway runs there; public services admit its traffic',
    },
    {
      kind: 'Namespace',
      name: platform.monitoringNamespace,
      why: 'Prometheus runs there; every service admits its scrapes',
    },
    ...dataNamespaces.map((name) => ({
      kind: 'Namespace',
      name,
      why: 'the data stores (PostgreSQL, Redis, Kafka) run there, installed by their operators',
    })),
    {
      kind: 'ClusterSecretStore',
      name: platform.secrets.store,
      why: "External Secrets' store for the environment's cloud secret manager, installed with the cluster",
    },
  ];
  if (enabledComponents(env, catalog).length > 0) {
    provided.push({
      kind: 'RuntimeClass',
      name: platform.gpu.runtimeClassName,
      why: 'installed by the GPU operator on the GPU node pools',
    });
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
