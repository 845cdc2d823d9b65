// ConfigMaps come from Kustomize configMapGenerator entries, so their names carry a content hash and a
// config change rolls the pods that mount them (and a rollback restores the old config with them).
import type { ServiceSpec } from './catalog.ts';
import type { ConfigMapGenerator } from './kustomization.ts';
import { serviceLabels } from './labels.ts';
import { platform } from './platform.ts';

export const applicationFile = 'application.yaml';

export function configMapName(spec: ServiceSpec): string {
  return `${spec.name}-config`;
}

/** `source` is where the generator's file sits, relative to the kustomization that names it. */
export function configMapGenerator(
  spec: ServiceSpec,
  source: string,
  behavior?: ConfigMapGenerator['behavior'],
): ConfigMapGenerator {
  return {
    name: configMapName(spec),
    namespace: platform.appNamespace,
    ...(behavior ? { behavior } : { options: { labels: serviceLabels(spec) } }),
    files: [`${applicationFile}=${source}`],
  };
}
