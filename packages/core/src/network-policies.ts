// NetworkPolicies: the namespace starts from deny-all in both directions; each service then gets exactly
// the flows the service graph in the catalog declares, plus DNS. Namespace selectors use
// kubernetes.io/metadata.name, the one label Kubernetes sets on every namespace.
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule';
import type { INetworkPolicyIngressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule';
import { callersOf, portOf, type ServiceName, type ServiceSpec, serviceByName } from './catalog.ts';
import { selectorLabels, serviceLabels, tierLabels } from './labels.ts';
import { platform } from './platform.ts';

const namespaceLabel = 'kubernetes.io/metadata.name';

export function inNamespace(name: string) {
  return { namespaceSelector: { matchLabels: { [namespaceLabel]: name } } };
}

export function tcp(...ports: number[]) {
  return [...new Set(ports)].sort((a, b) => a - b).map((port) => ({ protocol: 'TCP' as const, port }));
}

export function buildDefaultDeny(): NetworkPolicy {
  return new NetworkPolicy({
    metadata: {
      name: 'default-deny-all',
      namespace: platform.appNamespace,
      labels: tierLabels('network-policy'),
    },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  });
}

/** Egress to the cluster DNS (kube-dns) over UDP and TCP. */
export function dnsEgressRule(): INetworkPolicyEgressRule {
  const { dns } = platform;
  return {
    to: [{ ...inNamespace(dns.namespace), podSelector: { matchLabels: { ...dns.podLabels } } }],
    ports: [
      { protocol: 'UDP', port: dns.port },
      { protocol: 'TCP', port: dns.port },
    ],
  };
}

export function buildDnsEgress(): NetworkPolicy {
  return new NetworkPolicy({
    metadata: {
      name: 'allow-dns-egress',
      namespace: platform.appNamespace,
      labels: tierLabels('network-policy'),
    },
    spec: { podSelector: {}, policyTypes: ['Egress'], egress: [dnsEgressRule()] },
  });
}

function ingressRules(spec: ServiceSpec, all: readonly ServiceSpec[]): INetworkPolicyIngressRule[] {
  const rules: INetworkPolicyIngressRule[] = callersOf(spec, all).map(({ caller, ports }) => ({
    from: [{ podSelector: { matchLabels: selectorLabels(caller) } }],
    ports: tcp(...ports),
  }));
  // A public service's way in from the Gateway is the environment's (gateway.ts): it depends on which
  // implementation runs the Gateway there.
  const metrics = portOf(spec, spec.telemetry.port);
  rules.push({ from: [inNamespace(platform.monitoringNamespace)], ports: tcp(metrics.containerPort) });
  return rules;
}

function egressRules(spec: ServiceSpec): INetworkPolicyEgressRule[] {
  const byCallee = new Map<ServiceName, number[]>();
  for (const call of spec.calls) {
    const port = portOf(serviceByName(call.service), call.port).containerPort;
    byCallee.set(call.service, [...(byCallee.get(call.service) ?? []), port]);
  }
  const rules: INetworkPolicyEgressRule[] = [...byCallee].map(([name, ports]) => ({
    to: [{ podSelector: { matchLabels: selectorLabels({ name }) } }],
    ports: tcp(...ports),
  }));
  // The way to the data stores differs per environment (in the cluster or managed): data-stores.ts.
  return rules;
}

export function buildServicePolicy(spec: ServiceSpec, all: readonly ServiceSpec[]): NetworkPolicy {
  const egress = egressRules(spec);
  return new NetworkPolicy({
    metadata: { name: spec.name, namespace: platform.appNamespace, labels: serviceLabels(spec) },
    spec: {
      podSelector: { matchLabels: selectorLabels(spec) },
      policyTypes: egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'],
      ingress: ingressRules(spec, all),
      ...(egress.length > 0 ? { egress } : {}),
    },
  });
}
