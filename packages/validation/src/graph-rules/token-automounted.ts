import { arr, namespaceOf, podKinds } from '../graph.ts';
import type { GraphRule } from './rule.ts';

export const tokenAutomounted: GraphRule = {
  id: 'token-automounted',
  kinds: [...podKinds, 'ServiceAccount', 'RoleBinding', 'ClusterRoleBinding', 'Role', 'ClusterRole'],
  check: (g) => {
    // Any binding of the pod's ServiceAccount means it talks to the API, whatever role (a built-in
    // ClusterRole such as view is not in the set, and still needs the token).
    // Subjects may also name accounts as a user (system:serviceaccount:<ns>:<name>) or a group (every account
    // of a namespace, or all of them).
    const bound = new Set(
      g.ofKind('RoleBinding', 'ClusterRoleBinding').flatMap((binding) =>
        arr(binding.object.subjects).flatMap((s) => {
          const name = String(s.name);
          if (s.kind === 'ServiceAccount') return [`${String(s.namespace ?? namespaceOf(binding))}/${name}`];
          if (s.kind === 'User' && name.startsWith('system:serviceaccount:'))
            return [name.slice('system:serviceaccount:'.length).replace(':', '/')];
          if (s.kind === 'Group' && name === 'system:serviceaccounts') return ['*'];
          if (s.kind === 'Group' && name.startsWith('system:serviceaccounts:'))
            return [`${name.slice('system:serviceaccounts:'.length)}/*`];
          return [];
        }),
      ),
    );
    return g.podTemplates.flatMap((pod) => {
      if (['*', `${pod.namespace}/*`, `${pod.namespace}/${pod.serviceAccount}`].some((k) => bound.has(k)))
        return [];
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
