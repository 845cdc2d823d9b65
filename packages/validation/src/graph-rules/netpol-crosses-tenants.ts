import { arr, describe, namespaceOf, obj, selectorMatches, spec, strings } from '../graph.ts';
import type { GraphRule, GraphViolation } from './rule.ts';

/** The tenant label value of a namespace no set contains: a selector that matches it matches future tenants. */
const anotherTenant = 'another-tenant';

/**
 * Isolation between tenants, as NetworkPolicies decide it. A tenant's namespace carries the tenant label
 * (parameter `tenantLabel`); each must deny by default in both directions, and none of its policies may
 * admit traffic from or to another tenant's namespace: by a namespace selector that matches one, by an empty
 * namespace selector (every namespace), or by a rule without peers (everyone). Flows to namespaces that are
 * no tenant's (the platform, the shared application) are the tenant's declared business.
 */
export const netpolCrossesTenants: GraphRule = {
  id: 'netpol-crosses-tenants',
  kinds: ['Namespace', 'NetworkPolicy'],
  check: (g, params) => {
    const label = String(params.tenantLabel);
    // The namespaces the set (or the cluster, as declared) has, with their labels.
    const namespaces = [...g.namespaces].map(([name, labels]) => ({ name, labels }));
    const tenantOf = new Map(
      namespaces.filter((n) => n.labels[label] !== undefined).map((n) => [n.name, n.labels[label] as string]),
    );
    if (tenantOf.size === 0) return [];
    const violations: GraphViolation[] = [];
    const policies = g.ofKind('NetworkPolicy');
    for (const ns of g.ofKind('Namespace').filter((n) => tenantOf.has(String(n.ref.name)))) {
      const denies = policies.some((p) => {
        const s = spec(p);
        const types = strings(s.policyTypes);
        return (
          namespaceOf(p) === ns.ref.name &&
          Object.keys(obj(s.podSelector)).length === 0 &&
          types.includes('Ingress') &&
          types.includes('Egress') &&
          arr(s.ingress).length === 0 &&
          arr(s.egress).length === 0
        );
      });
      if (!denies) {
        violations.push({
          doc: ns,
          field: 'metadata.name',
          message: `tenant namespace ${ns.ref.name} (tenant ${tenantOf.get(String(ns.ref.name))}) has no default-deny NetworkPolicy for ingress and egress: every flow to and from it is open`,
        });
      }
    }
    for (const policy of policies) {
      const own = namespaceOf(policy);
      const tenant = tenantOf.get(own);
      if (tenant === undefined) continue;
      for (const [direction, peersKey] of [
        ['ingress', 'from'],
        ['egress', 'to'],
      ] as const) {
        arr(spec(policy)[direction]).forEach((rule, i) => {
          const peers = arr(rule[peersKey]);
          if (peers.length === 0) {
            violations.push({
              doc: policy,
              field: `spec.${direction}[${i}]`,
              message: `${describe(policy)} of tenant ${tenant} ${direction === 'ingress' ? 'admits traffic from' : 'allows traffic to'} every peer, the namespaces of other tenants included`,
            });
            return;
          }
          peers.forEach((peer, j) => {
            if (peer.namespaceSelector === undefined) return; // its own namespace, or an address block
            const reached = namespaces.filter(
              (n) =>
                selectorMatches(obj(peer.namespaceSelector), n.labels) &&
                tenantOf.has(n.name) &&
                tenantOf.get(n.name) !== tenant,
            );
            const everyNamespace = Object.keys(obj(peer.namespaceSelector)).length === 0;
            // A tenant the set does not contain (added later, or elsewhere) must not match either.
            const unknownTenant = selectorMatches(obj(peer.namespaceSelector), {
              'kubernetes.io/metadata.name': `${anotherTenant}-namespace`,
              [label]: anotherTenant,
            });
            if (reached.length === 0 && !everyNamespace && !unknownTenant) return;
            violations.push({
              doc: policy,
              field: `spec.${direction}[${i}].${peersKey}[${j}]`,
              message: `${describe(policy)} of tenant ${tenant} ${direction === 'ingress' ? 'admits traffic from' : 'allows traffic to'} ${
                everyNamespace
                  ? 'every namespace, those of other tenants included'
                  : reached.length > 0
                    ? reached.map((n) => `${n.name} (tenant ${tenantOf.get(n.name)})`).join(', ')
                    : `the namespaces of tenants not in the set (its selector matches any namespace labelled ${label} with another value)`
              }`,
            });
          });
        });
      }
    }
    return violations;
  },
};
