// North-south traffic through Gateway API, built per environment into the overlay's `gateway/` folder
// (its hosts and implementation are the environment's): one Gateway with an HTTPS listener per host and an
// HTTP listener that only redirects, an HTTPRoute per public service (its base path, its deadline; the
// WebSocket stream gets none), and the policies that let exactly this traffic in: the Gateway namespace
// admits clients on the listener ports only, each public service admits the Gateway's proxy only, and with
// the mesh the proxy's identity only. The canary's target gets no route here: Flagger owns it.
import { Gateway } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway';
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { AuthorizationPolicy } from '@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { portOf, type ServiceSpec } from './catalog.ts';
import type { EnvConfig } from './env-config.ts';
import { primaryLabels, selectorLabels, serviceLabels, tierLabels } from './labels.ts';
import { principal } from './mesh.ts';
import { inNamespace, tcp } from './network-policies.ts';
import { platform } from './platform.ts';
import type { KubeObject } from './resource-set.ts';

/** The proxy behind the environment's Gateway: where it runs, its pods, its identity, its ports. */
export function gatewayProxy(env: EnvConfig) {
  return platform.gateway.classes[env.traffic.gatewayClass];
}

/** A listener name from a host: Gateway API section names are DNS labels. */
export function httpsListenerName(host: string): string {
  return `https-${host.replaceAll('.', '-')}`.slice(0, 63).replace(/-+$/, '');
}

export function publicServices(catalog: readonly ServiceSpec[]): ServiceSpec[] {
  return catalog.filter((spec) => spec.public);
}

/** Public services whose route this builder writes: all but the canary's target, whose route is Flagger's. */
export function routedServices(env: EnvConfig, catalog: readonly ServiceSpec[]): ServiceSpec[] {
  return publicServices(catalog).filter(
    (spec) => !(env.traffic.canary && spec.name === platform.canary.target),
  );
}

function basePathOf(spec: ServiceSpec): string {
  if (!spec.basePath) {
    throw new Error(`catalog: public service "${spec.name}" has no basePath; the Gateway routes by it`);
  }
  return spec.basePath;
}

export function buildGateway(env: EnvConfig): Gateway {
  const proxy = gatewayProxy(env);
  const { name, tlsSecret } = platform.gateway;
  return new Gateway({
    metadata: { name, namespace: proxy.namespace, labels: tierLabels('gateway') },
    spec: {
      gatewayClassName: env.traffic.gatewayClass,
      listeners: [
        {
          name: 'http',
          protocol: 'HTTP',
          port: proxy.ports.http,
          // Only the redirect in the Gateway's own namespace: nothing is served over plain HTTP.
          allowedRoutes: { namespaces: { from: 'Same' } },
        },
        ...env.traffic.hosts.map((host) => ({
          name: httpsListenerName(host),
          protocol: 'HTTPS' as const,
          port: proxy.ports.https,
          hostname: host,
          tls: { mode: 'Terminate' as const, certificateRefs: [{ kind: 'Secret', name: tlsSecret }] },
          allowedRoutes: {
            namespaces: {
              from: 'Selector' as const,
              selector: inNamespace(platform.appNamespace).namespaceSelector,
            },
            kinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }],
          },
        })),
      ],
    },
  });
}

/** The parents an app route attaches to: every HTTPS listener of the environment's Gateway. */
export function httpsParents(env: EnvConfig) {
  const proxy = gatewayProxy(env);
  return env.traffic.hosts.map((host) => ({
    name: platform.gateway.name,
    namespace: proxy.namespace,
    sectionName: httpsListenerName(host),
  }));
}

export function buildRedirectRoute(env: EnvConfig): HTTPRoute {
  const proxy = gatewayProxy(env);
  return new HTTPRoute({
    metadata: { name: 'https-redirect', namespace: proxy.namespace, labels: tierLabels('gateway') },
    spec: {
      parentRefs: [{ name: platform.gateway.name, sectionName: 'http' }],
      hostnames: [...env.traffic.hosts],
      rules: [
        { filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] },
      ],
    },
  });
}

export function buildServiceRoute(env: EnvConfig, spec: ServiceSpec): HTTPRoute {
  const port = portOf(spec, 'http');
  return new HTTPRoute({
    metadata: { name: spec.name, namespace: platform.appNamespace, labels: serviceLabels(spec) },
    spec: {
      parentRefs: httpsParents(env),
      hostnames: [...env.traffic.hosts],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: basePathOf(spec) } }],
          backendRefs: [{ name: spec.name, port: port.servicePort ?? port.containerPort }],
          // `0s` switches the deadline off: a WebSocket stream lives as long as its client keeps it.
          timeouts: { request: spec.requests.timeout },
        },
      ],
    },
  });
}

/** The Gateway namespace admits clients on the listener ports and the load balancer's health checks. */
export function buildGatewayNamespacePolicies(env: EnvConfig): NetworkPolicy[] {
  const proxy = gatewayProxy(env);
  const labels = tierLabels('gateway');
  return [
    new NetworkPolicy({
      metadata: { name: 'default-deny-ingress', namespace: proxy.namespace, labels },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    }),
    new NetworkPolicy({
      metadata: { name: `${platform.gateway.name}-proxy`, namespace: proxy.namespace, labels },
      spec: {
        podSelector: { matchLabels: { ...proxy.podLabels } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            ports: [proxy.ports.http, proxy.ports.https, proxy.healthPort].map((port) => ({
              protocol: 'TCP' as const,
              port,
            })),
          },
        ],
      },
    }),
  ];
}

/** Each public service admits the Gateway's proxy pods on its HTTP port (and nothing else from there). */
export function buildFromGatewayPolicy(env: EnvConfig, spec: ServiceSpec, podLabels = selectorLabels(spec)) {
  const proxy = gatewayProxy(env);
  return new NetworkPolicy({
    metadata: {
      name: `${podLabels['app.kubernetes.io/name']}-from-gateway`,
      namespace: platform.appNamespace,
      labels: serviceLabels(spec),
    },
    spec: {
      podSelector: { matchLabels: podLabels },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ ...inNamespace(proxy.namespace), podSelector: { matchLabels: { ...proxy.podLabels } } }],
          ports: tcp(portOf(spec, 'http').containerPort),
        },
      ],
    },
  });
}

/** With the mesh: each public service admits requests carrying the Gateway proxy's identity. */
export function buildFromGatewayAuthorization(
  env: EnvConfig,
  spec: ServiceSpec,
  podLabels = selectorLabels(spec),
) {
  const proxy = gatewayProxy(env);
  return new AuthorizationPolicy({
    metadata: {
      name: `${podLabels['app.kubernetes.io/name']}-from-gateway`,
      namespace: platform.appNamespace,
      labels: serviceLabels(spec),
    },
    spec: {
      selector: { matchLabels: podLabels },
      action: 'ALLOW',
      rules: [
        {
          from: [{ source: { principals: [principal(proxy.namespace, proxy.serviceAccount)] } }],
          to: [{ operation: { ports: [String(portOf(spec, 'http').containerPort)] } }],
        },
      ],
    },
  });
}

/**
 * With Istio as the implementation, its proxy enforces what it accepts: plain HTTP (the redirect) and
 * HTTPS requests under the public services' base paths; any other path is refused at the edge.
 */
export function buildGatewayAuthorization(
  env: EnvConfig,
  catalog: readonly ServiceSpec[],
): AuthorizationPolicy {
  const proxy = gatewayProxy(env);
  const paths = publicServices(catalog).flatMap((spec) => [basePathOf(spec), `${basePathOf(spec)}/*`]);
  return new AuthorizationPolicy({
    metadata: { name: platform.gateway.name, namespace: proxy.namespace, labels: tierLabels('gateway') },
    spec: {
      selector: { matchLabels: { ...proxy.podLabels } },
      action: 'ALLOW',
      rules: [
        { to: [{ operation: { ports: [String(proxy.ports.http)] } }] },
        { to: [{ operation: { ports: [String(proxy.ports.https)], hosts: [...env.traffic.hosts], paths } }] },
      ],
    },
  });
}

export function gatewayObjects(env: EnvConfig, catalog: readonly ServiceSpec[]): KubeObject[] {
  const publics = publicServices(catalog);
  // Flagger routes the canary's target to its -primary pods as well; they need the same admission.
  const primaries = publics
    .filter((spec) => env.traffic.canary && spec.name === platform.canary.target)
    .map((spec) => ({ spec, labels: primaryLabels(spec) }));
  return [
    buildGateway(env),
    buildRedirectRoute(env),
    ...routedServices(env, catalog).map((spec) => buildServiceRoute(env, spec)),
    ...buildGatewayNamespacePolicies(env),
    ...publics.map((spec) => buildFromGatewayPolicy(env, spec)),
    ...primaries.map(({ spec, labels }) => buildFromGatewayPolicy(env, spec, labels)),
    ...(env.traffic.mesh
      ? [
          ...publics.map((spec) => buildFromGatewayAuthorization(env, spec)),
          ...primaries.map(({ spec, labels }) => buildFromGatewayAuthorization(env, spec, labels)),
        ]
      : []),
    ...(env.traffic.gatewayClass === 'istio' ? [buildGatewayAuthorization(env, catalog)] : []),
  ];
}
