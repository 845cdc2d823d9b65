import {
  arr,
  type ManifestGraph,
  namespaceOf,
  obj,
  meshServiceOfHost as serviceOfHost,
  spec,
  strings,
} from '../graph.ts';
import type { Doc } from '../inputs.ts';
import type { GraphRule, GraphViolation } from './rule.ts';

const routeKinds = ['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'UDPRoute'];

/** A host in the `name.ns` or `name.ns.svc` form, for a namespace the set knows: Istio does not expand it. */
function partialHost(g: ManifestGraph, host: string): boolean {
  const parts = host.split('.');
  return (
    (parts.length === 2 || (parts.length === 3 && parts[2] === 'svc')) &&
    g.namespaces.has(parts[1] ?? '') &&
    !g.ofKind('ServiceEntry').some((e) => strings(spec(e).hosts).includes(host))
  );
}

const fullName = (host: string) => `${host.split('.').slice(0, 2).join('.')}.svc.cluster.local`;

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
      if (spec(ing).backend) backends.push([obj(spec(ing).backend), 'spec.backend']);
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
        const legacy = typeof backend.serviceName === 'string';
        const port = obj(service.port);
        const svc = g.find('Service', namespaceOf(ing), service.name);
        if (svc && typeof port.name === 'string' && !g.isProvided(svc)) {
          const names = arr(spec(svc).ports).map((p) => String(p.name ?? ''));
          if (!names.includes(port.name))
            out.push({
              doc: ing,
              field: legacy ? `${field}.servicePort` : `${field}.service.port.name`,
              message: `sends to port "${port.name}" of Service ${namespaceOf(ing)}/${service.name}, which has ${names.join(', ') || 'no named port'}`,
            });
          continue;
        }
        check(
          ing,
          legacy ? `${field}.serviceName` : `${field}.service`,
          service.name,
          namespaceOf(ing),
          port.number,
          'sends to',
        );
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
            const host = String(destination.host ?? '');
            const target = serviceOfHost(g, host, namespaceOf(vs));
            if (!target && partialHost(g, host))
              out.push({
                doc: vs,
                field: `${field}.host`,
                message: `routes to ${host}, which Istio does not expand: write the short name or ${fullName(host)}`,
              });
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
      const host = String(spec(dr).host ?? '');
      const target = serviceOfHost(g, host, namespaceOf(dr));
      if (target) check(dr, 'spec.host', target.name, target.namespace, undefined, 'configures traffic to');
      else if (partialHost(g, host))
        out.push({
          doc: dr,
          field: 'spec.host',
          message: `configures ${host}, which Istio does not expand: write the short name or ${fullName(host)}`,
        });
    }
    return out;
  },
};
