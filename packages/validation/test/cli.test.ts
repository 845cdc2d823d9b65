import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';
import { maxFileBytes } from '../src/inputs.ts';
import { runTool } from '../src/run-tool.ts';

const target = () => join(import.meta.dirname, '..', '..', '..', 'generated', 'overlays', 'dev');

let dir: string;
const good = `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: app}
data: {A: "1"}
`;
const badPod = `apiVersion: v1
kind: Pod
metadata:
  name: root
  namespace: app
spec:
  containers:
    - name: c
      image: "busybox:1.36"
      resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 16Mi}}
      securityContext: {privileged: true}
`;

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function run(...args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function findings(...args: string[]): { code: number; findings: any[]; summary: any } {
  const { code, out } = run(...args, '--format', 'json');
  const parsed = JSON.parse(out);
  return { code, findings: parsed.findings, summary: parsed.summary };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('validate-manifests', () => {
  it('exits 0 on a clean manifest set and 1 on an error', () => {
    const ok = run(file('good.yaml', good));
    expect(ok.code).toBe(0);
    // The one summary line: what, the counts, and which engines ran at which Kubernetes versions.
    expect(ok.out.trim().split('\n').at(-1)).toMatch(
      /good\.yaml: 1 object\(s\): 0 error\(s\), 0 warning\(s\), 0 suppressed \[schema v1\.\d+\.\d+ v1\.\d+\.\d+; pss v1\.\d+\.\d+ v1\.\d+\.\d+; rego; graph\]$/,
    );
    const { code, findings: f } = findings(file('pod.yaml', badPod));
    expect(code).toBe(1);
    expect(f.map((x) => x.rule)).toContain('pss-restricted');
  });

  it('applies --pss-level to objects whose namespace is not in the input', () => {
    const pod = file('pod-baseline.yaml', badPod.replace('privileged: true', 'privileged: false'));
    expect(findings(pod, '--pss-level', 'baseline').code).toBe(0);
    expect(findings(pod, '--pss-level', 'restricted').code).toBe(1);
  });

  it('checks pods at the level and version their namespace in the input enforces', () => {
    const ns = (labels: string) =>
      `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app\n  labels: {${labels}}\n---\n`;
    const nonPrivileged = badPod.replace('privileged: true', 'privileged: false');
    const baseline = findings(
      file('ns-baseline.yaml', `${ns('pod-security.kubernetes.io/enforce: baseline')}${nonPrivileged}`),
    );
    expect(baseline.code).toBe(0);
    const restricted = findings(
      file('ns-restricted.yaml', `${ns('pod-security.kubernetes.io/enforce: restricted')}${nonPrivileged}`),
    );
    expect(restricted.findings.map((x) => x.rule)).toContain('pss-restricted');
    const badVersion = findings(
      file(
        'ns-version.yaml',
        `${ns('pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/enforce-version: v2')}${nonPrivileged}`,
      ),
    );
    expect(badVersion.findings.map((x) => x.rule)).toContain('pss-version-invalid');
    // A YAML number where the label wants a string (found by the fuzz suite): a finding, not a crash.
    const numericVersion = findings(
      file(
        'ns-numeric-version.yaml',
        `${ns('pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/enforce-version: 1.30')}${nonPrivileged}`,
      ),
    );
    expect(numericVersion.code).toBe(1);
    expect(numericVersion.findings.map((x) => x.rule)).toContain('pss-version-invalid');
  });

  it('turns garbage into findings, never a stack trace, and keeps validating the good documents', () => {
    const paths = [
      file('not-yaml.yaml', 'key: [unclosed\n  - : :\n'),
      file('scalar.yaml', 'just a string\n'),
      file('no-kind.yaml', 'apiVersion: v1\nmetadata: {name: x}\n'),
      file('binary.yaml', Buffer.from([0x00, 0x01, 0x02, 0xff])),
      file('empty.yaml', ''),
      file('mixed.yaml', `${good}---\n- a list\n---\n${badPod}`),
    ];
    const huge = file('huge.yaml', '');
    truncateSync(huge, maxFileBytes + 1);
    const { code, findings: f } = findings(...paths, huge);
    expect(code).toBe(1);
    const bySource = (name: string) => f.filter((x) => String(x.source).includes(name));
    expect(bySource('not-yaml.yaml')[0]).toMatchObject({
      rule: 'input-invalid',
      message: expect.stringContaining('not valid YAML'),
    });
    expect(bySource('scalar.yaml')[0]?.message).toContain('is a string, not an object');
    expect(bySource('no-kind.yaml')[0]?.message).toContain('missing kind');
    expect(bySource('binary.yaml')[0]?.message).toContain('binary');
    expect(bySource('empty.yaml')[0]).toMatchObject({ rule: 'input-empty', severity: 'warning' });
    expect(bySource('huge.yaml')[0]?.message).toContain('larger than');
    // The list document is reported and the privileged pod after it is still checked.
    expect(bySource('mixed.yaml').map((x) => x.rule)).toEqual(
      expect.arrayContaining(['input-invalid', 'pss-restricted']),
    );
  });

  it('reports duplicate keys as invalid YAML', () => {
    const { findings: f } = findings(
      file('dup.yaml', 'apiVersion: v1\nkind: ConfigMap\nkind: Secret\nmetadata: {name: x}\n'),
    );
    expect(f[0]).toMatchObject({ rule: 'input-invalid', message: expect.stringContaining('unique') });
  });

  it('walks directories and renders Kustomize directories', () => {
    const sub = join(dir, 'kz');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'cm.yaml'), good);
    writeFileSync(join(sub, 'kustomization.yaml'), 'resources: [cm.yaml]\nnamespace: other\n');
    const { code, summary } = findings(sub);
    expect(code).toBe(0);
    expect(summary.objects).toBe(1);
    writeFileSync(join(sub, 'kustomization.yaml'), 'resources: [missing.yaml]\n');
    expect(findings(sub).findings[0]).toMatchObject({
      rule: 'input-invalid',
      message: expect.stringContaining('kustomize build'),
    });
  });

  it('skips a Kustomize Component when walking (it only builds inside an overlay) but refuses it named alone', () => {
    const tree = join(dir, 'with-component');
    const component = join(tree, 'components', 'feature');
    mkdirSync(component, { recursive: true });
    writeFileSync(join(tree, 'cm.yaml'), good);
    writeFileSync(
      join(component, 'kustomization.yaml'),
      'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - path: p.yaml\n',
    );
    writeFileSync(join(component, 'p.yaml'), good.replace('"1"', '"2"'));
    const walked = findings(tree);
    expect(walked.code).toBe(0);
    expect(walked.summary.objects).toBe(1);
    expect(findings(component).findings[0]).toMatchObject({ rule: 'input-invalid' });
  });

  it('honours a suppression with a reason and flags one without', () => {
    const annotated = (value: string) =>
      badPod.replace(
        '  name: root\n',
        `  name: root\n  annotations:\n    validation.neurascale.io/suppress-pss-restricted: "${value}"\n`,
      );
    const ok = findings(file('suppressed.yaml', annotated('debug pod, deleted after the incident')));
    expect(ok.findings.filter((x) => x.rule === 'pss-restricted')).toEqual([]);
    expect(ok.summary.suppressed).toBeGreaterThan(0);
    // Only that rule: the object's other findings stay.
    expect(ok.findings.map((x) => x.rule)).toContain('pss-baseline');
    const suppressedRules = JSON.parse(
      run(file('suppressed.yaml', annotated('debug pod')), '--format', 'json').out,
    ).suppressed.map((x: any) => x.rule);
    expect([...new Set(suppressedRules)]).toEqual(['pss-restricted']);
    const bad = findings(file('no-reason.yaml', annotated(' ')));
    expect(bad.findings.map((x) => x.rule)).toEqual(
      expect.arrayContaining(['pss-restricted', 'suppression-without-reason']),
    );
  });

  it('writes SARIF, JUnit and text reports', () => {
    const pod = file('pod2.yaml', badPod);
    const sarif = JSON.parse(run(pod, '--format', 'sarif').out);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results[0]).toMatchObject({
      ruleId: expect.stringMatching(/^pss-/),
      level: 'error',
    });
    expect(sarif.runs[0].tool.driver.rules.map((r: any) => r.id)).toContain('schema-invalid');
    // A warning is a SARIF warning, not a note.
    const empty = JSON.parse(run(file('empty.yaml', '# nothing here\n'), '--format', 'sarif').out);
    expect(empty.runs[0].results).toEqual([
      expect.objectContaining({ ruleId: 'input-empty', level: 'warning' }),
    ]);
    const junit = run(pod, '--format', 'junit').out;
    expect(junit).toMatch(/^<\?xml/);
    expect(junit).toMatch(/<failure type="pss-baseline"/);
    const text = run(pod).out;
    expect(text).toMatch(
      /pod2\.yaml:1: Pod app\/root\n {2}error {3}pss-baseline spec\.containers\[0\]\.securityContext\.privileged: .*\n {10}fix: Remove securityContext\.privileged/,
    );
  });

  it('rejects bad usage with exit 2', () => {
    expect(run()).toMatchObject({ code: 2, err: expect.stringContaining('no PATH given') });
    expect(run('x.yaml', '--format', 'xml').code).toBe(2);
    expect(run('x.yaml', '--pss-level', 'strict').code).toBe(2);
    expect(run('x.yaml', '--kubernetes-version', '1.20.0').code).toBe(2);
  });

  it('resolves references against a ClusterProvides declaration, and refuses a broken one with exit 2', () => {
    const pod = file(
      'gpu.yaml',
      good +
        `---
apiVersion: v1
kind: Pod
metadata: {name: trainer, namespace: app}
spec:
  runtimeClassName: nvidia
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: c
      image: "trainer:1.0.0"
      resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 16Mi}}
      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`,
    );
    const missing = findings(pod);
    expect(missing.code).toBe(1);
    expect(missing.findings.filter((f) => f.severity === 'error').map((f) => f.rule)).toEqual([
      'runtime-class-missing',
    ]);
    const declaration = `apiVersion: validation.neurascale.io/v1
kind: ClusterProvides
provides:
  - {kind: RuntimeClass, name: nvidia, why: installed by the GPU operator}
`;
    const provided = findings(pod, '--provided', file('provides.yaml', declaration));
    expect(provided.code).toBe(0);
    expect(provided.summary).toBeDefined();
    const broken = run(
      pod,
      '--provided',
      file('broken.yaml', declaration.replace('kind: RuntimeClass', 'knd: RuntimeClass')),
    );
    expect(broken.code).toBe(2);
    expect(broken.out).toBe('');
    expect(broken.err).toContain('broken.yaml: invalid ClusterProvides declaration');
    expect(broken.err).toContain("/provides/0: must have required property 'kind'");
    expect(broken.err).toContain('/provides/0: must NOT have additional properties "knd"');
    expect(run(pod, '--provided', join(dir, 'absent.yaml'))).toMatchObject({
      code: 2,
      err: expect.stringContaining('absent.yaml: cannot read the ClusterProvides declaration'),
    });
  });

  it.each([
    ['selector-values-string.yaml', 'schema-invalid'],
    ['selector-value-number.yaml', 'schema-invalid'],
    ['selector-expressions-object.yaml', 'schema-invalid'],
    ['alias-cycle.yaml', 'input-invalid'],
  ])('reports %s (odd shapes the rules read) as findings, never an exception', (name, rule) => {
    const { code, findings: f } = findings(join(import.meta.dirname, 'inputs', name));
    expect(code).toBe(1);
    expect(f.map((x) => x.rule)).toContain(rule);
  });

  it('reports a path that does not exist', () => {
    expect(findings(join(dir, 'nope.yaml')).findings[0]).toMatchObject({
      rule: 'input-invalid',
      message: 'does not exist',
    });
  });
});

describe('a missing or stale pinned tool', () => {
  const bin = join(import.meta.dirname, '..', 'src', 'bin', 'validate-manifests.ts');
  const target = join(import.meta.dirname, '..', '..', '..', 'generated', 'overlays', 'dev');
  const runWith = (tools: string) =>
    spawnSync(process.execPath, [bin, target], {
      encoding: 'utf8',
      env: { ...process.env, NEURASCALE_TOOLS_DIR: tools },
    });

  it('is found before any work, with every problem and the command that fixes it (exit 2)', () => {
    const tools = mkdtempSync(join(tmpdir(), 'tools-'));
    try {
      const empty = runWith(tools);
      expect(empty.status).toBe(2);
      expect(empty.stdout).toBe('');
      for (const name of ['kustomize', 'kubeconform', 'conftest']) {
        expect(empty.stderr).toMatch(
          new RegExp(`${name} v[0-9.]+ is not built \\(${tools}/bin/${name} is missing\\)`),
        );
      }
      expect(empty.stderr).toContain('the offline schemas are missing or were built from other pins');
      expect(empty.stderr).toContain('run `npx nx run-many -t install schemas -p toolchain`');

      mkdirSync(join(tools, 'bin'));
      writeFileSync(join(tools, 'bin', 'kustomize'), '');
      writeFileSync(join(tools, 'bin', 'kustomize.version'), 'sigs.k8s.io/kustomize/kustomize/v5@v5.0.0\n');
      const stale = runWith(tools);
      expect(stale.status).toBe(2);
      expect(stale.stderr).toMatch(
        /bin\/kustomize is sigs\.k8s\.io\/kustomize\/kustomize\/v5@v5\.0\.0, not the pinned .*@v5\.\d+\.\d+/,
      );
    } finally {
      rmSync(tools, { recursive: true, force: true });
    }
  });
});

/** The real pinned tools and schemas in `tools`, except conftest, which the test writes. */
function linkRealToolsButConftest(tools: string): void {
  const real = join(import.meta.dirname, '..', '..', '..', '.tools');
  mkdirSync(join(tools, 'bin'));
  symlinkSync(join(real, 'schemas'), join(tools, 'schemas'));
  for (const name of ['kustomize', 'kubeconform', 'conftest']) {
    copyFileSync(join(real, 'bin', `${name}.version`), join(tools, 'bin', `${name}.version`));
    if (name !== 'conftest') symlinkSync(join(real, 'bin', name), join(tools, 'bin', name));
  }
}

describe('a run stopped by a signal while a tool runs', () => {
  it('takes the tool with it (the tool dies with its parent)', async () => {
    const tools = mkdtempSync(join(tmpdir(), 'tools-'));
    try {
      linkRealToolsButConftest(tools);
      // A conftest that says who it is and then takes a minute.
      const pidFile = join(tools, 'conftest.pid');
      writeFileSync(join(tools, 'bin', 'conftest'), `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 60\n`, {
        mode: 0o755,
      });
      const bin = join(import.meta.dirname, '..', 'src', 'bin', 'validate-manifests.ts');
      const cli = spawn(process.execPath, [bin, file('stopped.yaml', good)], {
        env: { ...process.env, NEURASCALE_TOOLS_DIR: tools },
        stdio: 'ignore',
      });
      const deadline = Date.now() + 60_000;
      while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') {
        if (Date.now() > deadline) throw new Error('the fake conftest never started');
        await new Promise((r) => setTimeout(r, 50));
      }
      const toolPid = Number(readFileSync(pidFile, 'utf8'));
      const exited = new Promise((resolve) => cli.once('exit', resolve));
      cli.kill('SIGTERM');
      await exited;
      const gone = Date.now() + 5000;
      let alive = true;
      while (alive && Date.now() < gone) {
        try {
          process.kill(toolPid, 0);
          await new Promise((r) => setTimeout(r, 50));
        } catch {
          alive = false;
        }
      }
      if (alive) process.kill(toolPid, 'SIGKILL');
      expect(alive).toBe(false);
    } finally {
      rmSync(tools, { recursive: true, force: true });
    }
  });
});

describe('a failed run', () => {
  it('leaves no temporary directory and no process behind, and says which tool failed (exit 2)', () => {
    const tools = mkdtempSync(join(tmpdir(), 'tools-'));
    const scratch = mkdtempSync(join(tmpdir(), 'scratch-'));
    try {
      linkRealToolsButConftest(tools);
      // A conftest that breaks: the run fails after kubeconform has used its temporary files.
      writeFileSync(
        join(tools, 'bin', 'conftest'),
        '#!/bin/sh\necho "policy engine exploded" >&2\nexit 3\n',
        {
          mode: 0o755,
        },
      );
      const bin = join(import.meta.dirname, '..', 'src', 'bin', 'validate-manifests.ts');
      const result = spawnSync(process.execPath, [bin, file('fails-late.yaml', good)], {
        encoding: 'utf8',
        env: { ...process.env, NEURASCALE_TOOLS_DIR: tools, TMPDIR: scratch },
      });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/conftest test failed \(exit 3\):\npolicy engine exploded/);
      expect(readdirSync(scratch)).toEqual([]);
      const left = spawnSync('pgrep', ['-f', tools], { encoding: 'utf8' });
      expect(left.stdout.trim()).toBe('');
    } finally {
      rmSync(tools, { recursive: true, force: true });
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('stops a tool that does not finish in time and says so', () => {
    expect(() => runTool('kustomize', ['build', target()], { timeoutMs: 1 })).toThrow(
      /kustomize build did not finish within 0\.001s and was stopped/,
    );
  });
});
