import { arr, obj, spec } from '../graph.ts';
import type { Doc } from '../inputs.ts';
import type { GraphRule, GraphViolation } from './rule.ts';

export const storageClassMissing: GraphRule = {
  id: 'storage-class-missing',
  kinds: ['PersistentVolumeClaim', 'StatefulSet', 'StorageClass', 'PersistentVolume'],
  check: (g) => {
    const claimed = (doc: Doc, claimSpec: Record<string, unknown>, field: string): GraphViolation[] => {
      const name = claimSpec.storageClassName;
      // No class means the cluster's default class; "" asks for none (a pre-bound volume).
      if (typeof name !== 'string' || name === '' || g.find('StorageClass', '', name)) return [];
      // Static provisioning: a PersistentVolume of that class (in the set or provided), or a claim bound by name.
      if (claimSpec.volumeName !== undefined) return [];
      if (
        [
          ...g.ofKind('PersistentVolume'),
          ...g.provided.filter((d) => d.ref.kind === 'PersistentVolume'),
        ].some((pv) => spec(pv).storageClassName === name)
      )
        return [];
      return [
        {
          doc,
          field,
          message: `asks for StorageClass ${name}, which the set neither contains nor declares as provided; the claim stays Pending`,
        },
      ];
    };
    return [
      ...g.ofKind('PersistentVolumeClaim').flatMap((d) => claimed(d, spec(d), 'spec.storageClassName')),
      ...g
        .ofKind('StatefulSet')
        .flatMap((d) =>
          arr(spec(d).volumeClaimTemplates).flatMap((t, i) =>
            claimed(d, obj(t.spec), `spec.volumeClaimTemplates[${i}].spec.storageClassName`),
          ),
        ),
    ];
  },
};
