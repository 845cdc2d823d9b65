// The subset of the Kustomize `Kustomization` file that we emit, typed so that a misspelled field is a
// compile error (Kustomize itself ignores nothing and would fail late).

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
  apiVersion: 'kustomize.config.k8s.io/v1beta1';
  kind: 'Kustomization';
  resources: string[];
  configMapGenerator?: ConfigMapGenerator[];
  patches?: PatchRef[];
  images?: ImageOverride[];
}

export function kustomization(fields: Omit<Kustomization, 'apiVersion' | 'kind'>): Kustomization {
  return { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', ...fields };
}
