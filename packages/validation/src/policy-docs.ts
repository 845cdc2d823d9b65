// Renders docs/policies.md from the rule catalogue, so the reference can never drift from the rules.
// `--check` fails when the committed file is stale.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@neurascale/toolchain';
import { type Engine, type Rule, rules } from './catalogue.ts';
import { suppressPrefix } from './engine.ts';

export const policyDocsFile = join(repoRoot, 'docs', 'policies.md');

const engines: Record<Engine, string> = {
  schema: 'Schemas (kubeconform -strict, every Kubernetes version of the matrix)',
  pss: 'Pod Security Standards',
  rego: 'Policies (Rego, run by conftest)',
  graph: 'Cross-resource rules (manifest graph)',
  server: 'Server-side dry-run on a real kube-apiserver (the validate-server targets)',
  meta: 'Input and suppressions',
};

function fixtures(rule: Rule): string {
  const dir =
    rule.engine === 'rego'
      ? `policies/fixtures/${rule.id}`
      : rule.engine === 'graph' || rule.engine === 'server'
        ? `packages/validation/test/fixtures/${rule.engine}/${rule.id}`
        : undefined;
  if (!dir || !existsSync(join(repoRoot, dir))) return '';
  return `\n- Fixtures: \`${dir}/pass.yaml\` (passes), \`${dir}/fail.yaml\` (fails)`;
}

export function renderPolicyDocs(): string {
  const all = [...rules().values()];
  const lines = [
    '<!-- Generated from policies/rules.json by packages/validation/src/policy-docs.ts: do not edit. -->',
    '# Validation rules',
    '',
    `${all.length} rules. \`validate-manifests\` exits 1 when any error-level finding remains. A finding on one`,
    `object can be suppressed with the annotation \`${suppressPrefix}<rule-id>: "<reason>"\`; a suppression`,
    'without a reason is itself an error.',
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
        `- Fix: ${r.fix}${fixtures(r)}`,
        '',
      );
    }
  }
  return lines.join('\n');
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
