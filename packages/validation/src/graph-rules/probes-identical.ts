import { arr, podKinds } from '../graph.ts';
import type { GraphRule } from './rule.ts';

const canonical = (v: unknown): string =>
  JSON.stringify(v, (_, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );

export const probesIdentical: GraphRule = {
  id: 'probes-identical',
  kinds: podKinds,
  check: (g) =>
    g.podTemplates.flatMap((pod) =>
      arr(pod.pod.containers).flatMap((c, i) =>
        c.readinessProbe && c.livenessProbe && canonical(c.readinessProbe) === canonical(c.livenessProbe)
          ? [
              {
                doc: pod.doc,
                field: `${pod.podPath}.containers[${i}].livenessProbe`,
                message: `container ${String(c.name)} has the same liveness and readiness probe: when it is busy it is restarted instead of taken out of rotation`,
              },
            ]
          : [],
      ),
    ),
};
