import {
  arr,
  isEmptySelector,
  type LabelSelector,
  namespaceOf,
  obj,
  selectorMatches,
  spec,
} from '../graph.ts';
import type { GraphRule, GraphViolation } from './rule.ts';

const keysOf = (s: LabelSelector) => [
  ...Object.keys(obj(s.matchLabels)),
  ...arr(s.matchExpressions).map((e) => String(e.key)),
];

export const netpolPeerMatchesNothing: GraphRule = {
  id: 'netpol-peer-matches-nothing',
  kinds: [
    'NetworkPolicy',
    'Namespace',
    'Pod',
    'Deployment',
    'StatefulSet',
    'DaemonSet',
    'ReplicaSet',
    'Job',
    'CronJob',
  ],
  check: (g) => {
    // Namespaces that exist in the set (their pods are known) and every namespace known at all.
    const inSet = new Set(g.ofKind('Namespace').map((d) => String(d.ref.name)));
    // Kubernetes creates these namespaces in every cluster.
    const known = new Map(g.namespaces);
    // ... and the namespaces the set's own objects live in exist when they are applied.
    const used = g.docs.map((d) => namespaceOf(d)).filter((n) => n !== '');
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease', ...used])
      if (!known.has(n)) known.set(n, { 'kubernetes.io/metadata.name': n });
    const carried = new Set([
      'kubernetes.io/metadata.name',
      ...[...g.namespaces.values()].flatMap((l) => Object.keys(l)),
    ]);
    return g.ofKind('NetworkPolicy').flatMap((doc) => {
      const out: GraphViolation[] = [];
      const own = namespaceOf(doc);
      for (const direction of ['ingress', 'egress'] as const) {
        const peersKey = direction === 'ingress' ? 'from' : 'to';
        arr(spec(doc)[direction]).forEach((rule, i) => {
          arr(rule[peersKey]).forEach((peer, j) => {
            const at = `spec.${direction}[${i}].${peersKey}[${j}]`;
            if (peer.ipBlock) return;
            const pods = obj(peer.podSelector) as LabelSelector;
            if (peer.namespaceSelector === undefined) {
              // Pods of the policy's own namespace: known when the namespace's workloads are in the set.
              if (
                !isEmptySelector(pods) &&
                g.podTemplates.some((p) => p.namespace === own) &&
                !g.anyPodSelected(own, pods)
              )
                out.push({
                  doc,
                  field: `${at}.podSelector`,
                  message: `selects no pod of namespace ${own}: the set has none with these labels, so the rule admits nothing`,
                });
              return;
            }
            const namespaces = obj(peer.namespaceSelector) as LabelSelector;
            if (isEmptySelector(namespaces)) return;
            // A label no namespace carries is netpol-namespace-label's finding.
            if (keysOf(namespaces).some((k) => !carried.has(k))) return;
            const matched = [...known.entries()]
              .filter(([, labels]) => selectorMatches(namespaces, labels))
              .map(([n]) => n);
            if (matched.length === 0) {
              out.push({
                doc,
                field: `${at}.namespaceSelector`,
                message:
                  'selects no namespace that the set contains or declares as provided, so the rule admits nothing',
              });
              return;
            }
            if (isEmptySelector(pods) || !matched.every((n) => inSet.has(n))) return;
            if (!matched.some((n) => g.anyPodSelected(n, pods)))
              out.push({
                doc,
                field: `${at}.podSelector`,
                message: `selects no pod in namespace(s) ${matched.join(', ')}: the set has none with these labels, so the rule admits nothing`,
              });
          });
        });
      }
      return out;
    });
  },
};
