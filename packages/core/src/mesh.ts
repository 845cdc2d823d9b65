// The Istio service mesh as a Kustomize Component (`components/mesh`), on where an environment sets
// `traffic.mesh`: sidecar injection on the app namespace, STRICT mTLS mesh-wide and per namespace,
// authorization that denies by default and allows exactly the edges of the catalog's service graph (the
// graph the NetworkPolicies come from) by the caller's service-account principal, a DestinationRule
// (connection pool, outlier detection) and a VirtualService (deadline, retries) per service, a Sidecar that
// scopes each proxy's egress, the NetworkPolicies a sidecar itself needs (istiod, metrics), and the pod
// annotations with which the sidecar merges the app's metrics into its own scrape endpoint.
import { DestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1/DestinationRule';
import { Sidecar } from '@kubernetes-models/istio/networking.istio.io/v1/Sidecar';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1/VirtualService';
import { AuthorizationPolicy } from '@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy';
import { PeerAuthentication } from '@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule';
import { callersOf, type ServiceSpec } from './catalog.ts';
import { type KustomizeDir, kustomizeDir } from './kustomization.ts';
import { type Labels, selectorLabels, serviceLabels, tierLabels } from './labels.ts';
import { inNamespace, tcp } from './network-policies.ts';
import { mergeAnnotations } from './observability/monitors.ts';
import { dataStoreNamespaces, platform } from './platform.ts';
import { type KubeObject, ResourceSet } from './resource-set.ts';

export const meshComponent = 'mesh';

const ns = platform.appNamespace;

/** The name a service has inside the cluster; Istio matches hosts by it. */
export function serviceHost(name: string, namespace: string = ns): string {
  return `${name}.${namespace}.svc.cluster.local`;
}

/** The SPIFFE identity Istio gives a workload: its namespace and service account. */
export function principal(namespace: string, serviceAccount: string): string {
  return `${platform.mesh.trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

export function buildPeerAuthentications(): PeerAuthentication[] {
  const strict = { mtls: { mode: 'STRICT' as const } };
  return [
    // In the root namespace: the mesh-wide default, so a namespace without its own policy is STRICT too.
    new PeerAuthentication({
      metadata: { name: 'default', namespace: platform.mesh.rootNamespace, labels: tierLabels('mesh') },
      spec: strict,
    }),
    // Stated again in the namespace, so it stays STRICT whatever the mesh-wide default becomes.
    new PeerAuthentication({
      metadata: { name: 'strict-mtls', namespace: ns, labels: tierLabels('mesh') },
      spec: strict,
    }),
  ];
}

/** An ALLOW policy with no rules matches nothing: with it, a request needs some other policy's allow. */
export function buildAllowNothing(): AuthorizationPolicy {
  return new AuthorizationPolicy({
    metadata: { name: 'allow-nothing', namespace: ns, labels: tierLabels('mesh') },
    spec: {},
  });
}

/**
 * Allows the service graph's edges into `spec` (undefined when nothing calls it: allow-nothing stands).
 * `podLabels` selects other pods of the service (a canary's primary).
 */
export function buildServiceAuthorization(
  spec: ServiceSpec,
  catalog: readonly ServiceSpec[],
  name: string = spec.name,
  podLabels: Labels = selectorLabels(spec),
): AuthorizationPolicy | undefined {
  const callers = callersOf(spec, catalog);
  if (callers.length === 0) return undefined;
  return new AuthorizationPolicy({
    metadata: { name, namespace: ns, labels: serviceLabels(spec) },
    spec: {
      selector: { matchLabels: podLabels },
      action: 'ALLOW',
      rules: callers.map(({ caller, ports }) => ({
        from: [{ source: { principals: [principal(ns, caller.name)] } }],
        to: [{ operation: { ports: ports.map(String) } }],
      })),
    },
  });
}

/** The spec's connection pool and outlier detection for every service: a slow or failing pod is shed. */
export function buildDestinationRule(spec: ServiceSpec): DestinationRule {
  return new DestinationRule({
    metadata: { name: spec.name, namespace: ns, labels: serviceLabels(spec) },
    spec: {
      host: serviceHost(spec.name),
      trafficPolicy: {
        connectionPool: {
          tcp: { maxConnections: 100, connectTimeout: '5s' },
          http: { http1MaxPendingRequests: 50, http2MaxRequests: 100 },
        },
        outlierDetection: {
          consecutive5xxErrors: 5,
          interval: '30s',
          baseEjectionTime: '30s',
          maxEjectionPercent: 50,
        },
        tls: { mode: 'ISTIO_MUTUAL' },
      },
    },
  });
}

/** Deadline and retries for calls to the service (the catalog's `requests`); streams get neither. */
export function buildVirtualService(spec: ServiceSpec): VirtualService {
  const host = serviceHost(spec.name);
  const { timeout, retries } = spec.requests;
  return new VirtualService({
    metadata: { name: spec.name, namespace: ns, labels: serviceLabels(spec) },
    spec: {
      hosts: [host],
      http: [
        {
          route: [{ destination: { host } }],
          // Istio sets no deadline unless asked (and refuses `0s`): a stream's route states none.
          ...(timeout !== '0s' ? { timeout } : {}),
          retries:
            retries > 0
              ? {
                  attempts: retries,
                  // Failures where the request never reached the app, so a retry cannot run it twice.
                  retryOn: 'connect-failure,refused-stream,reset-before-request,unavailable',
                }
              : { attempts: 0 },
        },
      ],
    },
  });
}

/** Each proxy learns only the hosts it may call: its namespace, the control plane and the data stores. */
export function buildSidecar(): Sidecar {
  const dataNamespaces = dataStoreNamespaces();
  return new Sidecar({
    metadata: { name: 'default', namespace: ns, labels: tierLabels('mesh') },
    spec: {
      egress: [
        { hosts: ['./*', `${platform.mesh.rootNamespace}/*`, ...dataNamespaces.map((n) => `${n}/*`)] },
      ],
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
    },
  });
}

/** A sidecar's way to istiod: configuration and certificates over xDS. */
export function istiodEgressRule(): INetworkPolicyEgressRule {
  const { mesh } = platform;
  return {
    to: [{ ...inNamespace(mesh.rootNamespace), podSelector: { matchLabels: { ...mesh.istiod.podLabels } } }],
    ports: tcp(mesh.istiod.xdsPort),
  };
}

/** The sidecars' own flows: configuration and certificates from istiod, merged metrics to Prometheus. */
export function buildMeshNetworkPolicies(): NetworkPolicy[] {
  const { mesh } = platform;
  return [
    new NetworkPolicy({
      metadata: { name: 'allow-istiod-egress', namespace: ns, labels: tierLabels('mesh') },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [istiodEgressRule()],
      },
    }),
    new NetworkPolicy({
      metadata: { name: 'allow-mesh-metrics', namespace: ns, labels: tierLabels('mesh') },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [inNamespace(platform.monitoringNamespace)],
            ports: tcp(mesh.metricsPort),
          },
        ],
      },
    }),
  ];
}

function injectionPatch(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns, labels: { 'istio-injection': 'enabled' } },
  } as KubeObject;
}

export function meshObjects(catalog: readonly ServiceSpec[]): KubeObject[] {
  return [
    ...buildPeerAuthentications(),
    buildAllowNothing(),
    buildSidecar(),
    ...buildMeshNetworkPolicies(),
    ...catalog.flatMap((spec) =>
      [
        buildServiceAuthorization(spec, catalog),
        buildDestinationRule(spec),
        buildVirtualService(spec),
      ].filter((o): o is NonNullable<typeof o> => o !== undefined),
    ),
  ];
}

/** Where the sidecar agent finds the app's metrics to merge with its own (observability/monitors.ts). */
function metricsMergePatch(spec: ServiceSpec): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: spec.kind,
    metadata: { name: spec.name, namespace: ns },
    spec: { template: { metadata: { annotations: mergeAnnotations(spec) } } },
  } as KubeObject;
}

export function buildMeshComponent(catalog: readonly ServiceSpec[]): KustomizeDir {
  return kustomizeDir({
    kind: 'Component',
    objects: new ResourceSet().add(...meshObjects(catalog)).list(),
    patches: [injectionPatch(), ...catalog.map(metricsMergePatch)],
  });
}
