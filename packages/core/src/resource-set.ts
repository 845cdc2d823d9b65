// A set of Kubernetes objects keyed by identity (group/kind/namespace/name). Adding the same identity
// twice is a builder bug, reported with both identities spelled out.

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string };
}

export function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
}

export function identityOf(object: KubeObject): string {
  const name = object.metadata?.name;
  if (!name) throw new Error(`${object.kind} (${object.apiVersion}): metadata.name is missing`);
  return [groupOf(object.apiVersion) || 'core', object.kind, object.metadata?.namespace ?? '', name].join(
    '/',
  );
}

export class ResourceSet {
  readonly #objects = new Map<string, KubeObject>();

  add(...objects: KubeObject[]): this {
    for (const object of objects) {
      const id = identityOf(object);
      if (this.#objects.has(id)) {
        throw new Error(`duplicate object ${id}: two builders emit the same group/kind/namespace/name`);
      }
      this.#objects.set(id, object);
    }
    return this;
  }

  /** Objects in identity order, so output never depends on builder call order. */
  list(): KubeObject[] {
    return [...this.#objects.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o);
  }

  get size(): number {
    return this.#objects.size;
  }
}
