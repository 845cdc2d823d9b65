// The label conventions: every object carries the full recommended set; selectors use only
// name + instance, because selectors are immutable and must survive a version bump.
import type { ServiceSpec } from './catalog.ts';
import { platform } from './platform.ts';

export type Labels = Record<string, string>;

export function selectorLabels(spec: Pick<ServiceSpec, 'name'>): Labels {
  return {
    'app.kubernetes.io/name': spec.name,
    'app.kubernetes.io/instance': `${platform.partOf}-${spec.name}`,
  };
}

/**
 * A service's pods by instance only: Flagger's `-primary` copy of a canary target keeps the instance label
 * (only its name label changes), so this selects whichever of the two serves.
 */
export function instanceLabels(spec: Pick<ServiceSpec, 'name'>): Labels {
  const key = 'app.kubernetes.io/instance';
  return { [key]: selectorLabels(spec)[key] as string };
}

/**
 * The selector of a Flagger canary's primary pods: Flagger copies the target's pod labels and appends
 * `-primary` to the one selector label it recognises (`app.kubernetes.io/name`).
 */
export function primaryLabels(spec: Pick<ServiceSpec, 'name'>): Labels {
  return { ...selectorLabels(spec), 'app.kubernetes.io/name': `${spec.name}-primary` };
}

export function serviceLabels(spec: ServiceSpec): Labels {
  return {
    ...selectorLabels(spec),
    'app.kubernetes.io/component': spec.component,
    'app.kubernetes.io/part-of': platform.partOf,
    'app.kubernetes.io/managed-by': platform.managedBy,
  };
}

export const versionLabel = 'app.kubernetes.io/version';

/**
 * Marks a headless Service (the per-pod DNS of a StatefulSet): it selects the same pods as the service's
 * ClusterIP Service, so a ServiceMonitor must leave it out or every pod is scraped twice.
 */
export const headlessLabel = 'neurascale.io/headless';

/**
 * Workloads and their pod templates also carry the version they run. Other objects of a service do not:
 * their content does not change with a release, so a version label there would only add diff noise.
 */
export function workloadLabels(spec: ServiceSpec, version: string): Labels {
  return { ...serviceLabels(spec), [versionLabel]: version };
}

/** Labels for objects that belong to the tier rather than to one service (namespace, shared policies). */
export function tierLabels(component: string): Labels {
  return {
    'app.kubernetes.io/name': platform.partOf,
    'app.kubernetes.io/instance': platform.partOf,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': platform.partOf,
    'app.kubernetes.io/managed-by': platform.managedBy,
  };
}
