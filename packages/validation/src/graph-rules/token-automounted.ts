import { grantsToWorkloads, podKinds } from '../graph.ts';
import type { GraphRule } from './rule.ts';

export const tokenAutomounted: GraphRule = {
  id: 'token-automounted',
  kinds: [...podKinds, 'ServiceAccount', 'RoleBinding', 'ClusterRoleBinding', 'Role', 'ClusterRole'],
  check: (g) => {
    const granted = new Set(grantsToWorkloads(g).flatMap(({ pods }) => pods.map((p) => p.doc)));
    return g.podTemplates.flatMap((pod) => {
      if (granted.has(pod.doc)) return [];
      const account = g.find('ServiceAccount', pod.namespace, pod.serviceAccount);
      // The pod's setting wins over its ServiceAccount's; either may turn the token off.
      const mounted =
        pod.pod.automountServiceAccountToken ?? account?.object.automountServiceAccountToken ?? true;
      if (mounted === false) return [];
      return [
        {
          doc: pod.doc,
          field: `${pod.podPath}.automountServiceAccountToken`,
          message: `mounts a token of ServiceAccount ${pod.serviceAccount}, which no binding in the set grants anything: a stolen token is a foothold for nothing the pod needs`,
        },
      ];
    });
  },
};
