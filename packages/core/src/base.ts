// The Kustomize base of the application tier: every object of every catalog service, env-agnostic.
import { defaultAppSettings, renderApplicationYaml } from './app-settings.ts';
import { buildAutoscaler } from './autoscaling.ts';
import { type ServiceSpec, services } from './catalog.ts';
import { configMapGenerator, configSourcePath } from './config-maps.ts';
import { buildDisruptionBudget } from './disruption-budgets.ts';
import { buildExternalSecret } from './external-secrets.ts';
import type { ConfigMapGenerator } from './kustomization.ts';
import { buildAppNamespace } from './namespaces.ts';
import { buildDefaultDeny, buildDnsEgress, buildServicePolicy } from './network-policies.ts';
import { platform } from './platform.ts';
import { type KubeObject, ResourceSet } from './resource-set.ts';
import { buildServiceAccount } from './service-accounts.ts';
import { buildServices } from './services.ts';
import { buildWorkload } from './workloads.ts';

/** A Kustomize directory before emission: objects, generator entries and the data files they read. */
export interface KustomizeUnit {
  objects: KubeObject[];
  configMapGenerator: ConfigMapGenerator[];
  dataFiles: Map<string, string>;
}

export const appTierBase = 'base/neural-engine';

function serviceObjects(spec: ServiceSpec, catalog: readonly ServiceSpec[]): KubeObject[] {
  return [
    buildServiceAccount(spec),
    buildWorkload(spec, platform.baseImageTag),
    ...buildServices(spec),
    buildDisruptionBudget(spec),
    buildServicePolicy(spec, catalog),
    buildAutoscaler(spec),
    buildExternalSecret(spec),
  ].filter((o): o is NonNullable<typeof o> => o !== undefined);
}

export function buildAppTierBase(catalog: readonly ServiceSpec[] = services): KustomizeUnit {
  const set = new ResourceSet().add(buildAppNamespace(), buildDefaultDeny(), buildDnsEgress());
  for (const spec of catalog) set.add(...serviceObjects(spec, catalog));
  return {
    objects: set.list(),
    configMapGenerator: catalog.map((spec) => configMapGenerator(spec)),
    dataFiles: new Map(
      catalog.map((spec) => [configSourcePath(spec), renderApplicationYaml(spec, defaultAppSettings)]),
    ),
  };
}
