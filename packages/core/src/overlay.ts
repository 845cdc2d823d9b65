// An environment overlay: strategic-merge patches against the base that state only what the
// environment's config changes, Kustomize `images` for tags, the merged app config, and the components
// (optional features) the environment turns on.
import type { IHorizontalPodAutoscalerSpec } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscalerSpec';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { type AppSettings, defaultAppSettings, renderApplicationYaml } from './app-settings.ts';
import { backupFolder, backupObjects } from './backup.ts';
import { buildCanary } from './canary.ts';
import { type ResourceSpec, type ServiceSpec, services } from './catalog.ts';
import { certificateObjects } from './certificates.ts';
import { workloadIdentityPatch } from './cloud-identity.ts';
import { clusterAutoscalerFolder, clusterAutoscalerObjects } from './cluster-autoscaler.ts';
import { clusterProvidesFile, renderClusterProvides } from './cluster-provides.ts';
import { enabledComponents } from './components.ts';
import { applicationFile, configMapGenerator } from './config-maps.ts';
import { dataStoreObjects, dataStoresFolder } from './data-stores.ts';
import type { EnvConfig, ServiceEnvConfig } from './env-config.ts';
import { gatewayObjects } from './gateway.ts';
import { type ImageOverride, type KustomizeDir, kustomizeDir } from './kustomization.ts';
import { versionLabel } from './labels.ts';
import { buildMonitoringDir, monitoringFolder } from './observability/index.ts';
import { platform } from './platform.ts';
import { costModelFile, renderCostModel } from './pricing.ts';
import { type KubeObject, ResourceSet } from './resource-set.ts';
import { buildClusterSecretStore, externalSecretsValuesFile, secretStoreFolder } from './secret-store.ts';
import { objectsOf, tenantsFolder } from './tenancy.ts';
import { verticalAutoscalerPatch } from './vertical-autoscaling.ts';
import { imageName, topologySpread } from './workloads.ts';

/** A strategic-merge patch: any subset of the object's fields, typed by the object's own interfaces. */
export type PatchOf<T> = {
  [K in keyof T]?: NonNullable<T[K]> extends (infer U)[]
    ? PatchOf<U>[]
    : NonNullable<T[K]> extends object
      ? PatchOf<NonNullable<T[K]>>
      : T[K];
};

const baseLogLevel = 'info';

function mergeSettings(env: EnvConfig): AppSettings {
  const app = env.app ?? {};
  // A managed Kafka's bootstrap servers come with its data-store config; app.kafka still overrides.
  const stores = env.dataStores;
  const managedKafka = stores.mode === 'managed' ? { bootstrapServers: stores.kafka.bootstrapServers } : {};
  return {
    processing: { ...defaultAppSettings.processing, ...app.processing },
    storage: { ...defaultAppSettings.storage, ...app.storage },
    kafka: { ...defaultAppSettings.kafka, ...managedKafka, ...app.kafka },
  };
}

function sameResources(a: ResourceSpec, b: ResourceSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function containerPatch(spec: ServiceSpec, env: EnvConfig, service: ServiceEnvConfig): PatchOf<IContainer> {
  const resources =
    service.resources && !sameResources(service.resources, spec.resources) ? service.resources : undefined;
  return {
    name: spec.name,
    env: [
      { name: 'ENVIRONMENT', value: env.environment },
      ...(env.logLevel !== baseLogLevel ? [{ name: 'LOG_LEVEL', value: env.logLevel }] : []),
    ],
    ...(resources
      ? { resources: { requests: { ...resources.requests }, limits: { ...resources.limits } } }
      : {}),
  };
}

function podSpecPatch(spec: ServiceSpec, env: EnvConfig, service: ServiceEnvConfig): PatchOf<IPodSpec> {
  return {
    // The whole list: its merge keys include whenUnsatisfiable, so a partial entry would be added, not merged.
    ...(env.zoneSpread === 'required'
      ? { topologySpreadConstraints: topologySpread(spec, 'DoNotSchedule') }
      : {}),
    containers: [containerPatch(spec, env, service)],
  };
}

function objectRef(kind: string, apiVersion: string, name: string) {
  return { apiVersion, kind, metadata: { name, namespace: platform.appNamespace } };
}

function workloadPatch(spec: ServiceSpec, env: EnvConfig, service: ServiceEnvConfig): KubeObject {
  const ref = objectRef(spec.kind, 'apps/v1', spec.name);
  const versioned = service.tag !== platform.baseImageTag;
  const labels = versioned ? { labels: { [versionLabel]: service.tag } } : {};
  const replicas =
    !spec.autoscaling && service.replicas !== undefined && service.replicas !== (spec.replicas ?? 1)
      ? { replicas: service.replicas }
      : {};
  return {
    ...ref,
    metadata: { ...ref.metadata, ...labels },
    spec: {
      ...replicas,
      template: { ...(versioned ? { metadata: labels } : {}), spec: podSpecPatch(spec, env, service) },
    },
  } as KubeObject;
}

function autoscalerPatch(spec: ServiceSpec, service: ServiceEnvConfig): KubeObject | undefined {
  const base = spec.autoscaling;
  const wanted = service.autoscaling;
  if (!base || !wanted) return undefined;
  if (base.minReplicas === wanted.minReplicas && base.maxReplicas === wanted.maxReplicas) return undefined;
  const patch: PatchOf<IHorizontalPodAutoscalerSpec> = {
    minReplicas: wanted.minReplicas,
    maxReplicas: wanted.maxReplicas,
  };
  return { ...objectRef('HorizontalPodAutoscaler', 'autoscaling/v2', spec.name), spec: patch } as KubeObject;
}

/** Where an environment's merged application.yaml of a service sits in its overlay. */
export function configSourcePath(spec: ServiceSpec): string {
  return `config/${spec.name}.${applicationFile}`;
}

/** The folders an environment's overlay lists besides the base: its platform objects, one folder each. */
export function platformDirs(
  env: EnvConfig,
  catalog: readonly ServiceSpec[] = services,
): Map<string, KustomizeDir> {
  const dirs = new Map<string, KustomizeDir>([
    ['gateway', kustomizeDir({ objects: new ResourceSet().add(...gatewayObjects(env, catalog)).list() })],
    ['certificates', kustomizeDir({ objects: new ResourceSet().add(...certificateObjects(env)).list() })],
    [monitoringFolder, buildMonitoringDir(env, catalog)],
    [backupFolder, kustomizeDir({ objects: new ResourceSet().add(...backupObjects(env)).list() })],
    [
      dataStoresFolder,
      kustomizeDir({ objects: new ResourceSet().add(...dataStoreObjects(env, catalog)).list() }),
    ],
    [
      secretStoreFolder,
      kustomizeDir({
        objects: [buildClusterSecretStore(env)],
        dataFiles: new Map([['values/external-secrets.yaml', externalSecretsValuesFile(env)]]),
      }),
    ],
  ]);
  // One folder per tenant: the same guard rails by the same names in each tenant's namespace.
  if (env.tenants.length > 0) {
    const tenants = env.tenants.map((tenant) => ({ name: tenant.name, objects: objectsOf(env, tenant) }));
    // One identity space across the tenants: a ResourceSet refuses a duplicate.
    new ResourceSet().add(...tenants.flatMap((t) => t.objects));
    dirs.set(tenantsFolder, kustomizeDir({ directories: tenants.map((t) => t.name).sort() }));
    for (const t of tenants) dirs.set(`${tenantsFolder}/${t.name}`, kustomizeDir({ objects: t.objects }));
  }
  if (env.traffic.canary) dirs.set('canary', kustomizeDir({ objects: [buildCanary(env)] }));
  const nodeAutoscaler = clusterAutoscalerObjects(env);
  if (nodeAutoscaler.length > 0) {
    dirs.set(
      clusterAutoscalerFolder,
      kustomizeDir({ objects: new ResourceSet().add(...nodeAutoscaler).list() }),
    );
  }
  return dirs;
}

/** An environment's whole overlay tree: the overlay itself ('') and its platform folders. */
export function buildOverlayTree(
  env: EnvConfig,
  paths: { base: string; components: string },
  catalog: readonly ServiceSpec[] = services,
): Map<string, KustomizeDir> {
  const platformFolders = platformDirs(env, catalog);
  const root = buildOverlay(env, paths, catalog);
  // Nested folders (tenants/<name>) are listed by their parent, not by the overlay.
  root.directories.push(...[...platformFolders.keys()].filter((path) => !path.includes('/')));
  return new Map([['', root], ...platformFolders]);
}

/**
 * An environment's overlay, given where the app tier base and the components directory are relative to
 * it: patches that state only what the environment changes, `images` for the tags, the merged app config,
 * and the components it turns on.
 */
export function buildOverlay(
  env: EnvConfig,
  paths: { base: string; components: string },
  catalog: readonly ServiceSpec[] = services,
): KustomizeDir {
  const settings = mergeSettings(env);
  const patches: KubeObject[] = [];
  const images: ImageOverride[] = [];
  for (const spec of catalog) {
    const service = env.services[spec.name];
    patches.push(workloadPatch(spec, env, service));
    const hpa = autoscalerPatch(spec, service);
    if (hpa) patches.push(hpa);
    const vpa = verticalAutoscalerPatch(spec, service.vpa ?? 'Off');
    if (vpa) patches.push(vpa);
    const identity = workloadIdentityPatch(spec, env);
    if (identity) patches.push(identity);
    if (service.tag !== platform.baseImageTag) images.push({ name: imageName(spec), newTag: service.tag });
  }
  return kustomizeDir({
    directories: [paths.base],
    components: enabledComponents(env, catalog).map((name) => `${paths.components}/${name}`),
    patches,
    images,
    configMapGenerator: catalog.map((spec) => configMapGenerator(spec, configSourcePath(spec), 'merge')),
    dataFiles: new Map([
      ...catalog.map(
        (spec) => [configSourcePath(spec), renderApplicationYaml(spec, settings, env.environment)] as const,
      ),
      [clusterProvidesFile, renderClusterProvides(env, catalog)],
      [costModelFile, renderCostModel(env)],
    ]),
  });
}
