// @neurascale/core: the service catalog, the environment configs and the builders that turn them into
// the committed Kustomize trees.
export * from './catalog.ts';
export { clusterAutoscalerObjects } from './cluster-autoscaler.ts';
export { clusterProvidesFile } from './cluster-provides.ts';
export * from './env-config.ts';
export * from './environments.ts';
export * from './generate.ts';
export { metaLabelName } from './observability/monitors.ts';
export * from './platform.ts';
export { costModelFile } from './pricing.ts';
