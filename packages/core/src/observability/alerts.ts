// The alerts besides the SLO burn rates, each with the test that proves it: the spec's two alerts corrected
// (its error-rate ratio divided per status code and so was 1 for any 5xx; its memory alert matched pod names
// that no pod has, counted page cache and divided by a limit cAdvisor reports as 0 when unset), and the
// failures that take the tier down without an SLO noticing first: restarts, crash loops, an HPA at its
// ceiling, a volume filling up, a scrape target gone, a certificate not renewed, a backup failed or missing,
// an Argo CD application out of sync or degraded. Every alert carries severity, summary, description and a
// runbook_url that points at its section of docs/runbook.md (a test holds them together).
import { backupSchedules } from '../backup.ts';
import { dataStoreNamespaces, platform } from '../platform.ts';
import { selector } from './promql.ts';
import { records, runbook } from './rules.ts';

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: 'critical' | 'warning' } & Record<string, string>;
  annotations: { summary: string; description: string; runbook_url: string };
}

export interface RuleGroup {
  name: string;
  interval: string;
  rules: (RecordingRule | AlertRule)[];
}

export function isAlert(rule: RecordingRule | AlertRule): rule is AlertRule {
  return 'alert' in rule;
}

/** One input series of a promtool test, in its expanding notation (`0+60x30`: start, step, count). */
export interface InputSeries {
  series: string;
  values: string;
}

/**
 * How an alert is proven: an unhealthy input on which it fires with `labels` at `at`, and a healthy one
 * on which it stays silent. `interval` is the spacing of the input samples.
 */
export interface AlertScenario {
  interval: string;
  at: string;
  unhealthy: InputSeries[];
  healthy: InputSeries[];
  /** The labels of the firing alert that come from the expression (the rule's own are added). */
  labels: Record<string, string>;
}

export interface TestedAlert {
  rule: AlertRule;
  scenario: AlertScenario;
}

const ns = platform.appNamespace;
const minute = '1m';

function alert(
  name: string,
  fields: Omit<AlertRule, 'alert' | 'annotations' | 'labels'> & {
    severity: AlertRule['labels']['severity'];
    summary: string;
    description: string;
  },
  scenario: AlertScenario,
): TestedAlert {
  return {
    rule: {
      alert: name,
      expr: fields.expr,
      for: fields.for,
      labels: { severity: fields.severity },
      annotations: { summary: fields.summary, description: fields.description, runbook_url: runbook(name) },
    },
    scenario,
  };
}

const pod = { namespace: ns, pod: 'api-gateway-7d9f8b6c5d-x2x4q', container: 'api-gateway' };
const series = (metric: string, labels: Record<string, string>, values: string): InputSeries => ({
  series: selector(metric, labels),
  values,
});

/** Alerts on the app tier's own workloads and targets (PrometheusRule neural-engine-alerts). */
export function appAlerts(): TestedAlert[] {
  const requests = (status: string, values: string) =>
    series('http_requests_total', { namespace: ns, service: 'api-gateway', status }, values);
  const gib = 1024 ** 3;
  const memory = (used: number) => [
    series('container_memory_working_set_bytes', pod, `${used}x20`),
    series(
      'kube_pod_container_resource_limits',
      { ...pod, resource: 'memory', unit: 'byte' },
      `${2 * gib}x20`,
    ),
  ];
  const hpa = { namespace: ns, horizontalpodautoscaler: 'api-gateway' };
  const claim = { namespace: ns, persistentvolumeclaim: 'device-data-device-manager-0' };
  const volume = (available: number) => [
    series('kubelet_volume_stats_available_bytes', claim, `${available}x30`),
    series('kubelet_volume_stats_capacity_bytes', claim, `${10 * gib}x30`),
  ];
  const target = { namespace: ns, service: 'api-gateway', pod: pod.pod, job: 'api-gateway' };
  const dataNamespaces = [ns, ...dataStoreNamespaces()].join('|');
  return [
    alert(
      'HighErrorRate',
      {
        expr: `${selector(records.errorRatio, { namespace: ns })} > 0.05`,
        for: '5m',
        severity: 'critical',
        summary: '{{ $labels.service }} answers more than 5 % of requests with a server error',
        description:
          'More than 5 % of the requests to {{ $labels.service }} in {{ $labels.namespace }} have failed with a ' +
          '5xx status for 5 minutes.',
      },
      {
        interval: minute,
        at: '15m',
        unhealthy: [requests('200', '0+60x20'), requests('500', '0+60x20')],
        healthy: [requests('200', '0+60x20'), requests('500', '0x20')],
        labels: { namespace: ns, service: 'api-gateway' },
      },
    ),
    alert(
      'PodMemoryNearLimit',
      {
        expr:
          `max by (namespace, pod, container) (${selector('container_memory_working_set_bytes', { namespace: ns, container: { not: '' } })}) ` +
          `/ max by (namespace, pod, container) (${selector('kube_pod_container_resource_limits', { namespace: ns, resource: 'memory' })}) > 0.9`,
        for: '5m',
        severity: 'warning',
        summary: '{{ $labels.pod }} uses more than 90 % of its memory limit',
        description:
          'Container {{ $labels.container }} of {{ $labels.pod }} has used more than 90 % of the memory limit ' +
          'its manifest sets for 5 minutes; it is close to being OOM-killed.',
      },
      {
        interval: minute,
        at: '10m',
        unhealthy: memory(1.9 * gib),
        healthy: memory(1 * gib),
        labels: pod,
      },
    ),
    alert(
      'PodRestartingOften',
      {
        expr: `increase(${selector('kube_pod_container_status_restarts_total', { namespace: ns })}[1h]) > 3`,
        for: '5m',
        severity: 'warning',
        summary: '{{ $labels.pod }} restarted more than 3 times in an hour',
        description:
          'Container {{ $labels.container }} of {{ $labels.pod }} has restarted more than 3 times within the ' +
          'last hour.',
      },
      {
        interval: minute,
        at: '30m',
        unhealthy: [series('kube_pod_container_status_restarts_total', pod, '0+1x40')],
        healthy: [series('kube_pod_container_status_restarts_total', pod, '1x40')],
        labels: pod,
      },
    ),
    alert(
      'PodCrashLooping',
      {
        expr: `max_over_time(${selector('kube_pod_container_status_waiting_reason', { namespace: ns, reason: 'CrashLoopBackOff' })}[5m]) >= 1`,
        for: '15m',
        severity: 'critical',
        summary: '{{ $labels.pod }} is crash-looping',
        description:
          'Container {{ $labels.container }} of {{ $labels.pod }} has been waiting in CrashLoopBackOff for 15 minutes.',
      },
      {
        interval: minute,
        at: '20m',
        unhealthy: [
          series('kube_pod_container_status_waiting_reason', { ...pod, reason: 'CrashLoopBackOff' }, '1x30'),
        ],
        healthy: [
          series('kube_pod_container_status_waiting_reason', { ...pod, reason: 'CrashLoopBackOff' }, '0x30'),
        ],
        labels: { ...pod, reason: 'CrashLoopBackOff' },
      },
    ),
    alert(
      'HPAMaxedOut',
      {
        expr:
          `${selector('kube_horizontalpodautoscaler_status_current_replicas', { namespace: ns })} ` +
          `>= ${selector('kube_horizontalpodautoscaler_spec_max_replicas', { namespace: ns })}`,
        for: '15m',
        severity: 'warning',
        summary: '{{ $labels.horizontalpodautoscaler }} has run at its maximum replicas for 15 minutes',
        description:
          'The HorizontalPodAutoscaler {{ $labels.horizontalpodautoscaler }} in {{ $labels.namespace }} cannot ' +
          'add capacity: it has been at maxReplicas for 15 minutes.',
      },
      {
        interval: minute,
        at: '20m',
        unhealthy: [
          series('kube_horizontalpodautoscaler_status_current_replicas', hpa, '10x30'),
          series('kube_horizontalpodautoscaler_spec_max_replicas', hpa, '10x30'),
        ],
        healthy: [
          series('kube_horizontalpodautoscaler_status_current_replicas', hpa, '4x30'),
          series('kube_horizontalpodautoscaler_spec_max_replicas', hpa, '10x30'),
        ],
        labels: hpa,
      },
    ),
    alert(
      'PVCNearlyFull',
      {
        expr:
          `${selector('kubelet_volume_stats_available_bytes', { namespace: { re: dataNamespaces } })} ` +
          `/ ${selector('kubelet_volume_stats_capacity_bytes', { namespace: { re: dataNamespaces } })} < 0.1`,
        for: '15m',
        severity: 'warning',
        summary: '{{ $labels.persistentvolumeclaim }} has less than 10 % free space',
        description:
          'The volume of {{ $labels.persistentvolumeclaim }} in {{ $labels.namespace }} has had less than 10 % ' +
          'of its capacity free for 15 minutes.',
      },
      {
        interval: minute,
        at: '20m',
        unhealthy: volume(0.5 * gib),
        healthy: volume(5 * gib),
        labels: claim,
      },
    ),
    alert(
      'TargetDown',
      {
        expr: `${selector('up', { namespace: ns })} == 0`,
        for: '5m',
        severity: 'warning',
        summary: 'Prometheus cannot scrape {{ $labels.pod }}',
        description:
          'The metrics endpoint of {{ $labels.pod }} ({{ $labels.service }}) has failed every scrape for 5 ' +
          'minutes: its alerts and dashboards are blind.',
      },
      {
        interval: minute,
        at: '10m',
        unhealthy: [series('up', target, '0x20')],
        healthy: [series('up', target, '1x20')],
        labels: target,
      },
    ),
  ];
}

/** Alerts on the platform the tier depends on (PrometheusRule platform-alerts, in the monitoring namespace). */
export function platformAlerts(): TestedAlert[] {
  const day = 86400;
  // Scraped without honorLabels (the default), cert-manager's own `namespace` label (the Certificate's)
  // becomes `exported_namespace`; `namespace` is where cert-manager runs.
  const certificate = {
    namespace: 'cert-manager',
    name: 'neural-engine-tls',
    exported_namespace: 'istio-ingress',
  };
  const [daily, frequent] = [...backupSchedules()].sort((a, b) => b.intervalHours - a.intervalHours);
  const schedule = { schedule: daily?.name ?? '' };
  const hourly = { schedule: frequent?.name ?? '' };
  const app = {
    name: 'neural-engine-production',
    project: 'neural-engine',
    dest_namespace: ns,
  };
  const appInfo = (sync: string, health: string) =>
    series('argocd_app_info', { ...app, sync_status: sync, health_status: health }, '1x40');
  return [
    alert(
      'CertificateExpiringSoon',
      {
        expr: `${selector('certmanager_certificate_expiration_timestamp_seconds')} - time() < ${14 * day}`,
        for: '1h',
        severity: 'warning',
        summary: 'Certificate {{ $labels.name }} expires in less than 14 days',
        description:
          'cert-manager renews 30 days before expiry; {{ $labels.name }} in {{ $labels.exported_namespace }} is within 14 ' +
          'days of expiring, so its renewal has been failing for two weeks.',
      },
      {
        interval: minute,
        at: '2h',
        unhealthy: [
          series('certmanager_certificate_expiration_timestamp_seconds', certificate, `${10 * day}x150`),
        ],
        healthy: [
          series('certmanager_certificate_expiration_timestamp_seconds', certificate, `${60 * day}x150`),
        ],
        labels: certificate,
      },
    ),
    alert(
      'VeleroBackupFailed',
      {
        expr: `increase(${selector('velero_backup_failure_total', { schedule: { not: '' } })}[1h]) > 0`,
        for: '0m',
        severity: 'warning',
        summary: 'A backup of schedule {{ $labels.schedule }} failed',
        description:
          'Velero reported a failed backup of schedule {{ $labels.schedule }} within the last hour.',
      },
      {
        interval: '10m',
        at: '1h',
        unhealthy: [series('velero_backup_failure_total', schedule, '0 0 0 1 1 1 1 1')],
        healthy: [series('velero_backup_failure_total', schedule, '0x8')],
        labels: schedule,
      },
    ),
    alert(
      'VeleroBackupMissing',
      {
        // Each schedule may be late by one hour past its interval.
        expr: backupSchedules()
          .map(
            (b) =>
              `(time() - ${selector('velero_backup_last_successful_timestamp', { schedule: b.name })} > ${(b.intervalHours + 1) * 3600})`,
          )
          .join(' or '),
        for: '15m',
        severity: 'critical',
        summary: 'Schedule {{ $labels.schedule }} has missed its backup',
        description:
          'The last successful backup of schedule {{ $labels.schedule }} is older than its interval plus an ' +
          'hour: a run failed or did not start, and a restore would lose more than the schedule promises.',
      },
      {
        // The hourly schedule's last success 3 hours before the test starts: missing. The daily one's, 3
        // hours old too, is within its interval: the thresholds are per schedule.
        interval: minute,
        at: '20m',
        unhealthy: [series('velero_backup_last_successful_timestamp', hourly, `${-3 * 3600}x40`)],
        healthy: [
          series('velero_backup_last_successful_timestamp', hourly, '0+60x40'),
          series('velero_backup_last_successful_timestamp', schedule, `${-3 * 3600}x40`),
        ],
        labels: hourly,
      },
    ),
    alert(
      'ArgoCDAppOutOfSync',
      {
        expr: `${selector('argocd_app_info', { sync_status: 'OutOfSync' })} == 1`,
        for: '15m',
        severity: 'warning',
        summary: 'Argo CD application {{ $labels.name }} is out of sync',
        description:
          'The live state of {{ $labels.name }} has differed from Git for 15 minutes although automated sync ' +
          'and self-heal are on: a sync is failing or a field is fought over.',
      },
      {
        interval: minute,
        at: '20m',
        unhealthy: [appInfo('OutOfSync', 'Healthy')],
        healthy: [appInfo('Synced', 'Healthy')],
        labels: { ...app, sync_status: 'OutOfSync', health_status: 'Healthy' },
      },
    ),
    alert(
      'ArgoCDAppDegraded',
      {
        expr: `${selector('argocd_app_info', { health_status: { re: 'Degraded|Missing' } })} == 1`,
        for: '15m',
        severity: 'critical',
        summary: 'Argo CD application {{ $labels.name }} is {{ $labels.health_status }}',
        description:
          'Argo CD has reported {{ $labels.name }} as {{ $labels.health_status }} for 15 minutes: some of its ' +
          'resources are failing or absent.',
      },
      {
        interval: minute,
        at: '20m',
        unhealthy: [appInfo('Synced', 'Degraded')],
        healthy: [appInfo('Synced', 'Healthy')],
        labels: { ...app, sync_status: 'Synced', health_status: 'Degraded' },
      },
    ),
  ];
}
