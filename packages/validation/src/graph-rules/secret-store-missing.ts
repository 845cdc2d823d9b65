import { arr, namespaceOf, obj, selectorMatches, spec, strings } from '../graph.ts';
import type { Doc } from '../inputs.ts';
import type { GraphRule } from './rule.ts';

/**
 * Whether a ClusterSecretStore's `spec.conditions` let an ExternalSecret of `namespace` use it: no conditions,
 * or one whose namespace list, namespace label selector or namespace regex admits it (the operator refuses
 * the others). A namespace the set does not contain has only its `kubernetes.io/metadata.name` label.
 */
function admits(store: Doc, namespace: string, namespaceLabels: Record<string, string>): boolean {
  const conditions = arr(spec(store).conditions);
  if (conditions.length === 0) return true;
  return conditions.some((c) => {
    if (strings(c.namespaces).includes(namespace)) return true;
    if (c.namespaceSelector !== undefined && selectorMatches(obj(c.namespaceSelector), namespaceLabels))
      return true;
    return strings(c.namespaceRegexes).some((r) => {
      try {
        return new RegExp(r).test(namespace);
      } catch {
        return false;
      }
    });
  });
}

export const secretStoreMissing: GraphRule = {
  id: 'secret-store-missing',
  kinds: ['ExternalSecret', 'SecretStore', 'ClusterSecretStore', 'Namespace'],
  check: (g) =>
    g.ofKind('ExternalSecret').flatMap((doc) => {
      const ref = obj(spec(doc).secretStoreRef);
      if (typeof ref.name !== 'string') return [];
      const kind = ref.kind === 'ClusterSecretStore' ? 'ClusterSecretStore' : 'SecretStore';
      const store = g.find(kind, kind === 'ClusterSecretStore' ? '' : namespaceOf(doc), ref.name);
      if (!store) {
        return [
          {
            doc,
            field: 'spec.secretStoreRef.name',
            message: `reads from ${kind} ${ref.name}, which the set neither contains nor declares as provided; the Secret is never written`,
          },
        ];
      }
      if (kind !== 'ClusterSecretStore' || g.isProvided(store)) return [];
      const namespace = namespaceOf(doc);
      const labels = g.namespaces.get(namespace) ?? { 'kubernetes.io/metadata.name': namespace };
      if (admits(store, namespace, labels)) return [];
      return [
        {
          doc,
          field: 'spec.secretStoreRef.name',
          message: `reads from ClusterSecretStore ${ref.name}, whose spec.conditions do not admit namespace ${namespace}; the operator refuses it and the Secret is never written`,
        },
      ];
    }),
};
