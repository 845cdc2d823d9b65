// The promtool engine's own logic: reading promtool's JUnit report, attributing failures, refusing tests of
// rule objects the set does not hold, and requiring a firing and a silent test per alert. The whole engine
// on real rules runs in rule-fixtures.test.ts (policies/fixtures/prometheus-*).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDocuments } from '../src/inputs.ts';
import { failuresOf, promtool, ruleFileOf } from '../src/promtool.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function testDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rule-tests-'));
  dirs.push(dir);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const rules = parseDocuments(
  `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: availability, namespace: monitoring}
spec:
  groups:
    - name: availability
      rules:
        - alert: TargetDown
          expr: up == 0
          for: 5m
          labels: {severity: warning}
`,
  'rules.yaml',
).docs;

const firing = `  - name: fires
    interval: 1m
    input_series: [{series: 'up{job="a"}', values: '0x15'}]
    alert_rule_test:
      - eval_time: 10m
        alertname: TargetDown
        exp_alerts: [{exp_labels: {job: a, severity: warning}}]
`;
const silent = `  - name: silent
    interval: 1m
    input_series: [{series: 'up{job="a"}', values: '1x15'}]
    alert_rule_test: [{eval_time: 10m, alertname: TargetDown, exp_alerts: []}]
`;

describe('promtool engine', () => {
  it('reads failed cases from the JUnit report, entities decoded', () => {
    const junit =
      '<testsuites><testsuite name="a.yaml" tests="2" failures="1"><testcase name="x &amp; y">' +
      '<failure>exp: &#34;1&#34;&#xA;got: &lt;none&gt;</failure></testcase><testcase name="ok"></testcase>' +
      '</testsuite><testsuite name="b.yaml" tests="1" failures="0"><testcase name="fine"></testcase></testsuite></testsuites>';
    expect(failuresOf(junit)).toEqual(new Map([['a.yaml', new Map([['x & y', 'exp: "1"\ngot: <none>']])]]));
  });

  it('passes an alert tested firing and silent', () => {
    const dir = testDir({
      't.yaml': `rule_files: [monitoring/availability.yaml]\ntests:\n${firing}${silent}`,
    });
    expect(promtool(rules, [dir])).toEqual([]);
  });

  it('reports an alert tested only firing, at the alert', () => {
    const dir = testDir({ 't.yaml': `rule_files: [monitoring/availability.yaml]\ntests:\n${firing}` });
    expect(promtool(rules, [dir]).map((v) => [v.rule, v.field, v.message])).toEqual([
      [
        'prometheus-alert-untested',
        'spec.groups[0].rules[0].alert',
        'alert TargetDown has no promtool test that shows it silent',
      ],
    ]);
  });

  it('refuses a test of a rule object the set does not hold, naming the layout', () => {
    const dir = testDir({ 't.yaml': `rule_files: [monitoring/other.yaml]\ntests:\n${firing}${silent}` });
    const found = promtool(rules, [dir]);
    expect(found.map((v) => v.rule).sort()).toEqual([
      'prometheus-alert-untested',
      'prometheus-rule-test-failed',
    ]);
    expect(found.find((v) => v.rule === 'prometheus-rule-test-failed')?.message).toMatch(
      /tests monitoring\/other\.yaml, which the set does not hold \(it holds monitoring\/availability\.yaml\): name each PrometheusRule as NAMESPACE\/NAME\.yaml/,
    );
  });

  it('names the test file and the test that failed', () => {
    const wrong = firing.replace('job: a', 'job: b');
    const dir = testDir({
      't.yaml': `rule_files: [monitoring/availability.yaml]\ntests:\n${wrong}${silent}`,
    });
    const [finding] = promtool(rules, [dir]);
    expect(finding?.rule).toBe('prometheus-rule-test-failed');
    expect(finding?.message).toMatch(/t\.yaml: test "fires" failed: .*job="b".*/);
  });

  it('refuses a file that is not a promtool test file', () => {
    const dir = testDir({ 't.yaml': 'tests: []\n' });
    expect(() => promtool(rules, [dir])).toThrow(/not a promtool test file: it needs rule_files/);
  });

  it('does nothing without PrometheusRules', () => {
    expect(promtool([], ['/nonexistent'])).toEqual([]);
  });
});

describe('rule file layout', () => {
  it('never turns a name that is no object name into a path', () => {
    const named = (name: string, namespace?: string) =>
      ruleFileOf(
        {
          source: 's',
          object: {},
          ref: { kind: 'PrometheusRule', name, ...(namespace ? { namespace } : {}) },
        },
        7,
      );
    expect(named('app-rules', 'monitoring')).toBe('monitoring/app-rules.yaml');
    expect(named('cluster-wide')).toBe('_cluster/cluster-wide.yaml');
    for (const bad of ['../../etc/passwd', 'a/b', '\u0000x', '', 'A'])
      expect(named(bad, 'monitoring')).toBe('_unnamed/7.yaml');
    expect(named('ok', '../x')).toBe('_unnamed/7.yaml');
  });
});

describe('one test per alert rule', () => {
  it('does not let a tested rule cover another of the same name (its labels tell them apart)', () => {
    const twin = parseDocuments(
      `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: slos, namespace: monitoring}
spec:
  groups:
    - name: slos
      rules:
        - {alert: Burn, expr: 'up{slo="a"} == 0', for: 1m, labels: {severity: warning, slo: a}}
        - {alert: Burn, expr: 'up{slo="b"} == 0', for: 1m, labels: {severity: warning, slo: b}}
`,
      'slos.yaml',
    ).docs;
    const dir = testDir({
      't.yaml': `rule_files: [monitoring/slos.yaml]
tests:
  - name: a fires
    interval: 1m
    input_series: [{series: 'up{slo="a"}', values: '0x10'}]
    alert_rule_test: [{eval_time: 5m, alertname: Burn, exp_alerts: [{exp_labels: {slo: a, severity: warning}}]}]
  - name: silent
    interval: 1m
    input_series: [{series: 'up{slo="a"}', values: '1x10'}]
    alert_rule_test: [{eval_time: 5m, alertname: Burn, exp_alerts: []}]
`,
    });
    expect(promtool(twin, [dir]).map((v) => [v.rule, v.field, v.message])).toEqual([
      [
        'prometheus-alert-untested',
        'spec.groups[0].rules[1].alert',
        'alert Burn has no promtool test that shows it firing',
      ],
    ]);
  });
});
