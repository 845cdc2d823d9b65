// Severity and parameter overrides per path: what applies where, what every report format says about an
// overridden finding, and every way the file can be wrong.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policiesDir } from '../src/catalogue.ts';
import { main } from '../src/cli.ts';
import { loadOverrides, parseOverrides, settingsFor } from '../src/overrides.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'overrides-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const why = 'a reason long enough';
// Two replicas with no spread constraint: spread-missing, a warning in the catalogue (minReplicas 2).
const unspread = (replicas: number, namespace = 'app') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${namespace}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app.kubernetes.io/name: web}}
  template:
    metadata: {labels: {app.kubernetes.io/name: web}}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: web
          image: "web:1.0.0"
          resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 16Mi}}
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}
`;

function run(...args: string[]) {
  let out = '';
  let err = '';
  const code = main(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('overrides', () => {
  it('apply to inputs at or below their paths, later ones winning', () => {
    const overrides = parseOverrides(
      {
        overrides: [
          {
            paths: ['envs/prod'],
            why,
            rules: { 'spread-missing': { severity: 'error', params: { minReplicas: 3 } } },
          },
          { paths: ['envs/prod/eu'], why, rules: { 'spread-missing': { severity: 'warning' } } },
        ],
      },
      'o.json',
    );
    expect(settingsFor('envs/prod', overrides, 'o.json').severity['spread-missing']?.severity).toBe('error');
    expect(settingsFor('envs/prod/eu/x.yaml', overrides, 'o.json')).toMatchObject({
      severity: { 'spread-missing': { severity: 'warning', by: `o.json overrides[1]: ${why}` } },
      params: { 'spread-missing': { minReplicas: 3 } },
    });
    expect(settingsFor('envs/production', overrides, 'o.json')).toEqual({ severity: {}, params: {} });
    expect(settingsFor('envs', overrides, 'o.json')).toEqual({ severity: {}, params: {} });
  });

  it('turn a warning into an error for one directory only, and every report format says so', () => {
    for (const env of ['prod', 'dev']) {
      const d = join(dir, env);
      rmSync(d, { recursive: true, force: true });
      mkdirSync(d, { recursive: true });
      // One set: the two directories hold different objects (one per namespace).
      writeFileSync(join(d, 'web.yaml'), unspread(2, env));
    }
    const file = join(dir, 'overrides.json');
    writeFileSync(
      file,
      JSON.stringify({
        overrides: [{ paths: [join(dir, 'prod')], why, rules: { 'spread-missing': { severity: 'error' } } }],
      }),
    );
    const both = run(join(dir, 'prod'), join(dir, 'dev'), '--overrides', file, '--format', 'json');
    expect(both.code).toBe(1);
    const findings = JSON.parse(both.out).findings.filter(
      (f: { rule: string }) => f.rule === 'spread-missing',
    );
    expect(
      findings
        .map((f: { source: string; severity: string }) => [f.source.includes('/prod/'), f.severity])
        .sort(),
    ).toEqual([
      [false, 'warning'],
      [true, 'error'],
    ]);
    expect(findings.find((f: { severity: string }) => f.severity === 'error').overridden).toEqual({
      from: 'warning',
      by: `${file} overrides[0]: ${why}`,
    });
    const text = run(join(dir, 'prod'), '--overrides', file).out;
    expect(text).toContain(`warning in the catalogue, error by ${file} overrides[0]: ${why}`);
    const sarif = JSON.parse(run(join(dir, 'prod'), '--overrides', file, '--format', 'sarif').out);
    const result = sarif.runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'spread-missing');
    expect(result).toMatchObject({ level: 'error', properties: { overriddenFrom: 'warning' } });
    const junit = run(join(dir, 'prod'), '--overrides', file, '--format', 'junit').out;
    expect(junit).toContain('(warning in the catalogue, error by');
    // Without the file, the catalogue's severity: a warning, exit 0.
    expect(run(join(dir, 'prod')).code).toBe(0);
  });

  it('leave the inputs one set for the cross-resource rules: a ServiceAccount in one path serves a pod in another', () => {
    const base = join(dir, 'split', 'base');
    const prod = join(dir, 'split', 'prod');
    mkdirSync(base, { recursive: true });
    mkdirSync(prod, { recursive: true });
    writeFileSync(
      join(base, 'sa.yaml'),
      'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: app}\n',
    );
    writeFileSync(
      join(prod, 'web.yaml'),
      unspread(2).replace(
        'automountServiceAccountToken: false',
        'serviceAccountName: api\n      automountServiceAccountToken: false',
      ),
    );
    const file = join(dir, 'split.json');
    writeFileSync(
      file,
      JSON.stringify({
        overrides: [{ paths: [prod], why, rules: { 'spread-missing': { severity: 'error' } } }],
      }),
    );
    const rules = JSON.parse(run(base, prod, '--overrides', file, '--format', 'json').out).findings.map(
      (f: { rule: string; severity: string }) => `${f.rule} ${f.severity}`,
    );
    expect(rules).not.toContain('service-account-missing error');
    expect(rules).toContain('spread-missing error');
  });

  it('change a parameter for a path: minReplicas 3 lets two replicas go unspread', () => {
    const d = join(dir, 'params');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'web.yaml'), unspread(2));
    const file = join(dir, 'params.json');
    writeFileSync(
      file,
      JSON.stringify({
        overrides: [{ paths: [d], why, rules: { 'spread-missing': { params: { minReplicas: 3 } } } }],
      }),
    );
    const rulesOf = (args: string[]) =>
      JSON.parse(run(d, ...args, '--format', 'json').out).findings.map((f: { rule: string }) => f.rule);
    expect(rulesOf([])).toContain('spread-missing');
    expect(rulesOf(['--overrides', file])).not.toContain('spread-missing');
  });

  it.each([
    [
      'an unknown rule',
      { overrides: [{ paths: ['x'], why, rules: { 'spread-mising': { severity: 'error' } } }] },
      '/overrides/0/rules/spread-mising: no rule "spread-mising"',
    ],
    [
      'an unknown parameter',
      { overrides: [{ paths: ['x'], why, rules: { 'spread-missing': { params: { replicas: 3 } } } }] },
      '/overrides/0/rules/spread-missing/params/replicas: rule spread-missing has no parameter "replicas"; fix: use one of minReplicas',
    ],
    [
      'a parameter of the wrong type',
      { overrides: [{ paths: ['x'], why, rules: { 'spread-missing': { params: { minReplicas: '3' } } } }] },
      'must be a number like its catalogued value 2',
    ],
    [
      'a severity that is not one',
      { overrides: [{ paths: ['x'], why, rules: { 'spread-missing': { severity: 'fatal' } } }] },
      '/overrides/0/rules/spread-missing/severity: must be equal to one of the allowed values',
    ],
    [
      'an override without a reason',
      { overrides: [{ paths: ['x'], rules: { 'spread-missing': { severity: 'error' } } }] },
      "/overrides/0: must have required property 'why'",
    ],
    [
      'an unknown field',
      { overrides: [{ paths: ['x'], why, rules: {}, when: 'always' }] },
      '/overrides/0: must NOT have additional properties "when"',
    ],
  ])('refuse %s, naming the file and where', (_, data, message) => {
    expect(() => parseOverrides(data, 'policies/overrides.json')).toThrow(
      expect.objectContaining({ message: expect.stringContaining(message) }),
    );
  });

  it('of the workspace (policies/overrides.json) load, and make production stricter than dev', () => {
    const overrides = loadOverrides(join(policiesDir, 'overrides.json'));
    expect(
      settingsFor('generated/overlays/production', overrides, 'o').severity['spread-missing']?.severity,
    ).toBe('error');
    expect(settingsFor('generated/overlays/dev', overrides, 'o').severity).toEqual({});
  });

  it('refuse a file that cannot be read, and the CLI exits 2 before validating', () => {
    expect(() => loadOverrides(join(dir, 'absent.json'))).toThrow('absent.json: cannot read the overrides');
    const r = run(join(dir, 'prod'), '--overrides', join(dir, 'absent.json'));
    expect(r).toMatchObject({ code: 2, out: '' });
  });
});
