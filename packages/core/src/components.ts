// Optional features as Kustomize Components (`kind: Component`) under generated/components/: an
// environment's overlay lists the ones it turns on, and one that is off leaves nothing behind. The GPU
// switch is the first: per GPU-capable service, the GPU resource, the NVIDIA runtime class and the GPU
// taint toleration.
import type { ServiceSpec } from './catalog.ts';
import type { EnvConfig } from './env-config.ts';
import { type KustomizeDir, kustomizeDir } from './kustomization.ts';
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

/** Every component, by directory name under components/. */
export function buildComponents(catalog: readonly ServiceSpec[]): Map<string, KustomizeDir> {
  const gpuCapable = catalog.filter((spec) => spec.gpuCapable);
  return new Map(
    gpuCapable.map((spec) => [
      gpuComponentName(spec),
      kustomizeDir({ kind: 'Component', patches: [gpuPatch(spec)] }),
    ]),
  );
}

/** The components an environment turns on, by directory name. */
export function enabledComponents(env: EnvConfig, catalog: readonly ServiceSpec[]): string[] {
  return catalog
    .filter((spec) => spec.gpuCapable && env.services[spec.name]?.gpu === true)
    .map(gpuComponentName)
    .sort();
}
