import {
  autoscalerFor,
  describe,
  type LabelSelector,
  type ManifestGraph,
  namespaceOf,
  obj,
  type PodTemplate,
  spec,
  workloadKinds,
} from '../graph.ts';
import type { Doc } from '../inputs.ts';
import type { GraphRule } from './rule.ts';

/** The fewest replicas a workload runs with: the HPA's minimum when one scales it, else spec.replicas (default 1). */
function minimumReplicas(g: ManifestGraph, workload: Doc): number {
  const hpa = autoscalerFor(g, workload);
  if (hpa) return Number(spec(hpa).minReplicas ?? 1);
  return Number(spec(workload).replicas ?? 1);
}

export const pdbMinAvailableBlocks: GraphRule = {
  id: 'pdb-min-available-blocks',
  kinds: ['PodDisruptionBudget', 'HorizontalPodAutoscaler', ...workloadKinds],
  check: (g) =>
    g.ofKind('PodDisruptionBudget').flatMap((doc) => {
      const minAvailable = spec(doc).minAvailable;
      if (minAvailable === undefined) return [];
      if (minAvailable === '100%') {
        return [
          {
            doc,
            field: 'spec.minAvailable',
            message: 'minAvailable 100% never allows an eviction',
          },
        ];
      }
      if (typeof minAvailable !== 'number') return [];
      const selector = obj(spec(doc).selector) as LabelSelector;
      return g.podsSelectedBy(namespaceOf(doc), selector).flatMap((pod: PodTemplate) => {
        if (!workloadKinds.includes(pod.doc.ref.kind ?? '')) return [];
        const replicas = minimumReplicas(g, pod.doc);
        return minAvailable >= replicas
          ? [
              {
                doc,
                field: 'spec.minAvailable',
                message: `minAvailable ${minAvailable} is at or above the ${replicas} replica(s) of ${describe(pod.doc)}: no eviction is ever allowed`,
              },
            ]
          : [];
      });
    }),
};
