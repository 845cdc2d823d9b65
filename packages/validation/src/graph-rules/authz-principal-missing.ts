import { arr, groupOf, obj, spec, strings } from '../graph.ts';
import type { GraphRule, GraphViolation } from './rule.ts';

/** `<trust domain>/ns/<namespace>/sa/<account>`, the SPIFFE identity Istio gives a workload. */
const principalForm = /^[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/;

export const authzPrincipalMissing: GraphRule = {
  id: 'authz-principal-missing',
  kinds: ['AuthorizationPolicy', 'ServiceAccount'],
  check: (g) => {
    const out: GraphViolation[] = [];
    for (const doc of g.ofKind('AuthorizationPolicy')) {
      if (groupOf(doc.ref.apiVersion) !== 'security.istio.io') continue;
      arr(spec(doc).rules).forEach((rule, i) => {
        arr(rule.from).forEach((from, j) => {
          const source = obj(from.source);
          const accounts: { field: string; namespace: string; name: string }[] = [];
          strings(source.principals).forEach((value, k) => {
            const match = principalForm.exec(value);
            if (match && !value.includes('*'))
              accounts.push({
                field: `spec.rules[${i}].from[${j}].source.principals[${k}]`,
                namespace: match[1] ?? '',
                name: match[2] ?? '',
              });
          });
          strings(source.serviceAccounts).forEach((value, k) => {
            const [namespace = '', name = ''] = value.split('/');
            if (name !== '' && !value.includes('*'))
              accounts.push({
                field: `spec.rules[${i}].from[${j}].source.serviceAccounts[${k}]`,
                namespace,
                name,
              });
          });
          for (const account of accounts) {
            // Kubernetes creates `default` in every namespace.
            if (account.name === 'default' || g.find('ServiceAccount', account.namespace, account.name))
              continue;
            out.push({
              doc,
              field: account.field,
              message: `allows ServiceAccount ${account.namespace}/${account.name}, which the set neither contains nor declares as provided: no workload carries that identity, so the rule admits nothing`,
            });
          }
        });
      });
    }
    return out;
  },
};
