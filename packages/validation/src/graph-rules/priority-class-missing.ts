import { podKinds } from '../graph.ts';
import type { GraphRule } from './rule.ts';

/** PriorityClasses every cluster has. */
const builtIn = new Set(['system-cluster-critical', 'system-node-critical']);

export const priorityClassMissing: GraphRule = {
  id: 'priority-class-missing',
  kinds: [...podKinds, 'PriorityClass'],
  check: (g) =>
    g.podTemplates.flatMap((pod) => {
      const name = pod.pod.priorityClassName;
      if (typeof name !== 'string' || builtIn.has(name) || g.find('PriorityClass', '', name)) return [];
      return [
        {
          doc: pod.doc,
          field: `${pod.podPath}.priorityClassName`,
          message: `asks for PriorityClass ${name}, which the set neither contains nor declares as provided; admission refuses the pod`,
        },
      ];
    }),
};
