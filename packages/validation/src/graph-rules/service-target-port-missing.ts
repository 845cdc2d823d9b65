import { arr, type Labels, namespaceOf, obj, spec } from '../graph.ts';
import type { GraphRule, GraphViolation } from './rule.ts';

export const serviceTargetPortMissing: GraphRule = {
  id: 'service-target-port-missing',
  kinds: [
    'Service',
    'Pod',
    'Deployment',
    'StatefulSet',
    'ReplicaSet',
    'ReplicationController',
    'DaemonSet',
    'Job',
    'CronJob',
  ],
  check: (g) =>
    g.ofKind('Service').flatMap((svc) => {
      const selector = obj(spec(svc).selector) as Labels;
      if (Object.keys(selector).length === 0) return [];
      const pods = g.podsSelectedBy(namespaceOf(svc), { matchLabels: selector });
      return arr(spec(svc).ports).flatMap((port, i): GraphViolation[] => {
        const target = port.targetPort;
        if (typeof target !== 'string') return [];
        const protocol = String(port.protocol ?? 'TCP');
        return pods.flatMap((pod) => {
          // Containers and sidecars (init containers that keep running) serve a Service.
          const serving = [
            ...arr(pod.pod.containers),
            ...arr(pod.pod.initContainers).filter((c) => c.restartPolicy === 'Always'),
          ];
          const named = serving
            .flatMap((c) => arr(c.ports))
            .filter((p) => String(p.protocol ?? 'TCP') === protocol);
          if (named.some((p) => p.name === target)) return [];
          const names = named.map((p) => String(p.name ?? p.containerPort));
          return [
            {
              doc: svc,
              field: `spec.ports[${i}].targetPort`,
              message: `targetPort "${target}" (${protocol}) names no container port of ${pod.doc.ref.kind} ${pod.doc.ref.name}, which the Service selects (its ports: ${names.join(', ') || 'none'}); traffic to the port is refused`,
            },
          ];
        });
      });
    }),
};
