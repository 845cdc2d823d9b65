// One ServiceAccount per workload. No Neural Engine service talks to the Kubernetes API, so no token
// is mounted.
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { ServiceSpec } from './catalog.ts';
import { serviceLabels } from './labels.ts';
import { platform } from './platform.ts';

export function buildServiceAccount(spec: ServiceSpec): ServiceAccount {
  return new ServiceAccount({
    metadata: { name: spec.name, namespace: platform.appNamespace, labels: serviceLabels(spec) },
    automountServiceAccountToken: false,
  });
}
