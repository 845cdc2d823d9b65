import { namespaceOf, targetOf, workloadKinds } from '../graph.ts';
import type { GraphRule } from './rule.ts';

export const scaleTargetMissing: GraphRule = {
  id: 'scale-target-missing',
  kinds: ['HorizontalPodAutoscaler', 'VerticalPodAutoscaler', ...workloadKinds],
  check: (g) =>
    g.ofKind('HorizontalPodAutoscaler', 'VerticalPodAutoscaler').flatMap((doc) => {
      const target = targetOf(doc);
      if (!target || g.find(target.kind, namespaceOf(doc), target.name)) return [];
      return [
        {
          doc,
          field: target.field,
          message: `targets ${target.kind} ${target.name}, which is not in the set`,
        },
      ];
    }),
};
