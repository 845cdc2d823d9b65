// VerticalPodAutoscalers: one per service, recommendation-only in the base (`Off`: the recommender
// publishes requests in the VPA's status and changes nothing). An environment may let a VPA act on a
// service; it then acts only on the resources no HPA of that service scales on, because an HPA scaling on
// CPU utilisation and a VPA changing the CPU request chase each other. Sidecars (Istio's proxy) are left
// alone: their resources are the mesh's business.
import type { IContainerResourcePolicy } from '@kubernetes-models/autoscaler/autoscaling.k8s.io/v1/ContainerResourcePolicy';
import { VerticalPodAutoscaler } from '@kubernetes-models/autoscaler/autoscaling.k8s.io/v1/VerticalPodAutoscaler';
import type { ServiceSpec } from './catalog.ts';
import { serviceLabels } from './labels.ts';
import { platform } from './platform.ts';
import type { KubeObject } from './resource-set.ts';

/** What an environment may let a service's VPA do (VPA 1.8's modes, without the deprecated `Auto`). */
export const vpaUpdateModes = ['Off', 'Initial', 'Recreate', 'InPlaceOrRecreate'] as const;
export type VpaUpdateMode = (typeof vpaUpdateModes)[number];

type Resource = 'cpu' | 'memory';

/** The resources the service's HPA scales on (from the catalog, as autoscaling.ts builds it). */
export function hpaResources(spec: ServiceSpec): Resource[] {
  const scaling = spec.autoscaling;
  if (!scaling) return [];
  return ['cpu', ...(scaling.memoryUtilization ? (['memory'] as const) : [])];
}

/** The resources a VPA in an updating mode may change: those no HPA scales on. */
export function updatableResources(spec: ServiceSpec): Resource[] {
  const taken = hpaResources(spec);
  return (['cpu', 'memory'] as const).filter((r) => !taken.includes(r));
}

function containerPolicies(spec: ServiceSpec, mode: VpaUpdateMode): IContainerResourcePolicy[] {
  return [
    {
      containerName: spec.name,
      // Recommendations cover both; an update only what the HPA leaves alone.
      controlledResources: mode === 'Off' ? ['cpu', 'memory'] : updatableResources(spec),
      controlledValues: 'RequestsAndLimits',
      minAllowed: { ...spec.vertical.minAllowed },
      maxAllowed: { ...spec.vertical.maxAllowed },
    },
    { containerName: '*', mode: 'Off' },
  ];
}

export function vpaName(spec: ServiceSpec): string {
  return spec.name;
}

export function buildVerticalAutoscaler(spec: ServiceSpec): VerticalPodAutoscaler {
  return new VerticalPodAutoscaler({
    metadata: { name: vpaName(spec), namespace: platform.appNamespace, labels: serviceLabels(spec) },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: spec.kind, name: spec.name },
      updatePolicy: { updateMode: 'Off' },
      resourcePolicy: { containerPolicies: containerPolicies(spec, 'Off') },
    },
  });
}

/**
 * The overlay's patch when an environment lets the VPA act. A custom resource merges as a JSON merge patch
 * (lists are replaced), so the patch carries the whole policy list. Undefined for `Off` (the base's mode).
 */
export function verticalAutoscalerPatch(spec: ServiceSpec, mode: VpaUpdateMode): KubeObject | undefined {
  if (mode === 'Off') return undefined;
  if (updatableResources(spec).length === 0) {
    throw new Error(
      `${spec.name}: its HPA scales on ${hpaResources(spec).join(' and ')}, so its VPA can only recommend ("Off")`,
    );
  }
  return {
    apiVersion: 'autoscaling.k8s.io/v1',
    kind: 'VerticalPodAutoscaler',
    metadata: { name: vpaName(spec), namespace: platform.appNamespace },
    spec: {
      updatePolicy: { updateMode: mode },
      resourcePolicy: { containerPolicies: containerPolicies(spec, mode) },
    },
  } as KubeObject;
}
