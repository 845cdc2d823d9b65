import { arr, namespaceOf, podKinds } from '../graph.ts';
import type { GraphRule } from './rule.ts';

export const tokenAutomounted: GraphRule = {
  id: 'token-automounted',
  kinds: [...podKinds, 'ServiceAccount', 'RoleBinding', 'ClusterRoleBinding', 'Role', 'ClusterRole'],
  check: (g) => {
    // Any binding of the pod's ServiceAccount means it talks to the API, whatever role (a built-in
    // ClusterRole such as view is not in the set, and still needs the token).
    const bound = new Set(
      g.ofKind('RoleBinding', 'ClusterRoleBinding').flatMap((binding) =>
        arr(binding.object.subjects)
          .filter((s) => s.kind === 'ServiceAccount')
          .map((s) => `${String(s.namespace ?? namespaceOf(binding))}/${String(s.name)}`),
      ),
    );
    return g.podTemplates.flatMap((pod) => {
      if (bound.has(`${pod.namespace}/${pod.serviceAccount}`)) return [];
      const account = g.find('ServiceAccount', pod.namespace, pod.serviceAccount);
      // The pod's setting wins over its ServiceAccount's; either may turn the token off.
      const mounted =
        pod.pod.automountServiceAccountToken ?? account?.object.automountServiceAccountToken ?? true;
      if (mounted === false) return [];
      return [
        {
          doc: pod.doc,
          field: `${pod.podPath}.automountServiceAccountToken`,
          message: `mounts a token of ServiceAccount ${pod.serviceAccount}, which no binding in the set grants anything (no RoleBinding or ClusterRoleBinding names it): a stolen token is a foothold for nothing the pod needs`,
        },
      ];
    });
  },
};
