import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { binaryPath, readToolVersions, repoRoot } from '@neurascale/toolchain';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePath, paramsOf, policiesDir, regoParams } from '../src/catalogue.ts';
import { conftest, conftestVerify, yamlSafeJson } from '../src/conftest.ts';
import { kustomizeBuild, ToolError } from '../src/kustomize.ts';

interface CatalogueRule {
  id: string;
  engine: string;
  severity: string;
}

const catalogue = (
  JSON.parse(readFileSync(join(policiesDir, 'rules.json'), 'utf8')) as { rules: CatalogueRule[] }
).rules;
const regoRules = catalogue.filter((r) => r.engine === 'rego');
const fixture = fixturePath;

function regoFiles(dir: string = policiesDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : regoFiles(path);
    return entry.name.endsWith('.rego') ? [path] : [];
  });
}
const policyFiles = regoFiles().filter((f) => !f.endsWith('_test.rego'));
const testFiles = regoFiles().filter((f) => f.endsWith('_test.rego'));

/** The test_ rules of a Rego file, each with its body (up to the next top-level statement). */
function testRules(file: string): { name: string; body: string }[] {
  const text = readFileSync(file, 'utf8');
  const starts = [...text.matchAll(/^(\S.*)$/gm)].map((m) => m.index ?? 0);
  return starts
    .map((start, i) => text.slice(start, starts[i + 1] ?? text.length))
    .filter((block) => /^test_\w+/.test(block))
    .map((block) => ({ name: /^test_\w+/.exec(block)?.[0] ?? '', body: block }));
}

describe('Rego unit tests', () => {
  it('conftest verify passes every test_ rule', () => {
    const started = performance.now();
    const result = conftestVerify();
    console.log(
      `conftest verify: ${result.tests} tests, ${result.passed} passed in ${(performance.now() - started).toFixed(0)} ms`,
    );
    expect(result.failures).toBe(0);
    expect(result.tests).toBeGreaterThan(0);
    expect(result.passed).toBe(result.tests);
  });

  it('Rego is formatted (conftest fmt --check)', () => {
    const result = spawnSync(binaryPath('conftest'), ['fmt', '--check', policiesDir], { encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('rule catalogue and policies agree', () => {
  it('has rego rules in the catalogue', () => {
    expect(regoRules.length).toBeGreaterThan(0);
  });

  it.each(regoRules.map((r) => [r.id]))('%s has pass and fail fixtures and a Rego test', (id) => {
    expect(existsSync(fixture(id, 'pass')), relative(repoRoot, fixture(id, 'pass'))).toBe(true);
    expect(existsSync(fixture(id, 'fail')), relative(repoRoot, fixture(id, 'fail'))).toBe(true);
    const tests = testFiles.flatMap(testRules).filter((t) => t.body.includes(`"${id}"`));
    expect(
      tests.map((t) => t.name),
      `a test_ rule naming "${id}"`,
    ).not.toEqual([]);
  });

  it('every rule id emitted by Rego is a rego rule of the catalogue', () => {
    const emitted = new Set<string>();
    for (const file of policyFiles) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\blib\.finding\(\s*"([^"]+)"/g)) emitted.add(m[1] as string);
      for (const m of text.matchAll(/"rule"\s*:\s*"([^"]+)"/g)) emitted.add(m[1] as string);
    }
    const known = new Set(regoRules.map((r) => r.id));
    expect([...emitted].filter((id) => !known.has(id))).toEqual([]);
    expect([...known].filter((id) => !emitted.has(id))).toEqual([]);
  });

  it('every violation is built with lib.finding, so it names its object', () => {
    for (const file of policyFiles) {
      const heads = [
        ...readFileSync(file, 'utf8').matchAll(/^(?:violation|deny|warn)\w*\s+contains\s+(.*)$/gm),
      ];
      for (const head of heads) expect(head[1], relative(repoRoot, file)).toMatch(/^lib\.finding\(/);
    }
  });

  it('the API table covers the Kubernetes versions of packages/toolchain/versions.json', () => {
    const minors = readToolVersions().kubernetes.versions.map((v) => Number(/^v?1\.(\d+)/.exec(v)?.[1]));
    const table = readFileSync(join(policiesDir, 'apis_table.rego'), 'utf8');
    const matrix = /matrix := \{"oldest": (\d+), "newest": (\d+)\}/.exec(table);
    expect(matrix, 'matrix in policies/apis_table.rego').not.toBeNull();
    expect([Number(matrix?.[1]), Number(matrix?.[2])]).toEqual([Math.min(...minors), Math.max(...minors)]);
  });
});

describe('rule parameters', () => {
  it('every lib.param the policies read is catalogued for that rule', () => {
    const used = policyFiles.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/lib\.param\("([a-z0-9-]+)", "([A-Za-z0-9]+)"\)/g)].map(
        ([, id, name]) => ({ file: relative(repoRoot, file), id: id as string, name: name as string }),
      ),
    );
    expect(used.length).toBeGreaterThan(0);
    for (const { file, id, name } of used)
      expect(paramsOf(id), `${file}: ${id}.${name}`).toHaveProperty(name);
  });

  it('a tuned threshold changes the verdict: spread-missing with minReplicas 4 passes a 3-replica workload', () => {
    const fail = readFileSync(fixture('spread-missing', 'fail'), 'utf8');
    const tuned = regoParams();
    tuned.params['spread-missing'] = { minReplicas: 4 };
    expect(conftest(fail, 'fail.yaml').map((f) => f.rule)).toContain('spread-missing');
    expect(conftest(fail, 'fail.yaml', policiesDir, tuned).map((f) => f.rule)).not.toContain(
      'spread-missing',
    );
  });
});

describe('fixtures', () => {
  it.each(regoRules.map((r) => [r.id]))('%s: fail.yaml fails it, pass.yaml does not', (id) => {
    const fail = conftest(readFileSync(fixture(id, 'fail'), 'utf8'), `fixtures/${id}/fail.yaml`);
    const failing = fail.filter((f) => f.rule === id);
    expect(failing.length).toBeGreaterThanOrEqual(1);
    for (const f of failing) {
      expect(f.object.kind).toBeTruthy();
      expect(f.object.name).toBeTruthy();
      expect(f.field).toBeTruthy();
      expect(f.severity).toBe(regoRules.find((r) => r.id === id)?.severity);
      expect(f.fix).toBeTruthy();
    }
    const pass = conftest(readFileSync(fixture(id, 'pass'), 'utf8'), `fixtures/${id}/pass.yaml`);
    expect(pass.filter((f) => f.rule === id)).toEqual([]);
  });
});

describe('conftest()', () => {
  const stream = `apiVersion: v1
kind: Namespace
metadata:
  name: neural-engine
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: good
  namespace: neural-engine
spec:
  replicas: 1
  selector: { matchLabels: { app: good } }
  template:
    metadata: { labels: { app: good } }
    spec:
      containers:
        - name: app
          image: app:1.0.0
          resources: { requests: { cpu: 100m, memory: 64Mi }, limits: { memory: 64Mi } }
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: bad
  namespace: neural-engine
spec:
  replicas: 1
  selector: { matchLabels: { app: bad } }
  template:
    metadata: { labels: { app: bad } }
    spec:
      containers:
        - name: app
          image: app:1.0.0
          resources: { requests: { cpu: 100m, memory: 64Mi }, limits: { memory: 64Mi } }
        - name: sidecar
          image: proxy:latest
          resources: { requests: { cpu: 100m, memory: 64Mi }, limits: { memory: 64Mi } }
`;

  it('maps each violation to its own document of the stream', () => {
    expect(conftest(stream, 'inline')).toEqual([
      {
        source: 'inline',
        object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'neural-engine', name: 'bad' },
        field: 'spec.template.spec.containers[1].image',
        rule: 'image-tag-latest',
        severity: 'error',
        message: 'container "sidecar": image "proxy:latest" uses the mutable tag latest',
        fix: expect.any(String),
      },
    ]);
  });

  it('returns nothing for an empty stream', () => {
    expect(conftest('', 'empty')).toEqual([]);
  });

  const scratch: string[] = [];
  afterAll(() => {
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });
  const policyDir = (rego: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'conftest-policy-'));
    scratch.push(dir);
    writeFileSync(join(dir, 'policy.rego'), rego);
    return dir;
  };

  it('throws on a rule id that is not in the catalogue', () => {
    const dir = policyDir(`package t
violation contains {"msg": "m", "rule": "no-such-rule", "field": "kind", "object": {"kind": input.kind}} if input.kind
`);
    expect(() => conftest(stream, 'inline', dir)).toThrow(/no-such-rule/);
  });

  it('throws on a catalogued rule of another engine', () => {
    const dir = policyDir(`package t
violation contains {"msg": "m", "rule": "schema-invalid", "field": "kind", "object": {"kind": input.kind}} if input.kind
`);
    expect(() => conftest(stream, 'inline', dir)).toThrow(/engine schema/);
  });

  it('throws on a violation without object identity', () => {
    const dir = policyDir(`package t
violation contains {"msg": "m", "rule": "image-tag-latest", "field": "kind"} if input.kind
`);
    expect(() => conftest(stream, 'inline', dir)).toThrow(/no object identity/);
  });

  it('throws ToolError with conftest stderr on a broken policy or input', () => {
    const dir = policyDir('package t\nviolation contains x if {\n');
    expect(() => conftest(stream, 'inline', dir)).toThrow(ToolError);
    expect(() => conftest(stream, 'inline', dir)).toThrow(/rego_parse_error/);
    expect(() => conftest('a: [\n', 'inline')).toThrow(ToolError);
  });
});

describe('generated overlays', () => {
  it.each([['dev'], ['staging'], ['production']])('%s passes the Rego policies at error level', (env) => {
    const dir = join(repoRoot, 'generated', 'overlays', env);
    const started = performance.now();
    const findings = conftest(kustomizeBuild(dir), relative(repoRoot, dir));
    console.log(
      `conftest ${env}: ${findings.length} findings in ${(performance.now() - started).toFixed(0)} ms`,
    );
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
});

describe('characters JSON leaves raw but YAML refuses (found by the fuzz suite)', () => {
  const secret = (c: string, name = 'x') => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'a' },
    stringData: { [`k${c}`]: `v${c}` },
  });
  const stream = (c: string) => `${yamlSafeJson(secret(c))}\n---\n${yamlSafeJson(secret(c, 'y'))}`;

  it.each(['\u2028', '\u2029'])('%j (a YAML line break) reaches the policies as the same string', (c) => {
    expect(JSON.parse(yamlSafeJson(secret(c)))).toEqual(secret(c));
    expect(conftest(stream(c), 'chars.yaml').map((f) => f.rule)).toEqual([
      'secret-literal-data',
      'secret-literal-data',
    ]);
  });

  it.each(['\u007f', '\u0080', '\u0085', '\u009f', '\ufffe', '\uffff'])(
    '%j (no YAML emitter writes it) reaches them as text',
    (c) => {
      const code = c.charCodeAt(0).toString(16).padStart(4, '0');
      expect(JSON.parse(yamlSafeJson(secret(c))).stringData).toEqual({ [`k\\u${code}`]: `v\\u${code}` });
      expect(conftest(stream(c), 'chars.yaml').map((f) => f.rule)).toEqual([
        'secret-literal-data',
        'secret-literal-data',
      ]);
    },
  );
});
