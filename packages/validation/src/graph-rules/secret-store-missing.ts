import { namespaceOf, obj, spec } from '../graph.ts';
import type { GraphRule } from './rule.ts';

export const secretStoreMissing: GraphRule = {
  id: 'secret-store-missing',
  kinds: ['ExternalSecret', 'SecretStore', 'ClusterSecretStore'],
  check: (g) =>
    g.ofKind('ExternalSecret').flatMap((doc) => {
      const ref = obj(spec(doc).secretStoreRef);
      if (typeof ref.name !== 'string') return [];
      const kind = ref.kind === 'ClusterSecretStore' ? 'ClusterSecretStore' : 'SecretStore';
      if (g.find(kind, kind === 'ClusterSecretStore' ? '' : namespaceOf(doc), ref.name)) return [];
      return [
        {
          doc,
          field: 'spec.secretStoreRef.name',
          message: `reads from ${kind} ${ref.name}, which the set neither contains nor declares as provided; the Secret is never written`,
        },
      ];
    }),
};
