import {
  arr,
  autoscalerFor,
  describe,
  namespaceOf,
  obj,
  spec,
  strings,
  targetOf,
  workloadKinds,
} from '../graph.ts';
import type { Doc } from '../inputs.ts';
import type { GraphRule } from './rule.ts';

function hpaResources(hpa: Doc): Set<string> {
  return new Set(
    arr(spec(hpa).metrics).flatMap((m) => {
      const resource = obj(m.resource ?? m.containerResource);
      return typeof resource.name === 'string' ? [resource.name] : [];
    }),
  );
}

export const hpaVpaConflict: GraphRule = {
  id: 'hpa-vpa-conflict',
  kinds: ['VerticalPodAutoscaler', 'HorizontalPodAutoscaler', ...workloadKinds],
  check: (g) =>
    g.ofKind('VerticalPodAutoscaler').flatMap((vpa) => {
      const mode = String(obj(spec(vpa).updatePolicy).updateMode ?? 'Auto');
      if (mode === 'Off') return [];
      const target = targetOf(vpa);
      if (!target) return [];
      const workload = g.find(target.kind, namespaceOf(vpa), target.name);
      const hpa = workload && autoscalerFor(g, workload);
      if (!hpa) return [];
      const policies = arr(obj(spec(vpa).resourcePolicy).containerPolicies);
      const vpaResources = new Set(
        policies.length === 0
          ? ['cpu', 'memory']
          : policies.flatMap((p) =>
              p.mode === 'Off'
                ? []
                : p.controlledResources
                  ? strings(p.controlledResources)
                  : ['cpu', 'memory'],
            ),
      );
      const shared = [...hpaResources(hpa)].filter((r) => vpaResources.has(r));
      return shared.length > 0
        ? [
            {
              doc: vpa,
              field: 'spec.updatePolicy.updateMode',
              message: `updates ${shared.join(' and ')} of ${describe(workload)}, which ${describe(hpa)} also scales on`,
            },
          ]
        : [];
    }),
};
