// The subset of Kustomize's `Kustomization` and `Component` files that we emit, typed so that a misspelled
// field is a compile error (Kustomize itself ignores nothing and would fail late), and the in-memory form
// of one generated Kustomize directory before the emitter lays it out.
import type { KubeObject } from './resource-set.ts';

export interface ConfigMapGenerator {
  name: string;
  namespace: string;
  behavior?: 'create' | 'merge' | 'replace';
  files: string[];
  options?: { labels?: Record<string, string> };
}

export interface ImageOverride {
  name: string;
  newTag: string;
}

export interface PatchRef {
  path: string;
}

export interface Kustomization {
  apiVersion: 'kustomize.config.k8s.io/v1beta1' | 'kustomize.config.k8s.io/v1alpha1';
  kind: 'Kustomization' | 'Component';
  resources?: string[];
  components?: string[];
  configMapGenerator?: ConfigMapGenerator[];
  patches?: PatchRef[];
  images?: ImageOverride[];
}

/** One generated Kustomize directory: a Kustomization, or a Component that an overlay may list. */
export interface KustomizeDir {
  kind: 'Kustomization' | 'Component';
  /** Objects written one per file and listed as resources. */
  objects: KubeObject[];
  /** Strategic-merge patches, written under patches/ and listed as patches. */
  patches: KubeObject[];
  /** Other directories (relative paths) listed as resources before the objects. */
  directories: string[];
  /** Component directories (relative paths) applied on top of the resources. */
  components: string[];
  configMapGenerator: ConfigMapGenerator[];
  /** Files the generators read, by path relative to the directory. */
  dataFiles: Map<string, string>;
  images: ImageOverride[];
}

export function kustomizeDir(fields: Partial<KustomizeDir> = {}): KustomizeDir {
  return {
    kind: 'Kustomization',
    objects: [],
    patches: [],
    directories: [],
    components: [],
    configMapGenerator: [],
    dataFiles: new Map(),
    images: [],
    ...fields,
  };
}

export function kustomization(
  fields: Omit<Kustomization, 'apiVersion' | 'kind'>,
  kind: Kustomization['kind'] = 'Kustomization',
): Kustomization {
  const apiVersion =
    kind === 'Component' ? 'kustomize.config.k8s.io/v1alpha1' : 'kustomize.config.k8s.io/v1beta1';
  return { apiVersion, kind, ...fields };
}
