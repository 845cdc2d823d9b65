import { isEmptySelector, type LabelSelector, namespaceOf, obj, podKinds, spec } from '../graph.ts';
import type { Doc } from '../inputs.ts';
import type { GraphRule } from './rule.ts';

export const selectorMatchesNothing: GraphRule = {
  id: 'selector-matches-nothing',
  kinds: ['Service', 'PodDisruptionBudget', 'NetworkPolicy', 'HorizontalPodAutoscaler', ...podKinds],
  check: (g) => {
    const checks: [string, (d: Doc) => LabelSelector | undefined, string][] = [
      [
        'Service',
        (d) =>
          spec(d).selector ? { matchLabels: obj(spec(d).selector) as Record<string, string> } : undefined,
        'spec.selector',
      ],
      ['PodDisruptionBudget', (d) => obj(spec(d).selector) as LabelSelector, 'spec.selector'],
      ['NetworkPolicy', (d) => obj(spec(d).podSelector) as LabelSelector, 'spec.podSelector'],
    ];
    return checks.flatMap(([kind, selectorOf, field]) =>
      g.ofKind(kind).flatMap((doc) => {
        const selector = selectorOf(doc);
        // No selector (Service without one, e.g. ExternalName) or an empty one (all pods) is intentional.
        if (!selector || isEmptySelector(selector)) return [];
        if (g.anyPodSelected(namespaceOf(doc), selector)) return [];
        return [
          {
            doc,
            field,
            message: `selects no pod template in namespace ${namespaceOf(doc)}, nor a Pod the cluster is declared to provide`,
          },
        ];
      }),
    );
  },
};
