// promtool unit tests for the generated rules, written beside them (monitoring/rule-tests/, not resources of
// the kustomization): every alert fires on an unhealthy input and stays silent on a healthy one, and the
// recording rules the dashboards and the autoscaler read compute what they claim. The validator runs them
// (`validate-manifests --rule-tests`) against the PrometheusRules of the rendered environment, so a rule
// that an overlay changed is tested as it will run.
import { stringify } from 'yaml';
import type { ServiceSpec, SloSpec } from '../catalog.ts';
import { platform } from '../platform.ts';
import type { AlertRule, InputSeries, TestedAlert } from './alerts.ts';
import { leLabel, selector } from './promql.ts';
import { burnAlert, errorBudget, records, requestsCounter, sloId } from './rules.ts';

interface AlertTestCase {
  name: string;
  interval: string;
  input_series: InputSeries[];
  alert_rule_test: {
    eval_time: string;
    alertname: string;
    exp_alerts: { exp_labels: Record<string, string>; exp_annotations: Record<string, string> }[];
  }[];
}

interface ExprTestCase {
  name: string;
  interval: string;
  input_series: InputSeries[];
  promql_expr_test: { expr: string; eval_time: string; exp_samples: { labels: string; value: number }[] }[];
}

export interface RuleTestFile {
  rule_files: string[];
  evaluation_interval: string;
  tests: (AlertTestCase | ExprTestCase)[];
}

/** The Go template expansion promtool applies to annotations, for the few forms our annotations use. */
export function expand(template: string, labels: Record<string, string>): string {
  return template.replace(/\{\{ \$labels\.([a-z_]+) \}\}/g, (_, name: string) => {
    const value = labels[name];
    if (value === undefined) {
      throw new Error(`annotation "${template}" reads label "${name}", which the alert does not carry`);
    }
    return value;
  });
}

function cases(rule: AlertRule, scenario: TestedAlert['scenario']): AlertTestCase[] {
  const labels = { ...scenario.labels, ...rule.labels };
  const annotations = Object.fromEntries(
    Object.entries(rule.annotations).map(([k, v]) => [k, expand(v, labels)] as const),
  );
  const at = (input: InputSeries[], fires: boolean, what: string): AlertTestCase => ({
    name: `${rule.alert} ${what}`,
    interval: scenario.interval,
    input_series: input,
    alert_rule_test: [
      {
        eval_time: scenario.at,
        alertname: rule.alert,
        exp_alerts: fires ? [{ exp_labels: labels, exp_annotations: annotations }] : [],
      },
    ],
  });
  return [
    at(scenario.unhealthy, true, 'fires on an unhealthy input'),
    at(scenario.healthy, false, 'stays silent on a healthy input'),
  ];
}

export function alertTests(alerts: readonly TestedAlert[]): AlertTestCase[] {
  return alerts.flatMap(({ rule, scenario }) => cases(rule, scenario));
}

/**
 * An objective's events over `count` one-minute samples, 20,000 a minute: half of them bad (a burn far above
 * every threshold), or bad at half the sustainable rate (within budget: no alert may fire). Availability
 * counts server errors; latency counts observations above the threshold's bucket.
 */
function sloInput(spec: ServiceSpec, slo: SloSpec, burning: boolean, count: number): InputSeries[] {
  const scope = { namespace: platform.appNamespace, service: spec.name };
  const total = 20000;
  const bad = burning ? total / 2 : Math.round((total * errorBudget(slo)) / 2);
  const rising = (perMinute: number) => `0+${perMinute}x${count}`;
  if (slo.sli.kind === 'availability') {
    return [
      { series: selector(requestsCounter, { ...scope, status: '200' }), values: rising(total - bad) },
      { series: selector(requestsCounter, { ...scope, status: '500' }), values: rising(bad) },
    ];
  }
  const { histogram, thresholdSeconds } = slo.sli;
  return [
    {
      series: selector(`${histogram}_bucket`, { ...scope, le: leLabel(thresholdSeconds) }),
      values: rising(total - bad),
    },
    { series: selector(`${histogram}_count`, scope), values: rising(total) },
  ];
}

/**
 * Per objective of a service, both burn alerts on a burn far above their thresholds and on one within
 * budget. A window with less history than its length rates what it has, so each alert is judged soon after
 * its `for`.
 */
export function sloTests(spec: ServiceSpec): AlertTestCase[] {
  return spec.telemetry.slos.flatMap((slo) => {
    const id = sloId(spec, slo);
    return (['fast', 'slow'] as const).flatMap((speed) =>
      cases(burnAlert(spec, slo, speed), {
        interval: '1m',
        at: speed === 'fast' ? '15m' : '30m',
        unhealthy: sloInput(spec, slo, true, 40),
        healthy: sloInput(spec, slo, false, 40),
        labels: { namespace: platform.appNamespace, service: spec.name, slo: id },
      }).map((c) => ({ ...c, name: `${c.name} (${id}, error budget ${errorBudget(slo)})` })),
    );
  });
}

/** The recording rules that other objects read: the error ratio and the adapter's per-pod rate. */
export function recordingTests(catalog: readonly ServiceSpec[]): ExprTestCase[] {
  const scope = { namespace: platform.appNamespace, service: 'api-gateway' };
  const tests: ExprTestCase[] = [
    {
      name: `${records.errorRatio} is the share of 5xx responses, and 0 without any`,
      interval: '1m',
      input_series: [
        { series: selector(requestsCounter, { ...scope, status: '200', pod: 'a' }), values: '0+60x10' },
        { series: selector(requestsCounter, { ...scope, status: '503', pod: 'a' }), values: '0+60x10' },
        {
          series: selector(requestsCounter, { ...scope, service: 'websocket', status: '200', pod: 'b' }),
          values: '0+60x10',
        },
      ],
      promql_expr_test: [
        {
          expr: records.errorRatio,
          eval_time: '10m',
          exp_samples: [
            {
              labels: selector(records.errorRatio, {
                namespace: platform.appNamespace,
                service: 'api-gateway',
              }),
              value: 0.5,
            },
            {
              labels: selector(records.errorRatio, {
                namespace: platform.appNamespace,
                service: 'websocket',
              }),
              value: 0,
            },
          ],
        },
      ],
    },
  ];
  for (const counter of new Set(
    catalog.flatMap((s) => (s.autoscaling?.podRate ? [s.autoscaling.podRate.counter] : [])),
  )) {
    const record = records.podRate(counter);
    tests.push({
      name: `${record} is each pod's request rate per second`,
      interval: '1m',
      input_series: [
        { series: selector(counter, { ...scope, status: '200', pod: 'a' }), values: '0+600x10' },
        { series: selector(counter, { ...scope, status: '500', pod: 'a' }), values: '0+60x10' },
        { series: selector(counter, { ...scope, status: '200', pod: 'b' }), values: '0+120x10' },
      ],
      promql_expr_test: [
        {
          expr: record,
          eval_time: '10m',
          exp_samples: [
            { labels: selector(record, { namespace: platform.appNamespace, pod: 'a' }), value: 11 },
            { labels: selector(record, { namespace: platform.appNamespace, pod: 'b' }), value: 2 },
          ],
        },
      ],
    });
  }
  return tests;
}

/** A promtool test file (the emitter adds the generated-file header). */
export function renderRuleTests(file: RuleTestFile): string {
  return stringify(file, { lineWidth: 0 });
}
