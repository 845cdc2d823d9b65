// Secrets reach pods through External Secrets Operator: an ExternalSecret per service names only the keys
// that service needs, and the operator writes the Secret the pod references. No value is ever in Git.
import { ExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';
import type { ServiceSpec } from './catalog.ts';
import { serviceLabels } from './labels.ts';
import { platform } from './platform.ts';

export function secretName(spec: ServiceSpec): string {
  return `${spec.name}-secrets`;
}

export function buildExternalSecret(spec: ServiceSpec): ExternalSecret | undefined {
  if (spec.secretKeys.length === 0) return undefined;
  return new ExternalSecret({
    metadata: { name: secretName(spec), namespace: platform.appNamespace, labels: serviceLabels(spec) },
    spec: {
      refreshInterval: platform.secrets.refreshInterval,
      secretStoreRef: { kind: 'ClusterSecretStore', name: platform.secrets.store },
      // Retain: a provider outage must not delete the Secret that running pods read.
      target: { name: secretName(spec), creationPolicy: 'Owner', deletionPolicy: 'Retain' },
      data: spec.secretKeys.map((key) => ({
        secretKey: key,
        remoteRef: { key: platform.secrets.remoteKeys[key] },
      })),
    },
  });
}
