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
import { burnAlert, errorBudget, podRateCounters, records, requestsCounter, sloId } from './rules.ts';

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

/** One test of `rule`: on `input`, at `at`, it fires with `labels` (and its own), or it stays silent. */
function single(
  rule: AlertRule,
  scenario: { interval: string; at: string; input: InputSeries[]; labels: Record<string, string> },
  fires: boolean,
  what: string,
): AlertTestCase {
  const labels = { ...scenario.labels, ...rule.labels };
  const annotations = Object.fromEntries(
    Object.entries(rule.annotations).map(([k, v]) => [k, expand(v, labels)] as const),
  );
  return {
    name: `${rule.alert} ${fires ? 'fires' : 'stays silent'} ${what}`,
    interval: scenario.interval,
    input_series: scenario.input,
    alert_rule_test: [
      {
        eval_time: scenario.at,
        alertname: rule.alert,
        exp_alerts: fires ? [{ exp_labels: labels, exp_annotations: annotations }] : [],
      },
    ],
  };
}

function cases(rule: AlertRule, scenario: TestedAlert['scenario']): AlertTestCase[] {
  const { interval, at, labels } = scenario;
  return [
    single(rule, { interval, at, labels, input: scenario.unhealthy }, true, 'on an unhealthy input'),
    single(rule, { interval, at, labels, input: scenario.healthy }, false, 'on a healthy input'),
  ];
}

export function alertTests(alerts: readonly TestedAlert[]): AlertTestCase[] {
  return alerts.flatMap(({ rule, scenario }) => cases(rule, scenario));
}

/**
 * An objective's events over `count` one-minute samples, 20,000 a minute, with bad events at `burn` times
 * the sustainable rate (the error budget), or half of them bad when `burn` is 'outage'. Availability counts
 * server errors; latency counts observations above the threshold's bucket.
 */
function sloInput(spec: ServiceSpec, slo: SloSpec, burn: number | 'outage', count: number): InputSeries[] {
  const scope = { namespace: platform.appNamespace, service: spec.name };
  const total = 20000;
  const bad = burn === 'outage' ? total / 2 : Math.round(total * errorBudget(slo) * burn);
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
 * Per objective of a service, both burn alerts on three burns: an outage (half the events bad: both fire),
 * five times the sustainable rate (between the thresholds: the slow alert fires, the fast one must not),
 * and half the sustainable rate (within budget: neither fires). A window with less history than its length
 * rates what it has, so each alert is judged soon after its `for`.
 */
export function sloTests(spec: ServiceSpec): AlertTestCase[] {
  const burns: { burn: number | 'outage'; what: string; fires: ('fast' | 'slow')[] }[] = [
    { burn: 'outage', what: 'an outage', fires: ['fast', 'slow'] },
    { burn: 5, what: 'a burn 5 times the sustainable rate', fires: ['slow'] },
    { burn: 0.5, what: 'a burn within budget', fires: [] },
  ];
  return spec.telemetry.slos.flatMap((slo) => {
    const id = sloId(spec, slo);
    const labels = { namespace: platform.appNamespace, service: spec.name, slo: id };
    return (['fast', 'slow'] as const).flatMap((speed) => {
      const rule = burnAlert(spec, slo, speed);
      const at = speed === 'fast' ? '15m' : '30m';
      return burns.map(({ burn, what, fires }) =>
        single(
          rule,
          { interval: '1m', at, input: sloInput(spec, slo, burn, 40), labels },
          fires.includes(speed),
          `on ${what} (${id}, error budget ${errorBudget(slo)})`,
        ),
      );
    });
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
  for (const counter of podRateCounters(catalog)) {
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
