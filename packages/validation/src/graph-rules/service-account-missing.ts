import { podKinds } from '../graph.ts';
import type { GraphRule } from './rule.ts';

export const serviceAccountMissing: GraphRule = {
  id: 'service-account-missing',
  kinds: [...podKinds, 'ServiceAccount'],
  check: (g) =>
    g.podTemplates.flatMap((pod) => {
      // Every namespace has "default"; the token controller creates it.
      if (pod.serviceAccount === 'default' || g.find('ServiceAccount', pod.namespace, pod.serviceAccount))
        return [];
      const field = pod.pod.serviceAccountName !== undefined ? 'serviceAccountName' : 'serviceAccount';
      return [
        {
          doc: pod.doc,
          field: `${pod.podPath}.${field}`,
          message: `runs as ServiceAccount ${pod.namespace}/${pod.serviceAccount}, which the set neither contains nor declares as provided`,
        },
      ];
    }),
};
