import { describe, grantsToWorkloads, podKinds, strings } from '../graph.ts';
import type { Doc } from '../inputs.ts';
import type { GraphRule } from './rule.ts';

export const secretsReadable: GraphRule = {
  id: 'secrets-readable',
  kinds: ['RoleBinding', 'ClusterRoleBinding', 'Role', 'ClusterRole', ...podKinds],
  check: (g) =>
    grantsToWorkloads(g).flatMap(({ grant, pods }) =>
      grant.rules.flatMap((r, i) => {
        const resources = strings(r.resources);
        const verbs = strings(r.verbs);
        const readsSecrets =
          (resources.includes('secrets') || resources.includes('*')) &&
          verbs.some((v) => ['get', 'list', 'watch', '*'].includes(v));
        return readsSecrets && (strings(r.apiGroups).includes('') || strings(r.apiGroups).includes('*'))
          ? [
              {
                doc: grant.role,
                field: `rules[${i}]`,
                message: `lets the service account of ${describe(pods[0]?.doc as Doc)} read Secrets`,
              },
            ]
          : [];
      }),
    ),
};
