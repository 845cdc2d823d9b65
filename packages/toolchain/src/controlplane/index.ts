// The control plane: its Go module (gomod.ts), its binary (build.ts) and running instances (lifecycle.ts).
export * from './build.ts';
export * from './gomod.ts';
export * from './lifecycle.ts';
