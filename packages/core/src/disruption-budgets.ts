// PodDisruptionBudgets that protect availability during node drains yet always allow one eviction,
// so a drain never blocks (maxUnavailable: 1 holds at any replica count, including 1 in dev).
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { ServiceSpec } from './catalog.ts';
import { selectorLabels, serviceLabels } from './labels.ts';
import { platform } from './platform.ts';

export function buildDisruptionBudget(spec: ServiceSpec): PodDisruptionBudget {
  return new PodDisruptionBudget({
    metadata: { name: spec.name, namespace: platform.appNamespace, labels: serviceLabels(spec) },
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: selectorLabels(spec) },
      // A crash-looping pod must not hold a node drain hostage.
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  });
}
