// Prometheus's own rule tools as one more engine, where the set holds PrometheusRules: `promtool check rules`
// on each rule object (syntax, PromQL, templates, duplicate rules), and with `--rule-tests DIR`,
// `promtool test rules` on the unit tests there. Each PrometheusRule's groups are laid out as
// `<namespace>/<name>.yaml`, the paths a test's rule_files name, so the tests run against the rules exactly
// as the set renders them. A test that fails, a test file naming a rule object the set does not hold, and an
// alert without a test that shows it firing and one that shows it silent are findings.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { arr, groupOf, obj, spec } from './graph.ts';
import type { Doc } from './inputs.ts';
import { runTool, ToolError } from './run-tool.ts';

export interface PromtoolViolation {
  doc: Doc;
  rule: 'prometheus-rule-invalid' | 'prometheus-rule-test-failed' | 'prometheus-alert-untested';
  field?: string;
  message: string;
}

export function isPrometheusRule(doc: Doc): boolean {
  return doc.ref.kind === 'PrometheusRule' && groupOf(doc.ref.apiVersion) === 'monitoring.coreos.com';
}

const dnsName = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * Where promtool reads a PrometheusRule's groups, relative to the test directory. A name that is no valid
 * object name (the schema engine reports it) is never a path: such an object is checked at a numbered file.
 */
export function ruleFileOf(doc: Doc, index = 0): string {
  const namespace = doc.ref.namespace ?? '_cluster';
  const name = doc.ref.name ?? '';
  const safe = (s: string) => s.length <= 253 && dnsName.test(s) && !s.includes('..');
  return safe(name) && (namespace === '_cluster' || safe(namespace))
    ? `${namespace}/${name}.yaml`
    : `_unnamed/${index}.yaml`;
}

/** The alert names a PrometheusRule defines, with the field each is at. */
function alertsOf(doc: Doc): { name: string; field: string; labels: Record<string, string> }[] {
  return arr(spec(doc).groups).flatMap((group, g) =>
    arr(group.rules).flatMap((rule, r) =>
      typeof rule.alert === 'string'
        ? [
            {
              name: rule.alert,
              field: `spec.groups[${g}].rules[${r}].alert`,
              labels: Object.fromEntries(Object.entries(obj(rule.labels)).map(([k, v]) => [k, String(v)])),
            },
          ]
        : [],
    ),
  );
}

function layOut(dir: string, rules: Doc[]): Map<string, Doc> {
  const byFile = new Map<string, Doc>();
  for (const [index, doc] of rules.entries()) {
    const file = ruleFileOf(doc, index);
    if (byFile.has(file)) continue; // a duplicate identity: the graph rules report it
    byFile.set(file, doc);
    mkdirSync(join(dir, dirname(file)), { recursive: true });
    writeFileSync(join(dir, file), stringify({ groups: arr(spec(doc).groups) }));
  }
  return byFile;
}

/** promtool's own words about a rule file, with our temporary path turned into the object it came from. */
function tidy(text: string, dir: string, file: string, doc: Doc): string {
  return text
    .split('\n')
    .map((line) => line.replaceAll(`${dir}/`, '').replaceAll(file, `PrometheusRule ${doc.ref.name}`).trim())
    .filter((line) => line !== '' && line !== 'FAILED:')
    .join('; ');
}

function checkFile(dir: string, file: string, doc: Doc): PromtoolViolation[] {
  const result = runTool('promtool', ['check', 'rules', '--lint-fatal', file], { cwd: dir });
  if (result.status === 0) return [];
  // 1: a file does not load; 3: a lint error (duplicate rules), which --lint-fatal makes one.
  if (result.status !== 1 && result.status !== 3) {
    throw new ToolError(`promtool check rules failed (exit ${result.status}):\n${result.stderr.trim()}`);
  }
  return [
    {
      doc,
      rule: 'prometheus-rule-invalid',
      field: 'spec.groups',
      message: tidy(`${result.stderr}\n${result.stdout.replace(/^Checking .*$/m, '')}`, dir, file, doc),
    },
  ];
}

/**
 * All rule files in one run; only when that fails, each file again, so that every message is attributed to
 * its object (promtool prints the failures apart from the file names).
 */
export function checkRules(dir: string, byFile: ReadonlyMap<string, Doc>): PromtoolViolation[] {
  const all = runTool('promtool', ['check', 'rules', '--lint-fatal', ...byFile.keys()], { cwd: dir });
  if (all.status === 0) return [];
  return [...byFile].flatMap(([file, doc]) => checkFile(dir, file, doc));
}

interface TestFile {
  path: string;
  rule_files: string[];
  tests: { name: string; alerts: { name: string; fired: Record<string, string>[] }[] }[];
}

function readTestFile(path: string): TestFile {
  let data: unknown;
  try {
    data = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ToolError(`${path}: not a promtool test file: ${(error as Error).message}`);
  }
  const top = obj(data);
  const ruleFiles = Array.isArray(top.rule_files) ? top.rule_files.map(String) : [];
  if (ruleFiles.length === 0 || !Array.isArray(top.tests)) {
    throw new ToolError(
      `${path}: not a promtool test file: it needs rule_files (NAMESPACE/NAME.yaml of the PrometheusRules it ` +
        'tests) and tests',
    );
  }
  const tests = arr(top.tests).map((t) => ({
    name: String(t.name ?? ''),
    alerts: arr(t.alert_rule_test).map((a) => ({
      name: String(a.alertname ?? ''),
      // The label sets the test expects the alert to fire with (none: it must stay silent).
      fired: arr(a.exp_alerts).map((e) =>
        Object.fromEntries(Object.entries(obj(e.exp_labels)).map(([k, v]) => [k, String(v)])),
      ),
    })),
  }));
  return { path, rule_files: ruleFiles, tests };
}

/** The test files of each directory, sorted: `*.yaml` and `*.yml` directly inside it. */
export function testFilesIn(dirs: readonly string[]): string[] {
  return dirs.flatMap((dir) => {
    if (!existsSync(dir)) throw new ToolError(`--rule-tests ${dir}: no such directory`);
    return readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => join(dir, f));
  });
}

function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[entity] ?? '';
  });
}

/** Failed test cases from promtool's JUnit report: test file → test name → failure text. */
export function failuresOf(junit: string): Map<string, Map<string, string>> {
  const failures = new Map<string, Map<string, string>>();
  for (const suite of junit.matchAll(/<testsuite name="([^"]*)"[^>]*>(.*?)<\/testsuite>/gs)) {
    const cases = new Map<string, string>();
    for (const c of (suite[2] ?? '').matchAll(/<testcase name="([^"]*)"[^>]*>(.*?)<\/testcase>/gs)) {
      const failure = /<(failure|error)[^>]*>(.*?)<\/\1>/s.exec(c[2] ?? '');
      if (failure) cases.set(decodeXml(c[1] ?? ''), decodeXml(failure[2] ?? '').trim());
    }
    if (cases.size > 0) failures.set(decodeXml(suite[1] ?? ''), cases);
  }
  return failures;
}

export function testRules(
  dir: string,
  byFile: ReadonlyMap<string, Doc>,
  testFiles: readonly string[],
): PromtoolViolation[] {
  const violations: PromtoolViolation[] = [];
  const files = testFiles.map(readTestFile);
  const first = [...byFile.values()][0];
  const runnable: TestFile[] = [];
  for (const file of files) {
    const missing = file.rule_files.filter((f) => !byFile.has(f));
    if (missing.length > 0) {
      const known = [...byFile.keys()].join(', ') || 'none';
      if (first) {
        violations.push({
          doc: first,
          rule: 'prometheus-rule-test-failed',
          message:
            `${file.path} tests ${missing.join(', ')}, which the set does not hold (it holds ${known}): name each ` +
            'PrometheusRule as NAMESPACE/NAME.yaml, or remove the test',
        });
      }
      continue;
    }
    runnable.push(file);
  }
  // Untested alerts: every alert rule needs a test that shows it firing (with the rule's own labels, so that
  // one tested rule does not cover another of the same name) and one that shows it silent, in a test file
  // that loads the rule's object.
  const tested = new Map<string, { fired: Record<string, string>[]; silent: boolean }>();
  for (const file of runnable) {
    for (const test of file.tests) {
      for (const a of test.alerts) {
        for (const ruleFile of file.rule_files) {
          const key = `${ruleFile}\0${a.name}`;
          const seen = tested.get(key) ?? { fired: [], silent: false };
          tested.set(key, {
            fired: [...seen.fired, ...a.fired],
            silent: seen.silent || a.fired.length === 0,
          });
        }
      }
    }
  }
  for (const [file, doc] of byFile) {
    for (const alert of alertsOf(doc)) {
      const seen = tested.get(`${file}\0${alert.name}`);
      const fires = seen?.fired.some((labels) =>
        Object.entries(alert.labels).every(([k, v]) => labels[k] === v),
      );
      const lacking = [...(fires ? [] : ['firing']), ...(seen?.silent ? [] : ['silent'])];
      if (lacking.length === 0) continue;
      violations.push({
        doc,
        rule: 'prometheus-alert-untested',
        field: alert.field,
        message: `alert ${alert.name} has no promtool test that shows it ${lacking.join(' and no test that shows it ')}`,
      });
    }
  }
  if (runnable.length === 0) return violations;
  const names = new Map<string, TestFile>();
  for (const file of runnable) {
    const name = `${String(names.size).padStart(3, '0')}-${basename(file.path)}`;
    copyFileSync(file.path, join(dir, name));
    names.set(name, file);
  }
  const junit = join(dir, 'junit.xml');
  const result = runTool('promtool', ['test', 'rules', `--junit=${junit}`, ...names.keys()], { cwd: dir });
  if (result.status !== 0 && result.status !== 1) {
    throw new ToolError(`promtool test rules failed (exit ${result.status}):\n${result.stderr.trim()}`);
  }
  if (!existsSync(junit))
    throw new ToolError(`promtool test rules wrote no report:\n${result.stderr.trim()}`);
  for (const [suite, cases] of failuresOf(readFileSync(junit, 'utf8'))) {
    const file = names.get(suite);
    if (!file) throw new ToolError(`promtool test rules reported on ${suite}, which it was not given`);
    for (const [test, failure] of cases) {
      const alertNames = file.tests.find((t) => t.name === test)?.alerts.map((a) => a.name) ?? [];
      // The rule objects this test file loads, not any object with an alert of that name.
      const owner = file.rule_files
        .map((f) => byFile.get(f))
        .filter((d): d is Doc => d !== undefined)
        .map((d) => ({ doc: d, alert: alertsOf(d).find((a) => alertNames.includes(a.name)) }))
        .find((o) => o.alert !== undefined);
      const doc = owner?.doc ?? byFile.get(file.rule_files[0] ?? '') ?? first;
      if (!doc) continue;
      violations.push({
        doc,
        rule: 'prometheus-rule-test-failed',
        ...(owner?.alert ? { field: owner.alert.field } : {}),
        message: `${file.path}: test "${test}" failed: ${failure.replace(/\s+/g, ' ')}`,
      });
    }
  }
  if (result.status === 1 && violations.every((v) => v.rule !== 'prometheus-rule-test-failed')) {
    throw new ToolError(`promtool test rules failed without naming a test:\n${result.stderr.trim()}`);
  }
  return violations;
}

export function promtool(docs: Doc[], ruleTests: readonly string[] = []): PromtoolViolation[] {
  const rules = docs.filter(isPrometheusRule);
  if (rules.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'promtool-'));
  try {
    const byFile = layOut(dir, rules);
    const invalid = checkRules(dir, byFile);
    // Tests of rules that do not load would only repeat the check's findings.
    if (invalid.length > 0 || ruleTests.length === 0) return invalid;
    return testRules(dir, byFile, testFilesIn(ruleTests));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
