import { describe, grantsToWorkloads, podKinds, strings } from '../graph.ts';
import type { Doc } from '../inputs.ts';
import type { GraphRule } from './rule.ts';

export const rbacWildcard: GraphRule = {
  id: 'rbac-wildcard',
  kinds: ['RoleBinding', 'ClusterRoleBinding', 'Role', 'ClusterRole', ...podKinds],
  check: (g) =>
    grantsToWorkloads(g).flatMap(({ grant, pods }) =>
      grant.rules.flatMap((r, i) => {
        const wild = (['apiGroups', 'resources', 'verbs'] as const).filter((k) =>
          strings(r[k]).includes('*'),
        );
        return wild.length > 0
          ? [
              {
                doc: grant.role,
                field: `rules[${i}].${wild[0]}`,
                message: `grants "*" in ${wild.join(', ')} to the service account of ${describe(pods[0]?.doc as Doc)} (through ${describe(grant.binding)})`,
              },
            ]
          : [];
      }),
    ),
};
