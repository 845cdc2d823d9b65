// The custom metrics API for HorizontalPodAutoscalers: prometheus-adapter's rules, generated from the same
// declaration as the HPA's Pods metric (catalog `autoscaling.podRate`) and served from the recording rule
// that computes it (rules.ts), so the three cannot drift apart. Written as the ConfigMap the adapter's chart
// reads (`rules.existing`); the validator checks that every HPA metric is served by a rule here and that the
// rule's series exist.
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { stringify } from 'yaml';
import type { ServiceSpec } from '../catalog.ts';
import { tierLabels } from '../labels.ts';
import { platform } from '../platform.ts';
import { selector } from './promql.ts';
import { podRateCounters, records } from './rules.ts';

/** One rule of prometheus-adapter's configuration (its `rules:` list). */
export interface AdapterRule {
  seriesQuery: string;
  resources: { overrides: Record<string, { resource: string }> };
  name: { matches: string; as: string };
  metricsQuery: string;
}

/** The name the custom metrics API serves a per-pod rate of `counter` under: `<counter without _total>_per_second`. */
export function podRateMetric(counter: string): string {
  return `${counter.replace(/_total$/, '')}_per_second`;
}

export function adapterRules(catalog: readonly ServiceSpec[]): AdapterRule[] {
  return podRateCounters(catalog).map((counter) => {
    const record = records.podRate(counter);
    return {
      seriesQuery: selector(record, { namespace: { not: '' }, pod: { not: '' } }),
      resources: { overrides: { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } } },
      name: { matches: `^${record.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, as: podRateMetric(counter) },
      metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)',
    };
  });
}

export const adapterConfigKey = 'config.yaml';

export function buildAdapterConfig(catalog: readonly ServiceSpec[]): ConfigMap {
  return new ConfigMap({
    metadata: {
      name: platform.monitoring.adapterConfigMap,
      namespace: platform.monitoringNamespace,
      labels: { ...tierLabels('monitoring'), 'app.kubernetes.io/name': 'prometheus-adapter' },
    },
    data: { [adapterConfigKey]: stringify({ rules: adapterRules(catalog) }, { lineWidth: 0 }) },
  });
}
