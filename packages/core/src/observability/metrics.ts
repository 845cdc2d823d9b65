// Every Prometheus metric an environment's queries may refer to: what the catalog's services expose, what the
// platform's exporters expose (kube-state-metrics, the kubelet and its cAdvisor, Prometheus itself, and, where
// they run, Istio's sidecars, cert-manager, Velero and Argo CD). Rules, dashboards, Flagger's metric templates
// and the custom-metrics adapter are checked against this list by the validator (`promql-metric-undeclared`),
// which reads it from the environment's cluster-provides.yaml.
import type { MetricSpec, MetricType, ServiceSpec } from '../catalog.ts';
import type { EnvConfig } from '../env-config.ts';

export interface DeclaredMetric {
  name: string;
  type: MetricType;
  /** What exposes it and what it counts, for the reviewer and the validator's messages. */
  why: string;
}

/** A metric of an exporter the platform runs, with the meaning it has for our alerts and dashboards. */
interface ExporterMetric {
  name: string;
  type: MetricType;
  help: string;
}

interface Exporter {
  source: string;
  metrics: ExporterMetric[];
  /** Whether an environment runs the exporter (default: every environment). */
  runsIn?: (env: EnvConfig) => boolean;
}

const exporters: readonly Exporter[] = [
  {
    source: 'Prometheus itself, for every target it scrapes',
    metrics: [{ name: 'up', type: 'gauge', help: '1 when the last scrape of the target succeeded' }],
  },
  {
    source: 'kube-state-metrics',
    metrics: [
      {
        name: 'kube_pod_container_status_restarts_total',
        type: 'counter',
        help: 'container restarts',
      },
      {
        name: 'kube_pod_container_status_waiting_reason',
        type: 'gauge',
        help: 'why a container is waiting (CrashLoopBackOff, ImagePullBackOff, ...)',
      },
      {
        name: 'kube_pod_container_resource_limits',
        type: 'gauge',
        help: 'the limits the manifests set, per container and resource',
      },
      {
        name: 'kube_horizontalpodautoscaler_status_current_replicas',
        type: 'gauge',
        help: 'replicas an HPA runs now',
      },
      {
        name: 'kube_horizontalpodautoscaler_spec_max_replicas',
        type: 'gauge',
        help: 'the most replicas an HPA may run',
      },
      {
        name: 'kube_deployment_status_replicas_available',
        type: 'gauge',
        help: 'available replicas of a Deployment',
      },
    ],
  },
  {
    source: "the kubelet's cAdvisor",
    metrics: [
      {
        name: 'container_memory_working_set_bytes',
        type: 'gauge',
        help: 'memory a container uses that the kernel cannot reclaim (what the OOM killer compares with the limit)',
      },
      { name: 'container_cpu_usage_seconds_total', type: 'counter', help: 'CPU time a container used' },
    ],
  },
  {
    source: 'the kubelet',
    metrics: [
      {
        name: 'kubelet_volume_stats_available_bytes',
        type: 'gauge',
        help: 'free bytes of a mounted PersistentVolumeClaim',
      },
      {
        name: 'kubelet_volume_stats_capacity_bytes',
        type: 'gauge',
        help: 'size of a mounted PersistentVolumeClaim',
      },
    ],
  },
  {
    source: "Istio's sidecars (standard metrics)",
    runsIn: (env) => env.traffic.mesh,
    metrics: [
      { name: 'istio_requests_total', type: 'counter', help: 'requests a sidecar proxied' },
      {
        name: 'istio_request_duration_milliseconds',
        type: 'histogram',
        help: 'request durations a sidecar measured',
      },
    ],
  },
  {
    source: 'cert-manager',
    metrics: [
      {
        name: 'certmanager_certificate_expiration_timestamp_seconds',
        type: 'gauge',
        help: 'when the current certificate of a Certificate expires',
      },
      {
        name: 'certmanager_certificate_ready_status',
        type: 'gauge',
        help: "a Certificate's Ready condition, one series per status",
      },
    ],
  },
  {
    source: 'Velero',
    metrics: [
      { name: 'velero_backup_failure_total', type: 'counter', help: 'failed backups, per schedule' },
      {
        name: 'velero_backup_last_successful_timestamp',
        type: 'gauge',
        help: 'when the last successful backup of a schedule finished',
      },
    ],
  },
  {
    source: "Argo CD's application controller",
    metrics: [
      {
        name: 'argocd_app_info',
        type: 'gauge',
        help: 'one series per Application with its sync and health status as labels',
      },
    ],
  },
];

/** The series names a metric has in Prometheus: a histogram is its buckets, sum and count. */
export function seriesNames(metric: { name: string; type: MetricType }): string[] {
  return metric.type === 'histogram'
    ? [`${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`]
    : [metric.name];
}

/** A service's declared metric by name; an error naming the catalog entry when it declares none. */
export function metricOf(spec: ServiceSpec, name: string, type?: MetricType): MetricSpec {
  const metric = spec.telemetry.metrics.find((m) => m.name === name);
  if (!metric || (type && metric.type !== type)) {
    throw new Error(
      `catalog: service "${spec.name}" refers to ${type ?? 'metric'} "${name}", which its telemetry.metrics ` +
        `does not declare${metric ? ` (it is a ${metric.type})` : ''}: declare it or refer to another`,
    );
  }
  return metric;
}

/**
 * Every metric the environment's queries may use, sorted by name. The same name from two services must have
 * one type (Prometheus keeps one type per name).
 */
export function declaredMetrics(env: EnvConfig, catalog: readonly ServiceSpec[]): DeclaredMetric[] {
  const byName = new Map<string, DeclaredMetric & { services: string[] }>();
  for (const spec of catalog) {
    for (const metric of spec.telemetry.metrics) {
      const known = byName.get(metric.name);
      if (known && known.type !== metric.type) {
        throw new Error(
          `catalog: metric "${metric.name}" is a ${metric.type} in "${spec.name}" but a ${known.type} in ` +
            `"${known.services[0]}": one name, one type; rename one of them`,
        );
      }
      const services = [...(known?.services ?? []), spec.name];
      byName.set(metric.name, {
        name: metric.name,
        type: metric.type,
        services,
        why: `exposed by ${services.join(', ')}: ${metric.help}`,
      });
    }
  }
  const declared: DeclaredMetric[] = [...byName.values()].map(({ name, type, why }) => ({ name, type, why }));
  for (const exporter of exporters) {
    if (exporter.runsIn && !exporter.runsIn(env)) continue;
    for (const m of exporter.metrics) {
      if (byName.has(m.name)) {
        throw new Error(
          `catalog: metric "${m.name}" is both a service's and ${exporter.source}'s: rename it`,
        );
      }
      declared.push({ name: m.name, type: m.type, why: `exposed by ${exporter.source}: ${m.help}` });
    }
  }
  return declared.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
