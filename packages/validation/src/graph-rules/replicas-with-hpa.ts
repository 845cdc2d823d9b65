import { autoscalerFor, describe, spec, workloadKinds } from '../graph.ts';
import type { Doc } from '../inputs.ts';
import type { GraphRule } from './rule.ts';

export const replicasWithHpa: GraphRule = {
  id: 'replicas-with-hpa',
  kinds: [...workloadKinds, 'HorizontalPodAutoscaler'],
  check: (g) =>
    g.ofKind(...workloadKinds).flatMap((doc) =>
      spec(doc).replicas !== undefined && autoscalerFor(g, doc)
        ? [
            {
              doc,
              field: 'spec.replicas',
              message: `sets replicas while ${describe(autoscalerFor(g, doc) as Doc)} manages them; every sync resets the HPA's choice`,
            },
          ]
        : [],
    ),
};
