// Renders docs/policies.md from the rule catalogue, so the reference can never drift from the rules.
// `--check` fails when the committed file is stale.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '@neurascale/toolchain';
import { type Engine, fixturePath, policiesDir, type Rule, rules } from './catalogue.ts';
import { suppressPrefix } from './engine.ts';
import { type Peer, parity, peers } from './parity.ts';

export const policyDocsFile = join(repoRoot, 'docs', 'policies.md');

const engines: Record<Engine, string> = {
  schema: 'Schemas (kubeconform -strict, every Kubernetes version of the matrix)',
  pss: 'Pod Security Standards',
  rego: 'Policies (Rego, run by conftest)',
  graph: 'Cross-resource rules (manifest graph)',
  istio: "Istio's configuration analyzer (istioctl analyze, offline)",
  promtool: "Prometheus's rule tools (promtool check rules, and promtool test rules with --rule-tests)",
  server: 'Server-side dry-run on a real kube-apiserver (the validate-server targets)',
  meta: 'Input and suppressions',
};

/** Where each engine's code for a rule lives; Rego and graph rules are found by their id. */
const engineCode: Record<Exclude<Engine, 'rego' | 'graph'>, string> = {
  schema: 'packages/validation/src/kubeconform.ts',
  pss: 'packages/validation/src/pod-security.ts',
  istio: 'packages/validation/src/istio-analyzer.ts',
  promtool: 'packages/validation/src/promtool.ts',
  server: 'packages/validation/src/server.ts',
  meta: 'packages/validation/src/inputs.ts, packages/validation/src/engine.ts',
};

function regoFiles(dir = policiesDir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => {
      if (e.isDirectory()) return e.name === 'fixtures' ? [] : regoFiles(join(dir, e.name));
      return e.name.endsWith('.rego') && !e.name.endsWith('_test.rego') ? [join(dir, e.name)] : [];
    });
}

function codeOf(rule: Rule): string {
  if (rule.engine === 'graph') return `packages/validation/src/graph-rules/${rule.id}.ts`;
  if (rule.engine !== 'rego') return engineCode[rule.engine];
  const files = regoFiles().filter((f) => readFileSync(f, 'utf8').includes(`lib.finding("${rule.id}"`));
  return files.map((f) => relative(repoRoot, f)).join(', ');
}

function details(rule: Rule): string[] {
  const fixtures = relative(repoRoot, fixturePath(rule.id, 'pass')).replace(/\/pass\.yaml$/, '');
  const lines = [
    `- Code: \`${codeOf(rule)}\``,
    `- Fixtures: \`${fixtures}/pass.yaml\` (passes), \`${fixtures}/fail.yaml\` (fails)`,
  ];
  for (const [name, p] of Object.entries(rule.params ?? {})) {
    lines.push(`- Parameter \`${name}\` = \`${JSON.stringify(p.value)}\`: ${p.description}`);
  }
  for (const [check, fix] of Object.entries(rule.checks ?? {})) lines.push(`- Check \`${check}\`: ${fix}`);
  return lines;
}

export function renderPolicyDocs(): string {
  const all = [...rules().values()];
  const lines = [
    '<!-- Generated from policies/rules.json by packages/validation/src/policy-docs.ts: do not edit. -->',
    '# Validation rules',
    '',
    `${all.length} rules. \`validate-manifests\` exits 1 when any error-level finding remains. A finding on one`,
    `object can be suppressed with the annotation \`${suppressPrefix}<rule-id>: "<reason>"\`; a suppression`,
    'without a reason is itself an error. Every rule has a passing and a failing fixture in',
    '`policies/fixtures/<rule-id>/`. Parameters are thresholds a team may tune in `policies/rules.json`: Rego',
    'reads them as `data.params`, TypeScript rules receive them as an argument.',
    '',
  ];
  for (const engine of Object.keys(engines) as Engine[]) {
    const group = all.filter((r) => r.engine === engine);
    if (group.length === 0) continue;
    lines.push(`## ${engines[engine]}`, '');
    for (const r of group) {
      lines.push(
        `### \`${r.id}\` (${r.severity})`,
        '',
        `- Why: ${r.why}`,
        `- Fix: ${r.fix}`,
        ...details(r),
        '',
      );
    }
  }
  lines.push(...parityDocs());
  return lines.join('\n');
}

const peerNames: Record<Peer, string> = {
  'kube-score': 'kube-score',
  'kube-linter': 'kube-linter',
  polaris: 'Polaris',
};

/** The peer parity table: every built-in check of each peer and what we decided about it. */
function parityDocs(): string[] {
  const table = parity();
  const cell = (s: string) => s.replaceAll('|', '\\|');
  const lines = [
    '## Peer parity',
    '',
    'Every built-in check of kube-score, kube-linter and Polaris (from `policies/parity.json`), and what covers',
    'it here, or why it is not adopted. kube-score is built at the pinned version and run on every fixture next',
    'to this validator (`packages/validation/test/peer-differential.test.ts`); its list below is the pinned',
    "binary's own.",
    '',
  ];
  for (const peer of peers) {
    const { version, source, checks } = table[peer];
    const entries = Object.entries(checks);
    const covered = entries.filter(([, d]) => d.decision === 'covered').length;
    lines.push(
      `### ${peerNames[peer]} ${version}`,
      '',
      `${entries.length} checks (${source}): ${covered} covered, ${entries.length - covered} not adopted.`,
      '',
      '| check | decision | covered by, or why not |',
      '|---|---|---|',
    );
    for (const [id, d] of entries) {
      const what = d.what ? ` ${cell(d.what)}` : '';
      const how =
        d.decision === 'covered'
          ? `${d.rules.map((r) => `\`${r}\``).join(', ')}${d.note ? `. ${cell(d.note)}` : ''}`
          : cell(d.reason);
      lines.push(`| \`${id}\`${what} | ${d.decision} | ${how} |`);
    }
    lines.push('');
  }
  return lines;
}

if (import.meta.main) {
  const rendered = renderPolicyDocs();
  if (process.argv.includes('--check')) {
    const current = existsSync(policyDocsFile) ? readFileSync(policyDocsFile, 'utf8') : '';
    if (current !== rendered) {
      console.error('docs/policies.md is stale: run `npx nx run validation:generate` and commit it');
      process.exit(1);
    }
  } else {
    writeFileSync(policyDocsFile, rendered);
    console.log(`policy-docs: wrote docs/policies.md (${rules().size} rules)`);
  }
}
