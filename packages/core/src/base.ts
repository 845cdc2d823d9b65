// The Kustomize base of the application tier: every object of every catalog service, env-agnostic, laid
// out by component: the tier's own objects (namespace, shared network policies) at the top, each service
// in its own folder with its own kustomization.yaml.
import { defaultAppSettings, renderApplicationYaml } from './app-settings.ts';
import { buildAutoscaler } from './autoscaling.ts';
import { type ServiceSpec, services } from './catalog.ts';
import { applicationFile, configMapGenerator } from './config-maps.ts';
import { buildDisruptionBudget } from './disruption-budgets.ts';
import { buildExternalSecret } from './external-secrets.ts';
import { type KustomizeDir, kustomizeDir } from './kustomization.ts';
import { buildAppNamespace } from './namespaces.ts';
import { buildDefaultDeny, buildDnsEgress, buildServicePolicy } from './network-policies.ts';
import { platform } from './platform.ts';
import { type KubeObject, ResourceSet } from './resource-set.ts';
import { buildPriorityClasses } from './scheduling.ts';
import { buildServiceAccount } from './service-accounts.ts';
import { buildServices } from './services.ts';
import { buildVerticalAutoscaler } from './vertical-autoscaling.ts';
import { buildWorkload } from './workloads.ts';

export const appTierBase = 'base/neural-engine';

function serviceObjects(spec: ServiceSpec, catalog: readonly ServiceSpec[]): KubeObject[] {
  return [
    buildServiceAccount(spec),
    buildWorkload(spec, platform.baseImageTag),
    ...buildServices(spec),
    buildDisruptionBudget(spec),
    buildServicePolicy(spec, catalog),
    buildAutoscaler(spec),
    buildVerticalAutoscaler(spec),
    buildExternalSecret(spec),
  ].filter((o): o is NonNullable<typeof o> => o !== undefined);
}

/** The base's directories by path inside it: '' is the tier, each service is the folder of its name. */
export function buildAppTierBase(catalog: readonly ServiceSpec[] = services): Map<string, KustomizeDir> {
  // One identity space for the whole tier: two builders emitting the same object is a bug wherever it lands.
  const all = new ResourceSet();
  const tierObjects = [buildAppNamespace(), ...buildPriorityClasses(), buildDefaultDeny(), buildDnsEgress()];
  all.add(...tierObjects);
  const dirs = new Map<string, KustomizeDir>();
  const names = catalog.map((spec) => spec.name).sort();
  dirs.set('', kustomizeDir({ objects: new ResourceSet().add(...tierObjects).list(), directories: names }));
  for (const spec of catalog) {
    const objects = serviceObjects(spec, catalog);
    all.add(...objects);
    dirs.set(
      spec.name,
      kustomizeDir({
        objects: new ResourceSet().add(...objects).list(),
        configMapGenerator: [configMapGenerator(spec, applicationFile)],
        dataFiles: new Map([[applicationFile, renderApplicationYaml(spec, defaultAppSettings)]]),
      }),
    );
  }
  return dirs;
}
