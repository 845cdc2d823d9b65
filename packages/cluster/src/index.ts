// The end-to-end cluster: install, start and stop it (lifecycle.ts), the host state it touches (host.ts),
// the images and service doubles it runs (images.ts).
export * from './cluster.ts';
export * from './e2e.ts';
export * from './host.ts';
export * from './images.ts';
export * from './install.ts';
export * from './lifecycle.ts';
export * from './paths.ts';
