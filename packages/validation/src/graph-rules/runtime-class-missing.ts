import { podKinds } from '../graph.ts';
import type { GraphRule } from './rule.ts';

export const runtimeClassMissing: GraphRule = {
  id: 'runtime-class-missing',
  kinds: [...podKinds, 'RuntimeClass'],
  check: (g) =>
    g.podTemplates.flatMap((pod) => {
      const name = pod.pod.runtimeClassName;
      if (typeof name !== 'string' || g.find('RuntimeClass', '', name)) return [];
      return [
        {
          doc: pod.doc,
          field: `${pod.podPath}.runtimeClassName`,
          message: `asks for RuntimeClass ${name}, which the set neither contains nor declares as provided; admission refuses the pod`,
        },
      ];
    }),
};
