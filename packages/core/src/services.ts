// Services: one ClusterIP Service per workload, plus the headless Service a StatefulSet needs for
// stable per-pod DNS names.
import { Service } from 'kubernetes-models/v1/Service';
import type { ServiceSpec } from './catalog.ts';
import { headlessLabel, selectorLabels, serviceLabels } from './labels.ts';
import { platform } from './platform.ts';

function ports(spec: ServiceSpec) {
  return spec.ports.map((p) => ({
    name: p.name,
    port: p.servicePort ?? p.containerPort,
    targetPort: p.name,
    protocol: 'TCP' as const,
    ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
  }));
}

export function buildServices(spec: ServiceSpec): Service[] {
  const labels = serviceLabels(spec);
  const service = new Service({
    metadata: { name: spec.name, namespace: platform.appNamespace, labels },
    spec: { type: 'ClusterIP', selector: selectorLabels(spec), ports: ports(spec) },
  });
  if (spec.kind !== 'StatefulSet') return [service];
  const headless = new Service({
    metadata: {
      name: `${spec.name}-headless`,
      namespace: platform.appNamespace,
      labels: { ...labels, [headlessLabel]: 'true' },
    },
    spec: {
      clusterIP: 'None',
      // Peers must find each other before they are ready (discovery during start-up).
      publishNotReadyAddresses: true,
      selector: selectorLabels(spec),
      ports: ports(spec),
    },
  });
  return [service, headless];
}
