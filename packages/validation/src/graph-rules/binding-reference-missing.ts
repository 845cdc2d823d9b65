import { arr, namespaceOf, obj } from '../graph.ts';
import type { GraphRule, GraphViolation } from './rule.ts';

/** ClusterRoles the API server creates (user-facing and system:*). */
const builtInClusterRole = (name: string) =>
  ['cluster-admin', 'admin', 'edit', 'view'].includes(name) || name.startsWith('system:');

export const bindingReferenceMissing: GraphRule = {
  id: 'binding-reference-missing',
  kinds: ['RoleBinding', 'ClusterRoleBinding', 'Role', 'ClusterRole', 'ServiceAccount'],
  check: (g) =>
    g.ofKind('RoleBinding', 'ClusterRoleBinding').flatMap((binding) => {
      const out: GraphViolation[] = [];
      const clusterWide = binding.ref.kind === 'ClusterRoleBinding';
      const roleRef = obj(binding.object.roleRef);
      const kind = String(roleRef.kind);
      const name = String(roleRef.name);
      if (clusterWide && kind === 'Role') {
        out.push({
          doc: binding,
          field: 'roleRef.kind',
          message: 'a ClusterRoleBinding can only bind a ClusterRole',
        });
      } else if (
        !(kind === 'ClusterRole' && builtInClusterRole(name)) &&
        !g.find(kind, kind === 'ClusterRole' ? '' : namespaceOf(binding), name)
      ) {
        out.push({
          doc: binding,
          field: 'roleRef.name',
          message: `binds ${kind} ${name}, which the set neither contains nor declares as provided; the subjects get nothing`,
        });
      }
      arr(binding.object.subjects).forEach((s, i) => {
        if (s.kind !== 'ServiceAccount') return;
        const namespace =
          typeof s.namespace === 'string' ? s.namespace : clusterWide ? undefined : namespaceOf(binding);
        if (namespace === undefined) {
          out.push({
            doc: binding,
            field: `subjects[${i}].namespace`,
            message: `ServiceAccount subject ${String(s.name)} has no namespace`,
          });
          return;
        }
        if (s.name === 'default' || g.find('ServiceAccount', namespace, String(s.name))) return;
        out.push({
          doc: binding,
          field: `subjects[${i}].name`,
          message: `grants to ServiceAccount ${namespace}/${String(s.name)}, which the set neither contains nor declares as provided`,
        });
      });
      return out;
    }),
};
