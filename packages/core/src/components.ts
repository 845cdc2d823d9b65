// Optional features as Kustomize Components (`kind: Component`) under generated/components/: an
// environment's overlay lists the ones it turns on, and one that is off leaves nothing behind. The GPU
// switch is the first: per GPU-capable service, the GPU resource, the NVIDIA runtime class and the GPU
// taint toleration.
import { buildCanaryComponent, canaryComponent } from './canary.ts';
import { type ServiceSpec, serviceByName } from './catalog.ts';
import { buildChaosComponent, chaosComponent } from './chaos.ts';
import type { EnvConfig } from './env-config.ts';
import { type KustomizeDir, kustomizeDir } from './kustomization.ts';
import { buildMeshComponent, meshComponent } from './mesh.ts';
import { platform } from './platform.ts';
import type { KubeObject } from './resource-set.ts';

export const componentsDir = 'components';

export function gpuComponentName(spec: ServiceSpec): string {
  return `gpu-${spec.name}`;
}

function gpuPatch(spec: ServiceSpec): KubeObject {
  const { gpu } = platform;
  return {
    apiVersion: 'apps/v1',
    kind: spec.kind,
    metadata: { name: spec.name, namespace: platform.appNamespace },
    spec: {
      template: {
        spec: {
          runtimeClassName: gpu.runtimeClassName,
          tolerations: [{ ...gpu.toleration }],
          containers: [{ name: spec.name, resources: { limits: { [gpu.resource]: '1' } } }],
        },
      },
    },
  } as KubeObject;
}

const canaryTarget = () => serviceByName(platform.canary.target);

/** Every component, by directory name under components/. */
export function buildComponents(catalog: readonly ServiceSpec[]): Map<string, KustomizeDir> {
  const gpuCapable = catalog.filter((spec) => spec.gpuCapable);
  return new Map([
    [meshComponent, buildMeshComponent(catalog)],
    [canaryComponent(canaryTarget()), buildCanaryComponent(canaryTarget(), catalog)],
    [chaosComponent, buildChaosComponent()],
    ...gpuCapable.map(
      (spec) =>
        [gpuComponentName(spec), kustomizeDir({ kind: 'Component', patches: [gpuPatch(spec)] })] as const,
    ),
  ]);
}

/**
 * The components an environment turns on, by directory name, in the order they must apply: the mesh
 * before the canary (which deletes mesh routing that Flagger takes over), then the GPU switches.
 */
export function enabledComponents(env: EnvConfig, catalog: readonly ServiceSpec[]): string[] {
  return [
    ...(env.traffic.mesh ? [meshComponent] : []),
    ...(env.traffic.canary ? [canaryComponent(canaryTarget())] : []),
    ...(env.chaos ? [chaosComponent] : []),
    ...catalog
      .filter((spec) => spec.gpuCapable && env.services[spec.name]?.gpu === true)
      .map(gpuComponentName)
      .sort(),
  ];
}

/** GPU components an environment turns on (each needs the GPU runtime class on the cluster). */
export function enabledGpuComponents(env: EnvConfig, catalog: readonly ServiceSpec[]): string[] {
  return catalog
    .filter((spec) => spec.gpuCapable && env.services[spec.name]?.gpu === true)
    .map(gpuComponentName);
}
