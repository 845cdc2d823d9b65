import { arr, groupOf, meshServiceOfHost, namespaceOf, obj, spec, strings } from '../graph.ts';
import type { Doc } from '../inputs.ts';
import type { GraphRule, GraphViolation } from './rule.ts';

/** The Services a Flagger Canary creates and rewrites: the apex, `-primary` and `-canary`. */
function ownedServices(canary: Doc): { namespace: string; names: Set<string>; apex: string } | undefined {
  const s = spec(canary);
  const apex = obj(s.service).name ?? obj(s.targetRef).name;
  if (typeof apex !== 'string') return undefined;
  return {
    namespace: namespaceOf(canary),
    names: new Set([apex, `${apex}-primary`, `${apex}-canary`]),
    apex,
  };
}

export const canaryRoutingOwned: GraphRule = {
  id: 'canary-routing-owned',
  kinds: ['Canary', 'Service', 'VirtualService', 'DestinationRule', 'HTTPRoute'],
  check: (g) => {
    const out: GraphViolation[] = [];
    for (const canary of g.ofKind('Canary')) {
      if (groupOf(canary.ref.apiVersion) !== 'flagger.app') continue;
      const owned = ownedServices(canary);
      if (!owned) continue;
      const who = `Canary ${owned.namespace}/${canary.ref.name}`;
      const isOwned = (name: string, namespace: string) =>
        namespace === owned.namespace && owned.names.has(name);
      for (const svc of g.ofKind('Service')) {
        if (g.isProvided(svc) || !isOwned(String(svc.ref.name), namespaceOf(svc))) continue;
        out.push({
          doc: svc,
          field: 'metadata.name',
          message: `is one of the Services ${who} creates and rewrites (its selector and ports are Flagger's); a hand-written copy fights it`,
        });
      }
      for (const doc of g.ofKind('VirtualService', 'DestinationRule')) {
        if (groupOf(doc.ref.apiVersion) !== 'networking.istio.io') continue;
        const hosts =
          doc.object.kind === 'VirtualService'
            ? strings(spec(doc).hosts).map((h, i) => ({ host: h, field: `spec.hosts[${i}]` }))
            : [{ host: String(spec(doc).host ?? ''), field: 'spec.host' }];
        for (const { host, field } of hosts) {
          const svc = meshServiceOfHost(g, host, namespaceOf(doc));
          if (svc && isOwned(svc.name, svc.namespace))
            out.push({
              doc,
              field,
              message: `routes ${host}, which ${who} manages: Flagger writes that ${doc.object.kind} itself and two writers undo each other's weights and subsets`,
            });
        }
      }
      for (const route of g.ofKind('HTTPRoute')) {
        if (groupOf(route.ref.apiVersion) !== 'gateway.networking.k8s.io') continue;
        if (namespaceOf(route) === owned.namespace && route.ref.name === owned.apex) {
          out.push({
            doc: route,
            field: 'metadata.name',
            message: `has the name of the HTTPRoute ${who} writes; Flagger overwrites it on every reconcile`,
          });
          continue;
        }
        arr(spec(route).rules).forEach((rule, i) => {
          arr(rule.backendRefs).forEach((ref, j) => {
            if ((ref.group ?? '') !== '' || (ref.kind ?? 'Service') !== 'Service') return;
            const namespace = typeof ref.namespace === 'string' ? ref.namespace : namespaceOf(route);
            if (isOwned(String(ref.name), namespace))
              out.push({
                doc: route,
                field: `spec.rules[${i}].backendRefs[${j}]`,
                message: `sends traffic to Service ${namespace}/${ref.name}, which ${who} manages: the route bypasses the canary's weights; let the Canary's service.gatewayRefs write the route`,
              });
          });
        });
      }
    }
    return out;
  },
};
