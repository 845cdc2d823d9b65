// What Prometheus scrapes in the app namespace. Without the mesh: one ServiceMonitor per service on the port
// its telemetry names. With the mesh, STRICT mTLS refuses a plain-text scrape of the app's port, so Istio's
// metrics merging serves the app's metrics together with the sidecar's on the sidecar agent's port (15020,
// outside mTLS): one PodMonitor for every pod of the tier, and the pods say where the app's metrics are with
// the prometheus.io annotations the mesh component adds. Either way every series carries the same target
// labels (namespace, pod, service, component), so rules and dashboards do not depend on the mesh.

import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import type { IRelabelConfig } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/RelabelConfig';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { ServiceSpec } from '../catalog.ts';
import { headlessLabel, selectorLabels, serviceLabels, tierLabels } from '../labels.ts';
import { platform } from '../platform.ts';

const ns = platform.appNamespace;

/** A Kubernetes label as Prometheus's discovery names it inside its meta labels (`a.b/c` → `a_b_c`). */
export function metaLabelName(label: string): string {
  return label.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** The pod label a relabeling reads, as Prometheus's Kubernetes discovery names it. */
export function podLabelMeta(label: string): string {
  return `__meta_kubernetes_pod_label_${metaLabelName(label)}`;
}

/**
 * `service` from the pod's instance label (`neural-engine-<service>`: Flagger's -primary copies keep it, so
 * a canary and its primary count as one service) and `component` from the component label.
 */
export function targetRelabelings(): IRelabelConfig[] {
  return [
    {
      action: 'replace',
      sourceLabels: [podLabelMeta('app.kubernetes.io/instance')],
      regex: `${platform.partOf}-(.+)`,
      replacement: '$1',
      targetLabel: 'service',
    },
    {
      action: 'replace',
      sourceLabels: [podLabelMeta('app.kubernetes.io/component')],
      targetLabel: 'component',
    },
  ];
}

export function buildServiceMonitor(spec: ServiceSpec): ServiceMonitor {
  return new ServiceMonitor({
    metadata: {
      name: spec.name,
      namespace: ns,
      labels: { ...serviceLabels(spec), ...platform.monitoring.selectorLabels },
    },
    spec: {
      selector: {
        matchLabels: selectorLabels(spec),
        matchExpressions: [{ key: headlessLabel, operator: 'DoesNotExist' }],
      },
      endpoints: [
        {
          port: spec.telemetry.port,
          path: spec.telemetry.path,
          interval: platform.monitoring.scrapeInterval,
          relabelings: targetRelabelings(),
        },
      ],
    },
  });
}

export const meshPodMonitorName = `${platform.partOf}-mesh`;

/** With the mesh: the sidecar agent's merged endpoint of every pod of the tier. */
export function buildMeshPodMonitor(): PodMonitor {
  return new PodMonitor({
    metadata: {
      name: meshPodMonitorName,
      namespace: ns,
      labels: { ...tierLabels('monitoring'), ...platform.monitoring.selectorLabels },
    },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/part-of': platform.partOf } },
      podMetricsEndpoints: [
        {
          path: '/stats/prometheus',
          interval: platform.monitoring.scrapeInterval,
          relabelings: [
            // One target per pod: the sidecar container (its declared port is the Envoy stats port) ...
            {
              action: 'keep',
              sourceLabels: ['__meta_kubernetes_pod_container_name'],
              regex: 'istio-proxy',
            },
            // ... scraped on the agent's merged port instead.
            {
              action: 'replace',
              sourceLabels: ['__address__'],
              regex: '([^:]+)(?::\\d+)?',
              replacement: `$1:${platform.mesh.metricsPort}`,
              targetLabel: '__address__',
            },
            ...targetRelabelings(),
          ],
        },
      ],
    },
  });
}

/** The prometheus.io annotations Istio's metrics merging reads to find the app's own metrics. */
export function mergeAnnotations(spec: ServiceSpec): Record<string, string> {
  const port = spec.ports.find((p) => p.name === spec.telemetry.port);
  if (!port) {
    throw new Error(
      `catalog: service "${spec.name}" has telemetry.port "${spec.telemetry.port}" but no port of that name`,
    );
  }
  return {
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': String(port.containerPort),
    'prometheus.io/path': spec.telemetry.path,
  };
}
