import { arr, type LabelSelector, obj, spec } from '../graph.ts';
import type { GraphRule, GraphViolation } from './rule.ts';

export const netpolNamespaceLabel: GraphRule = {
  id: 'netpol-namespace-label',
  kinds: ['NetworkPolicy', 'Namespace'],
  check: (g) => {
    const carried = new Set([
      'kubernetes.io/metadata.name',
      ...[...g.namespaces.values()].flatMap((l) => Object.keys(l)),
    ]);
    return g.ofKind('NetworkPolicy').flatMap((doc) => {
      const out: GraphViolation[] = [];
      for (const direction of ['ingress', 'egress'] as const) {
        arr(spec(doc)[direction]).forEach((rule, i) => {
          arr(rule[direction === 'ingress' ? 'from' : 'to']).forEach((peer, j) => {
            const selector = obj(peer.namespaceSelector) as LabelSelector;
            const keys = [
              ...Object.keys(obj(selector.matchLabels)),
              ...arr(selector.matchExpressions).map((e) => String(e.key)),
            ];
            for (const key of keys.filter((k) => !carried.has(k))) {
              out.push({
                doc,
                field: `spec.${direction}[${i}].${direction === 'ingress' ? 'from' : 'to'}[${j}].namespaceSelector`,
                message: `selects namespaces by label "${key}", which no Namespace in the set carries and Kubernetes does not set`,
              });
            }
          });
        });
      }
      return out;
    });
  },
};
