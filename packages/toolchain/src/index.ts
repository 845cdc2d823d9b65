// @neurascale/toolchain: the pinned tools (versions.json), where they live, how they are built from Go
// modules, and the offline schemas. The control plane is the subpath export `@neurascale/toolchain/controlplane`.
export * from './build-schemas.ts';
export * from './go-modules.ts';
export * from './install-tools.ts';
export * from './openapi-schemas.ts';
export * from './paths.ts';
export * from './pins.ts';
export * from './processes.ts';
export * from './readiness.ts';
