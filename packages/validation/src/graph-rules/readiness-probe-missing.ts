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
      // A Service that publishes unready pods on purpose (a StatefulSet's peer discovery) needs no probe.
      if (Object.keys(selector).length === 0 || spec(svc).publishNotReadyAddresses === true) continue;
      for (const pod of g.podsSelectedBy(namespaceOf(svc), { matchLabels: selector })) served.add(pod);
    }
    // A pod is ready when every container with a readiness probe is: one probe, on the serving container or
    // a sidecar, is enough; none at all is the fault.
    return [...served]
      .filter((pod) => longRunning.has(String(pod.doc.ref.kind)))
      .filter(
        (pod) =>
          ![
            ...arr(pod.pod.containers),
            ...arr(pod.pod.initContainers).filter((c) => c.restartPolicy === 'Always'),
          ].some((c) => c.readinessProbe),
      )
      .map((pod) => ({
        doc: pod.doc,
        field: `${pod.podPath}.containers[0].readinessProbe`,
        message:
          'no container has a readiness probe, yet a Service sends the pod traffic: it gets requests before it can serve them and during shutdown',
      }));
  },
};
