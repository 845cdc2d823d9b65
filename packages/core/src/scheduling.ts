// PriorityClasses: under node pressure the scheduler preempts lower tiers first, so the real-time signal
// path survives where batch work yields. Each service names its tier in the catalog; the classes are
// cluster-scoped and shared by every namespace of the tier.
import { PriorityClass } from 'kubernetes-models/scheduling.k8s.io/v1/PriorityClass';
import type { PriorityTier } from './catalog.ts';
import { tierLabels } from './labels.ts';
import { platform } from './platform.ts';

export function priorityClassName(tier: PriorityTier): string {
  return platform.priorityClasses[tier].name;
}

export function buildPriorityClasses(): PriorityClass[] {
  return Object.values(platform.priorityClasses).map(
    (c) =>
      new PriorityClass({
        metadata: { name: c.name, labels: tierLabels('scheduling') },
        value: c.value,
        globalDefault: false,
        description: c.description,
        ...('preemptionPolicy' in c ? { preemptionPolicy: c.preemptionPolicy } : {}),
      }),
  );
}
