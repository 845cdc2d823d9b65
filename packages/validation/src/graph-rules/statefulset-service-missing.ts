import { namespaceOf, spec } from '../graph.ts';
import type { GraphRule } from './rule.ts';

export const statefulsetServiceMissing: GraphRule = {
  id: 'statefulset-service-missing',
  kinds: ['StatefulSet', 'Service'],
  check: (g) =>
    g.ofKind('StatefulSet').flatMap((sts) => {
      const name = spec(sts).serviceName;
      if (typeof name !== 'string' || name === '') return [];
      const svc = g.find('Service', namespaceOf(sts), name);
      if (!svc)
        return [
          {
            doc: sts,
            field: 'spec.serviceName',
            message: `names governing Service ${name}, which the set neither contains nor declares as provided; its pods get no stable DNS names`,
          },
        ];
      if (g.isProvided(svc) || spec(svc).clusterIP === 'None') return [];
      return [
        {
          doc: sts,
          field: 'spec.serviceName',
          message: `names governing Service ${name}, which is not headless (spec.clusterIP is not None); its pods get no stable DNS names`,
        },
      ];
    }),
};
