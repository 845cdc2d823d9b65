// The ClusterSecretStore every ExternalSecret reads from: Google Secret Manager in the environment's own
// project, reached as the External Secrets operator's Google service account through Workload Identity
// (no key in the cluster). Only the namespaces of the application and its data may use it, so a tenant's
// ExternalSecret cannot read the application's secrets. The operator itself is a pinned chart whose values
// are written beside the store for GitOps to hand over.
import { ClusterSecretStore } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ClusterSecretStore';
import { stringify } from 'yaml';
import { googleServiceAccount, workloadIdentityAnnotation } from './cloud-identity.ts';
import type { EnvConfig } from './env-config.ts';
import { tierLabels } from './labels.ts';
import { dataStoreNamespaces, platform } from './platform.ts';

export const secretStoreFolder = 'external-secrets';

export function buildClusterSecretStore(env: EnvConfig): ClusterSecretStore {
  const operator = platform.secrets.operator;
  return new ClusterSecretStore({
    metadata: { name: platform.secrets.store, labels: tierLabels('secrets') },
    spec: {
      conditions: [{ namespaces: [platform.appNamespace, ...dataStoreNamespaces()] }],
      provider: {
        gcpsm: {
          projectID: env.cluster.project,
          auth: {
            workloadIdentity: {
              clusterProjectID: env.cluster.project,
              clusterLocation: env.cluster.region,
              clusterName: env.cluster.name,
              serviceAccountRef: { name: operator.serviceAccount, namespace: operator.namespace },
            },
          },
        },
      },
    },
  });
}

/** The subset of the external-secrets chart's values this platform sets. */
export interface ExternalSecretsValues {
  installCRDs: boolean;
  serviceAccount: { create: boolean; name: string; annotations: Record<string, string> };
  priorityClassName: string;
}

export function externalSecretsValues(env: EnvConfig): ExternalSecretsValues {
  const operator = platform.secrets.operator;
  return {
    installCRDs: true,
    serviceAccount: {
      create: true,
      name: operator.serviceAccount,
      annotations: { [workloadIdentityAnnotation]: googleServiceAccount(operator.googleAccount, env) },
    },
    priorityClassName: platform.priorityClasses['platform-critical'].name,
  };
}

export function externalSecretsValuesFile(env: EnvConfig): string {
  const chart = platform.secrets.operator.chart;
  return (
    `# Values of the ${chart.name} chart ${chart.version} (${chart.repository}) for ${env.environment}; ` +
    `the GitOps Application passes them.\n${stringify(externalSecretsValues(env), { lineWidth: 0, version: '1.1' })}`
  );
}
