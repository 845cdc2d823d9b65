// Cloud identity through GKE Workload Identity: a Kubernetes ServiceAccount annotated with a Google service
// account acts as it, with no key file anywhere. Exactly the service accounts that call Google Cloud get
// the annotation: the services whose catalog entry says why (`cloudAccess`), and the platform's operators
// that read the secret manager or write backups and logs (their charts' values carry it).
import type { ServiceSpec } from './catalog.ts';
import type { EnvConfig } from './env-config.ts';
import { platform } from './platform.ts';
import type { KubeObject } from './resource-set.ts';

export const workloadIdentityAnnotation = 'iam.gke.io/gcp-service-account';

/** The Google service account `account` of the environment's project. */
export function googleServiceAccount(account: string, env: EnvConfig): string {
  return `${account}@${env.cluster.project}.iam.gserviceaccount.com`;
}

/** The overlay's patch that binds a cloud-calling service's ServiceAccount to its Google service account. */
export function workloadIdentityPatch(spec: ServiceSpec, env: EnvConfig): KubeObject | undefined {
  if (!spec.cloudAccess) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name: spec.name,
      namespace: platform.appNamespace,
      annotations: { [workloadIdentityAnnotation]: googleServiceAccount(spec.name, env) },
    },
  } as KubeObject;
}
