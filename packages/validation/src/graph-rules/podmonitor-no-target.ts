import { arr, type LabelSelector, monitoredNamespaces, obj, selectorMatches, spec } from '../graph.ts';
import type { GraphRule, GraphViolation } from './rule.ts';

export const podmonitorNoTarget: GraphRule = {
  id: 'podmonitor-no-target',
  kinds: ['PodMonitor', 'Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'],
  check: (g) =>
    g.ofKind('PodMonitor').flatMap((doc): GraphViolation[] => {
      const s = spec(doc);
      // Any namespace: pods outside the set may match, so only the port names of matched pods are checked.
      const namespaces = monitoredNamespaces(doc);
      const selector = obj(s.selector) as LabelSelector;
      const pods = g.podTemplates.filter(
        (p) =>
          (!namespaces || namespaces.includes(p.namespace)) &&
          selectorMatches(selector, p.labels, p.runtimeLabels),
      );
      if (pods.length === 0) {
        if (!namespaces || namespaces.some((n) => g.anyPodSelected(n, selector))) return [];
        return [
          {
            doc,
            field: 'spec.selector',
            message: `selects no pod template in namespace(s) ${namespaces.join(', ')}`,
          },
        ];
      }
      const names = new Set(
        pods.flatMap((p) =>
          [...arr(p.pod.containers), ...arr(p.pod.initContainers)].flatMap((c) =>
            arr(c.ports).map((port) => String(port.name ?? '')),
          ),
        ),
      );
      return arr(s.podMetricsEndpoints).flatMap((endpoint, i) =>
        typeof endpoint.port === 'string' && !names.has(endpoint.port)
          ? [
              {
                doc,
                field: `spec.podMetricsEndpoints[${i}].port`,
                message: `no selected pod has a container port named "${endpoint.port}"`,
              },
            ]
          : [],
      );
    }),
};
