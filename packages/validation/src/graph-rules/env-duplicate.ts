import { arr, podKinds } from '../graph.ts';
import type { GraphRule, GraphViolation } from './rule.ts';

export const envDuplicate: GraphRule = {
  id: 'env-duplicate',
  kinds: podKinds,
  check: (g) =>
    g.podTemplates.flatMap((pod) =>
      ['initContainers', 'containers', 'ephemeralContainers'].flatMap((key) =>
        arr(pod.pod[key]).flatMap((c, i) => {
          const seen = new Map<string, number>();
          const out: GraphViolation[] = [];
          arr(c.env).forEach((e, j) => {
            const name = String(e.name);
            const first = seen.get(name);
            if (first === undefined) seen.set(name, j);
            else
              out.push({
                doc: pod.doc,
                field: `${pod.podPath}.${key}[${i}].env[${j}].name`,
                message: `container ${String(c.name)} sets ${name} again (first at env[${first}]): the last one wins, and a patch that merges env by name may keep the other`,
              });
          });
          return out;
        }),
      ),
    ),
};
