import { arr, type Labels, namespaceOf, obj, type PodTemplate, spec } from '../graph.ts';
import type { GraphRule } from './rule.ts';

/** Kinds whose pods run until replaced (a Job's pods finish; a Service rarely fronts them). */
const longRunning = new Set([
  'Pod',
  'Deployment',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
  'DaemonSet',
]);

export const readinessProbeMissing: GraphRule = {
  id: 'readiness-probe-missing',
  kinds: ['Service', ...longRunning],
  check: (g) => {
    const served = new Set<PodTemplate>();
    for (const svc of g.ofKind('Service')) {
      const selector = obj(spec(svc).selector) as Labels;
      if (Object.keys(selector).length === 0) continue;
      for (const pod of g.podsSelectedBy(namespaceOf(svc), { matchLabels: selector })) served.add(pod);
    }
    return [...served]
      .filter((pod) => longRunning.has(String(pod.doc.ref.kind)))
      .flatMap((pod) =>
        arr(pod.pod.containers).flatMap((c, i) =>
          c.readinessProbe
            ? []
            : [
                {
                  doc: pod.doc,
                  field: `${pod.podPath}.containers[${i}].readinessProbe`,
                  message: `container ${String(c.name)} has no readiness probe, yet a Service sends it traffic: it gets requests before it can serve them and during shutdown`,
                },
              ],
        ),
      );
  },
};
