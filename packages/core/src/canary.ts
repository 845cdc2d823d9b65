// Progressive delivery of the api-gateway with Flagger, where an environment sets `traffic.canary`.
// Flagger's Gateway API provider shifts the public route's weight between the `-primary` and `-canary`
// Services it creates, judged by the sidecars' request metrics (the mesh is required). Flagger then owns the
// target's Service, its HTTPRoute and (as a mesh destination) its DestinationRule and VirtualService: the
// env-agnostic Component `canary-api-gateway` deletes ours and adds what Flagger's copies need (policies
// and a disruption budget for the `-primary` pods, the load tester's way in, the metric templates); the
// Canary itself, which names the environment's hosts and Gateway, is built into the overlay.

import { AuthorizationPolicy } from '@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy';
import { Canary, type ICanary, MetricTemplate } from '@neurascale/models/flagger';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { callersOf, portOf, type ServiceSpec, serviceByName } from './catalog.ts';
import { buildDisruptionBudget } from './disruption-budgets.ts';
import type { EnvConfig } from './env-config.ts';
import { httpsParents } from './gateway.ts';
import { type KustomizeDir, kustomizeDir } from './kustomization.ts';
import { primaryLabels, selectorLabels, serviceLabels } from './labels.ts';
import { buildServiceAuthorization, principal, serviceHost } from './mesh.ts';
import { buildServicePolicy, inNamespace, tcp } from './network-policies.ts';
import { platform } from './platform.ts';
import { type KubeObject, ResourceSet } from './resource-set.ts';
import { vpaName } from './vertical-autoscaling.ts';

export const canaryComponent = (spec: Pick<ServiceSpec, 'name'>) => `canary-${spec.name}`;

const ns = platform.appNamespace;

/** The spec's analysis: one step a minute, 5 % at a time up to half the traffic, ten failed checks roll back. */
export const analysis = { interval: '1m', threshold: 10, maxWeight: 50, stepWeight: 5 } as const;
export const thresholds = { successRatePercent: 99, p99Milliseconds: 500 } as const;

/** Requests the canary's sidecar served, by Istio's standard metric (the destination's own report). */
const served = (extra = '') =>
  `istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",` +
  `destination_workload="{{ target }}"${extra}}`;

export const metricTemplates = {
  'request-success-rate': `sum(rate(${served(',response_code!~"5.*"')}[{{ interval }}])) / sum(rate(${served()}[{{ interval }}])) * 100`,
  'request-duration-p99':
    'histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination",' +
    'destination_workload_namespace="{{ namespace }}",destination_workload="{{ target }}"}[{{ interval }}])))',
} as const;

export function buildMetricTemplates(): MetricTemplate[] {
  return Object.entries(metricTemplates).map(
    ([name, query]) =>
      new MetricTemplate({
        metadata: { name, namespace: ns, labels: { 'app.kubernetes.io/part-of': platform.partOf } },
        spec: { provider: { type: 'prometheus', address: platform.canary.prometheus }, query },
      }),
  );
}

function renamed<T extends { metadata?: { name?: string } }>(object: T, name: string): T {
  object.metadata = { ...object.metadata, name };
  return object;
}

/** The target's own NetworkPolicy and authorization, for its `-primary` pods. */
function primaryPolicies(spec: ServiceSpec, catalog: readonly ServiceSpec[]): KubeObject[] {
  const primary = primaryLabels(spec);
  const policy = renamed(buildServicePolicy(spec, catalog), `${spec.name}-primary`);
  if (policy.spec) policy.spec.podSelector = { matchLabels: primary };
  const authorization = buildServiceAuthorization(spec, catalog, `${spec.name}-primary`, primary);
  const budget = renamed(buildDisruptionBudget(spec), `${spec.name}-primary`);
  if (budget.spec) budget.spec.selector = { matchLabels: primary };
  return [policy, budget, ...(authorization ? [authorization] : [])];
}

/** Each caller's egress to the `-primary` pods (NetworkPolicies add up, so the caller's own one stays). */
function callerEgress(spec: ServiceSpec, catalog: readonly ServiceSpec[]): NetworkPolicy[] {
  return callersOf(spec, catalog).map(
    ({ caller, ports }) =>
      new NetworkPolicy({
        metadata: {
          name: `${caller.name}-to-${spec.name}-primary`,
          namespace: ns,
          labels: serviceLabels(caller),
        },
        spec: {
          podSelector: { matchLabels: selectorLabels(caller) },
          policyTypes: ['Egress'],
          egress: [
            {
              to: [{ podSelector: { matchLabels: primaryLabels(spec) } }],
              ports: tcp(...ports),
            },
          ],
        },
      }),
  );
}

/** Flagger's load tester drives traffic at the canary pods during analysis. */
function loadTesterAccess(spec: ServiceSpec): KubeObject[] {
  const tester = platform.canary.loadTester;
  const port = portOf(spec, 'http').containerPort;
  const name = `${spec.name}-from-load-tester`;
  return [
    new NetworkPolicy({
      metadata: { name, namespace: ns, labels: serviceLabels(spec) },
      spec: {
        podSelector: { matchLabels: selectorLabels(spec) },
        policyTypes: ['Ingress'],
        ingress: [{ from: [inNamespace(tester.namespace)], ports: tcp(port) }],
      },
    }),
    new AuthorizationPolicy({
      metadata: { name, namespace: ns, labels: serviceLabels(spec) },
      spec: {
        selector: { matchLabels: selectorLabels(spec) },
        action: 'ALLOW',
        rules: [
          {
            from: [{ source: { principals: [principal(tester.namespace, tester.serviceAccount)] } }],
            to: [{ operation: { ports: [String(port)] } }],
          },
        ],
      },
    }),
  ];
}

/** `$patch: delete` of an object the base or the mesh component emits and Flagger takes over. */
function deletion(apiVersion: string, kind: string, name: string): KubeObject {
  return { apiVersion, kind, metadata: { name, namespace: ns }, $patch: 'delete' } as KubeObject;
}

export function buildCanaryComponent(spec: ServiceSpec, catalog: readonly ServiceSpec[]): KustomizeDir {
  const objects = new ResourceSet().add(
    ...buildMetricTemplates(),
    ...primaryPolicies(spec, catalog),
    ...callerEgress(spec, catalog),
    ...loadTesterAccess(spec),
  );
  return kustomizeDir({
    kind: 'Component',
    objects: objects.list(),
    patches: [
      deletion('v1', 'Service', spec.name),
      deletion('networking.istio.io/v1', 'DestinationRule', spec.name),
      deletion('networking.istio.io/v1', 'VirtualService', spec.name),
      // Flagger scales the target to zero and serves from its -primary copy: recommend for the pods that run.
      {
        apiVersion: 'autoscaling.k8s.io/v1',
        kind: 'VerticalPodAutoscaler',
        metadata: { name: vpaName(spec), namespace: platform.appNamespace },
        spec: { targetRef: { name: `${spec.name}-primary` } },
      } as KubeObject,
    ],
  });
}

export function buildCanary(
  env: EnvConfig,
  spec: ServiceSpec = serviceByName(platform.canary.target),
): Canary {
  const port = portOf(spec, 'http');
  const tester = platform.canary.loadTester;
  const servicePort = port.servicePort ?? port.containerPort;
  const metric = (name: keyof typeof metricTemplates, range: { min?: number; max?: number }) => ({
    name,
    templateRef: { name, namespace: ns },
    thresholdRange: range,
    interval: analysis.interval,
  });
  const canarySpec: ICanary['spec'] = {
    provider: 'gatewayapi:v1',
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: spec.name },
    ...(spec.autoscaling
      ? { autoscalerRef: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: spec.name } }
      : {}),
    progressDeadlineSeconds: 600,
    service: {
      port: servicePort,
      targetPort: port.name,
      portName: port.name,
      gatewayRefs: httpsParents(env),
      hosts: [...env.traffic.hosts],
      match: [{ uri: { prefix: spec.basePath ?? '/' } }],
      timeout: spec.requests.timeout,
    },
    analysis: {
      ...analysis,
      metrics: [
        metric('request-success-rate', { min: thresholds.successRatePercent }),
        metric('request-duration-p99', { max: thresholds.p99Milliseconds }),
      ],
      webhooks: [
        {
          name: 'load-test',
          type: 'rollout',
          url: `http://${serviceHost(tester.name, tester.namespace)}/`,
          timeout: '5s',
          metadata: {
            type: 'cmd',
            cmd: `hey -z 1m -q 10 -c 2 http://${serviceHost(`${spec.name}-canary`)}:${servicePort}${spec.health.ready}`,
          },
        },
      ],
    },
  };
  return new Canary({
    metadata: { name: spec.name, namespace: ns, labels: serviceLabels(spec) },
    spec: canarySpec,
  });
}
