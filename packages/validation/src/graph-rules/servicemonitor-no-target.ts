import { arr, type LabelSelector, monitoredNamespaces, namespaceOf, obj, spec } from '../graph.ts';
import type { GraphRule } from './rule.ts';

export const servicemonitorNoTarget: GraphRule = {
  id: 'servicemonitor-no-target',
  kinds: ['ServiceMonitor', 'Service'],
  check: (g) =>
    g.ofKind('ServiceMonitor').flatMap((doc) => {
      const s = spec(doc);
      const namespaces = monitoredNamespaces(doc);
      const selector = obj(s.selector) as LabelSelector;
      const services = g
        .ofKind('Service')
        .filter((svc) => !namespaces || namespaces.includes(namespaceOf(svc)))
        .filter((svc) => {
          const labels = obj(obj(svc.object.metadata).labels) as Record<string, string>;
          return Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
        });
      if (services.length === 0) {
        return [
          {
            doc,
            field: 'spec.selector',
            message: 'selects no Service in the set',
          },
        ];
      }
      const portNames = new Set(
        services.flatMap((svc) => arr(spec(svc).ports).map((p) => String(p.name ?? ''))),
      );
      return arr(s.endpoints).flatMap((endpoint, i) =>
        typeof endpoint.port === 'string' && !portNames.has(endpoint.port)
          ? [
              {
                doc,
                field: `spec.endpoints[${i}].port`,
                message: `no selected Service has a port named "${endpoint.port}"`,
              },
            ]
          : [],
      );
    }),
};
