import { arr, type ManifestGraph, namespaceOf, obj, spec, strings } from '../graph.ts';
import type { Doc } from '../inputs.ts';
import type { GraphRule, GraphViolation } from './rule.ts';

const routeKinds = ['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'UDPRoute'];

/**
 * The Service a mesh host names, as Istio resolves it: `name` in the object's namespace, `name.ns`, or
 * `name.ns.svc[.cluster.local]`. Undefined for a host that is not a cluster Service (external, wildcard,
 * or one a ServiceEntry of the set declares).
 */
function serviceOfHost(
  g: ManifestGraph,
  host: string,
  namespace: string,
): { name: string; namespace: string } | undefined {
  if (host.includes('*')) return undefined;
  if (g.ofKind('ServiceEntry').some((e) => strings(spec(e).hosts).includes(host))) return undefined;
  const parts = host.split('.');
  if (parts.length === 1) return { name: host, namespace };
  const [name = '', ns = '', ...rest] = parts;
  if (rest.join('.') === 'svc' || rest.join('.') === 'svc.cluster.local') return { name, namespace: ns };
  if (rest.length === 0 && g.namespaces.has(ns)) return { name, namespace: ns };
  return undefined;
}

function servicePorts(svc: Doc): number[] {
  return arr(spec(svc).ports).map((p) => Number(p.port));
}

export const routeBackendMissing: GraphRule = {
  id: 'route-backend-missing',
  kinds: [
    ...routeKinds,
    'Ingress',
    'VirtualService',
    'DestinationRule',
    'ServiceEntry',
    'Service',
    'Namespace',
  ],
  check: (g) => {
    const out: GraphViolation[] = [];
    const check = (doc: Doc, field: string, name: string, namespace: string, port: unknown, via: string) => {
      const svc = g.find('Service', namespace, name);
      if (!svc) {
        out.push({
          doc,
          field,
          message: `${via} Service ${namespace}/${name}, which the set neither contains nor declares as provided`,
        });
        return;
      }
      if (typeof port !== 'number' || g.isProvided(svc)) return;
      const ports = servicePorts(svc);
      if (!ports.includes(port))
        out.push({
          doc,
          field,
          message: `${via} port ${port} of Service ${namespace}/${name}, which serves ${ports.join(', ') || 'no port'}`,
        });
    };
    // Gateway API routes: backendRefs of kind Service (the default) in the route's namespace or another.
    for (const route of g.ofKind(...routeKinds)) {
      arr(spec(route).rules).forEach((rule, i) => {
        arr(rule.backendRefs).forEach((ref, j) => {
          if ((ref.group ?? '') !== '' || (ref.kind ?? 'Service') !== 'Service') return;
          const field = `spec.rules[${i}].backendRefs[${j}]`;
          if (ref.port === undefined)
            out.push({
              doc: route,
              field: `${field}.port`,
              message: `sends to Service ${String(ref.name)} without a port, which a Service backend needs`,
            });
          else
            check(
              route,
              field,
              String(ref.name),
              String(ref.namespace ?? namespaceOf(route)),
              ref.port,
              'sends to',
            );
        });
      });
    }
    // Ingress: every path's backend and the default backend (a Service backend, by port number or name).
    for (const ing of g.ofKind('Ingress')) {
      const backends: [Record<string, unknown>, string][] = [];
      if (spec(ing).defaultBackend) backends.push([obj(spec(ing).defaultBackend), 'spec.defaultBackend']);
      arr(spec(ing).rules).forEach((rule, i) => {
        arr(obj(rule.http).paths).forEach((path, j) => {
          backends.push([obj(path.backend), `spec.rules[${i}].http.paths[${j}].backend`]);
        });
      });
      for (const [backend, field] of backends) {
        // networking.k8s.io/v1 names service.name and service.port; the removed v1beta1 serviceName and servicePort.
        const service =
          typeof backend.serviceName === 'string'
            ? {
                name: backend.serviceName,
                port:
                  typeof backend.servicePort === 'string'
                    ? { name: backend.servicePort }
                    : { number: backend.servicePort },
              }
            : obj(backend.service);
        if (typeof service.name !== 'string') continue;
        const port = obj(service.port);
        const svc = g.find('Service', namespaceOf(ing), service.name);
        if (svc && typeof port.name === 'string' && !g.isProvided(svc)) {
          const names = arr(spec(svc).ports).map((p) => String(p.name ?? ''));
          if (!names.includes(port.name))
            out.push({
              doc: ing,
              field: `${field}.service.port.name`,
              message: `sends to port "${port.name}" of Service ${namespaceOf(ing)}/${service.name}, which has ${names.join(', ') || 'no named port'}`,
            });
          continue;
        }
        check(ing, `${field}.service`, service.name, namespaceOf(ing), port.number, 'sends to');
      }
    }
    // Istio: route destinations of every protocol, mirrors, and the host a DestinationRule configures.
    for (const vs of g.ofKind('VirtualService')) {
      for (const protocol of ['http', 'tcp', 'tls']) {
        arr(spec(vs)[protocol]).forEach((route, i) => {
          const destinations = [
            ...arr(route.route).map(
              (r, j) => [obj(r.destination), `spec.${protocol}[${i}].route[${j}].destination`] as const,
            ),
            ...(route.mirror ? [[obj(route.mirror), `spec.${protocol}[${i}].mirror`] as const] : []),
          ];
          for (const [destination, field] of destinations) {
            const target = serviceOfHost(g, String(destination.host ?? ''), namespaceOf(vs));
            if (target)
              check(
                vs,
                `${field}.host`,
                target.name,
                target.namespace,
                obj(destination.port).number,
                'routes to',
              );
          }
        });
      }
    }
    for (const dr of g.ofKind('DestinationRule')) {
      const target = serviceOfHost(g, String(spec(dr).host ?? ''), namespaceOf(dr));
      if (target) check(dr, 'spec.host', target.name, target.namespace, undefined, 'configures traffic to');
    }
    return out;
  },
};
