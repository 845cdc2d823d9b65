import { spec } from '../graph.ts';
import type { GraphRule } from './rule.ts';

export const serviceExposed: GraphRule = {
  id: 'service-exposed',
  kinds: ['Service'],
  check: (g) =>
    g.ofKind('Service').flatMap((svc) => {
      const type = spec(svc).type;
      if (type !== 'NodePort' && type !== 'LoadBalancer') return [];
      return [
        {
          doc: svc,
          field: 'spec.type',
          message: `is of type ${type}: it opens a port on every node${type === 'LoadBalancer' ? ' and a cloud load balancer' : ''}, past the ingress gateway and its TLS, authentication and NetworkPolicies`,
        },
      ];
    }),
};
