// The recording rules every dashboard, SLO and autoscaler reads, and the SLOs themselves: per objective, the
// error ratio over the windows of the SRE workbook's multi-window, multi-burn-rate alerts, the remaining
// error budget, and the two alerts (a fast burn that pages, a slow burn that opens a ticket), as Sloth and
// Pyrra generate them. All of it is derived from the catalog's telemetry: a new service or objective gets its
// rules by being declared.
import type { ServiceSpec, SloSpec } from '../catalog.ts';
import { platform } from '../platform.ts';
import type { AlertRule, RecordingRule, RuleGroup } from './alerts.ts';
import { metricOf } from './metrics.ts';
import { durationSeconds, leLabel, literal, selector, sumRate } from './promql.ts';

const ns = platform.appNamespace;
const byService = ['namespace', 'service'] as const;

/** Recording rule names, for the rules, the dashboards, the adapter and the tests to share. */
export const records = {
  requestRate: 'service:http_requests:rate5m',
  errorRate: 'service:http_requests_errors:rate5m',
  errorRatio: 'service:http_requests_errors:ratio_rate5m',
  quantile: (histogram: string) => `service_quantile:${histogram}:histogram_quantile`,
  podRate: (counter: string) => `namespace_pod:${counter.replace(/_total$/, '')}:rate2m`,
  sloError: (window: string) => `slo:sli_error:ratio_rate${window}`,
  sloObjective: 'slo:objective:ratio',
  sloBudgetRemaining: 'slo:error_budget:remaining_ratio',
} as const;

export const quantiles = ['0.5', '0.9', '0.99'] as const;

/** The counter every HTTP service declares; request rates, error ratios and availability read it. */
export const requestsCounter = 'http_requests_total';

function histogramsOf(catalog: readonly ServiceSpec[]): string[] {
  return [
    ...new Set(
      catalog.flatMap((s) => s.telemetry.metrics.filter((m) => m.type === 'histogram').map((m) => m.name)),
    ),
  ].sort();
}

/** Request rate, server-error rate and ratio, and latency quantiles of every declared histogram, per service. */
export function serviceRecordingGroup(catalog: readonly ServiceSpec[]): RuleGroup {
  const requests = selector(requestsCounter, { namespace: ns });
  const errors = selector(requestsCounter, { namespace: ns, status: { re: '5..' } });
  const rules: RecordingRule[] = [
    { record: records.requestRate, expr: sumRate(byService, requests, '5m') },
    // `or 0 * ...`: a service without server errors has a ratio of 0, not no ratio at all.
    {
      record: records.errorRate,
      expr: `${sumRate(byService, errors, '5m')} or 0 * ${records.requestRate}`,
    },
    // Over `(... > 0)`: an idle service has no ratio rather than 0/0 (NaN), which would poison averages.
    { record: records.errorRatio, expr: `${records.errorRate} / (${records.requestRate} > 0)` },
    ...histogramsOf(catalog).flatMap((histogram) =>
      quantiles.map((q) => ({
        record: records.quantile(histogram),
        expr: `histogram_quantile(${q}, ${sumRate([...byService, 'le'], selector(`${histogram}_bucket`, { namespace: ns }), '5m')})`,
        labels: { quantile: q },
      })),
    ),
  ];
  return { name: `${platform.partOf}.http`, interval: platform.monitoring.ruleInterval, rules };
}

/** The counters HPAs scale on per pod (catalog `autoscaling.podRate`), each checked to be a declared counter. */
export function podRateCounters(catalog: readonly ServiceSpec[]): string[] {
  return [
    ...new Set(
      catalog.flatMap((spec) => {
        const rate = spec.autoscaling?.podRate;
        return rate ? [metricOf(spec, rate.counter, 'counter').name] : [];
      }),
    ),
  ].sort();
}

/** The per-pod rates the custom-metrics adapter serves to HorizontalPodAutoscalers (observability/adapter.ts). */
export function autoscalingRecordingGroup(catalog: readonly ServiceSpec[]): RuleGroup | undefined {
  const counters = podRateCounters(catalog);
  if (counters.length === 0) return undefined;
  return {
    name: `${platform.partOf}.autoscaling`,
    interval: platform.monitoring.ruleInterval,
    rules: counters.map((counter) => ({
      record: records.podRate(counter),
      expr: sumRate(['namespace', 'pod'], selector(counter, { namespace: ns }), '2m'),
    })),
  };
}

/** The windows the burn-rate alerts compare (SRE workbook, chapter 5). */
export const sloWindows = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;

/**
 * The two alerts' conditions: a long and a short window must both burn faster than `factor` times the
 * sustainable rate; the factor is chosen so that `budgetShare` of the window's budget is gone when it fires.
 */
export const burnRates = {
  fast: [
    { long: '1h', short: '5m', budgetShare: 0.02 },
    { long: '6h', short: '30m', budgetShare: 0.05 },
  ],
  slow: [
    { long: '1d', short: '2h', budgetShare: 0.1 },
    { long: '3d', short: '6h', budgetShare: 0.1 },
  ],
} as const;

export function sloId(spec: ServiceSpec, slo: SloSpec): string {
  return `${spec.name}-${slo.name}`;
}

/** The share of events allowed to be bad: 0.001 for 99.9 %. */
export function errorBudget(slo: SloSpec): number {
  return Number((1 - slo.objectivePercent / 100).toPrecision(12));
}

/** How many times faster than sustainable the budget burns when `budgetShare` of it goes in `long`. */
export function burnFactor(slo: SloSpec, long: string, budgetShare: number): number {
  return Number(((budgetShare * durationSeconds(slo.window)) / durationSeconds(long)).toPrecision(12));
}

/**
 * The ratio of bad events over `window` for one objective. A window without events has no ratio (the
 * division is by `total > 0`), not 0/0: a NaN would make the objective-window average NaN for a month.
 */
export function sliErrorExpr(spec: ServiceSpec, slo: SloSpec, window: string): string {
  const scope = { namespace: ns, service: spec.name };
  if (slo.sli.kind === 'availability') {
    metricOf(spec, requestsCounter, 'counter');
    const total = sumRate(byService, selector(requestsCounter, scope), window);
    const bad = sumRate(byService, selector(requestsCounter, { ...scope, status: { re: '5..' } }), window);
    return `(${bad} or 0 * ${total}) / (${total} > 0)`;
  }
  const { histogram, thresholdSeconds } = slo.sli;
  const metric = metricOf(spec, histogram, 'histogram');
  if (!metric.buckets?.includes(thresholdSeconds)) {
    throw new Error(
      `catalog: service "${spec.name}" objective "${slo.name}" counts ${histogram} below ${thresholdSeconds}s, ` +
        `but the histogram has no bucket at ${thresholdSeconds} (buckets: ${metric.buckets?.join(', ') ?? 'none'}): ` +
        'use one of its bucket bounds as the threshold',
    );
  }
  const fast = sumRate(
    byService,
    selector(`${histogram}_bucket`, { ...scope, le: leLabel(thresholdSeconds) }),
    window,
  );
  const all = sumRate(byService, selector(`${histogram}_count`, scope), window);
  return `1 - (${fast} / (${all} > 0))`;
}

function runbook(alert: string): string {
  return `${platform.repository.url}/blob/${platform.repository.revision}/docs/runbook.md#${alert.toLowerCase()}`;
}

export function burnAlert(spec: ServiceSpec, slo: SloSpec, speed: 'fast' | 'slow'): AlertRule {
  const id = sloId(spec, slo);
  const budget = errorBudget(slo);
  const clause = ({ long, short, budgetShare }: { long: string; short: string; budgetShare: number }) => {
    const threshold = literal(burnFactor(slo, long, budgetShare) * budget);
    const at = (w: string) => `${selector(records.sloError(w), { slo: id })} > ${threshold}`;
    return `(${at(long)} and ${at(short)})`;
  };
  const alert = speed === 'fast' ? 'ErrorBudgetBurnFast' : 'ErrorBudgetBurnSlow';
  const share = speed === 'fast' ? '2 % of the budget in an hour' : '10 % of the budget in a day';
  return {
    alert,
    expr: burnRates[speed].map(clause).join(' or '),
    for: speed === 'fast' ? '2m' : '15m',
    // The objective's id makes each objective's rule distinct (promtool refuses duplicate rules).
    labels: { severity: speed === 'fast' ? 'critical' : 'warning', slo: id },
    annotations: {
      summary: `{{ $labels.slo }} is burning its error budget ${speed === 'fast' ? 'fast' : 'steadily'}`,
      description:
        `{{ $labels.service }} misses its objective "${slo.description}" at a rate that spends ${share} ` +
        `(window ${slo.window}).`,
      runbook_url: runbook(alert),
    },
  };
}

/** Per service: the error ratios of each objective over every window, its budget left, and its two alerts. */
export function sloGroups(catalog: readonly ServiceSpec[]): { spec: ServiceSpec; group: RuleGroup }[] {
  return catalog
    .filter((spec) => spec.telemetry.slos.length > 0)
    .map((spec) => ({
      spec,
      group: {
        name: `${platform.partOf}.slo.${spec.name}`,
        interval: platform.monitoring.ruleInterval,
        rules: spec.telemetry.slos.flatMap((slo): (RecordingRule | AlertRule)[] => {
          const id = sloId(spec, slo);
          const labels = { slo: id };
          const windowed: RecordingRule[] = sloWindows.map((w) => ({
            record: records.sloError(w),
            expr: sliErrorExpr(spec, slo, w),
            labels,
          }));
          return [
            ...windowed,
            {
              record: records.sloError(slo.window),
              expr: `avg_over_time(${selector(records.sloError('5m'), labels)}[${slo.window}])`,
              labels,
            },
            {
              record: records.sloObjective,
              expr: `vector(${literal(slo.objectivePercent / 100)})`,
              labels: { ...labels, namespace: ns, service: spec.name },
            },
            {
              record: records.sloBudgetRemaining,
              expr: `1 - ${selector(records.sloError(slo.window), labels)} / ${literal(errorBudget(slo))}`,
              labels,
            },
            burnAlert(spec, slo, 'fast'),
            burnAlert(spec, slo, 'slow'),
          ];
        }),
      },
    }));
}

export { runbook };
