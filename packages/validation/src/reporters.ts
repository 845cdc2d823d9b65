// Report formats for findings: text (grouped by object), JSON, SARIF 2.1.0 and JUnit XML.
import { rules } from './catalogue.ts';
import type { EngineResult } from './engine.ts';
import { describeObject, type Finding } from './findings.ts';

export const formats = ['text', 'json', 'sarif', 'junit'] as const;
export type Format = (typeof formats)[number];

function counts(findings: Finding[]) {
  const errors = findings.filter((f) => f.severity === 'error').length;
  return { errors, warnings: findings.length - errors };
}

function groupByObject(findings: Finding[]): Map<string, Finding[]> {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = `${f.source}: ${describeObject(f.object)}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  return groups;
}

export function text(result: EngineResult): string {
  const lines: string[] = [];
  for (const [object, group] of groupByObject(result.findings)) {
    lines.push(object);
    for (const f of group) {
      lines.push(`  ${f.severity.padEnd(7)} ${f.rule}${f.field ? ` ${f.field}` : ''}: ${f.message}`);
      if (f.overridden)
        lines.push(`          ${f.overridden.from} in the catalogue, ${f.severity} by ${f.overridden.by}`);
      if (f.fix) lines.push(`          fix: ${f.fix}`);
    }
  }
  lines.push(summaryLine(result));
  return `${lines.join('\n')}\n`;
}

/** One line: what was validated, the counts, and which engines ran. */
export function summaryLine(result: EngineResult): string {
  const { errors, warnings } = counts(result.findings);
  const what = result.inputs && result.inputs.length > 0 ? `${result.inputs.join(', ')}: ` : '';
  const engines = result.engines && result.engines.length > 0 ? ` [${result.engines.join('; ')}]` : '';
  return `${what}${result.objects} object(s): ${errors} error(s), ${warnings} warning(s), ${result.suppressed.length} suppressed${engines}`;
}

export function json(result: EngineResult): string {
  return `${JSON.stringify({ summary: { objects: result.objects, ...counts(result.findings), suppressed: result.suppressed.length, inputs: result.inputs ?? [], engines: result.engines ?? [] }, findings: result.findings, suppressed: result.suppressed }, null, 2)}\n`;
}

function sourceFile(source: string): { uri: string; line?: number } {
  const match = /^(.*):(\d+)$/.exec(source);
  return match ? { uri: match[1] as string, line: Number(match[2]) } : { uri: source };
}

export function sarif(result: EngineResult): string {
  const catalogue = [...rules().values()];
  const index = new Map(catalogue.map((r, i) => [r.id, i]));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'validate-manifests',
            informationUri: 'https://github.com/neurascale/deploy/blob/main/docs/policies.md',
            // What code scanning shows beside a finding in a pull request: the rule's why, and its fix.
            rules: catalogue.map((r) => ({
              id: r.id,
              name: r.id,
              shortDescription: { text: r.why },
              fullDescription: { text: r.why },
              help: {
                text: `${r.why}\n\nFix: ${r.fix}`,
                markdown: `**${r.id}** (${r.severity}, ${r.engine})\n\n${r.why}\n\n**Fix:** ${r.fix}\n\nFixtures: \`policies/fixtures/${r.id}/\`; reference: \`docs/policies.md\`.`,
              },
              defaultConfiguration: { level: r.severity === 'error' ? 'error' : 'warning' },
              properties: { tags: [r.engine] },
            })),
          },
        },
        results: result.findings.map((f) => {
          const { uri, line } = sourceFile(f.source);
          return {
            ruleId: f.rule,
            ...(index.has(f.rule) ? { ruleIndex: index.get(f.rule) } : {}),
            level: f.severity === 'error' ? 'error' : 'warning',
            message: { text: `${describeObject(f.object)}${f.field ? ` ${f.field}` : ''}: ${f.message}` },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri },
                  ...(line ? { region: { startLine: line } } : {}),
                },
                logicalLocations: [{ fullyQualifiedName: describeObject(f.object), kind: 'object' }],
              },
            ],
            properties: {
              field: f.field ?? null,
              fix: f.fix ?? null,
              ...(f.overridden ? { overriddenFrom: f.overridden.from, overriddenBy: f.overridden.by } : {}),
            },
          };
        }),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

const xml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function junit(result: EngineResult): string {
  const groups = groupByObject(result.findings);
  const { errors } = counts(result.findings);
  const cases = [...groups].map(([object, group]) => {
    const failures = group
      .filter((f) => f.severity === 'error')
      .map(
        (f) =>
          `      <failure type="${xml(f.rule)}" message="${xml(`${f.field ? `${f.field}: ` : ''}${f.message}`)}">${xml(`${f.fix ?? ''}${f.overridden ? `\n(${f.overridden.from} in the catalogue, error by ${f.overridden.by})` : ''}`)}</failure>`,
      );
    const warnings = group
      .filter((f) => f.severity === 'warning')
      .map(
        (f) =>
          `${f.rule}${f.field ? ` ${f.field}` : ''}: ${f.message}${f.overridden ? ` (${f.overridden.from} in the catalogue, warning by ${f.overridden.by})` : ''}`,
      );
    const out = warnings.length > 0 ? [`      <system-out>${xml(warnings.join('\n'))}</system-out>`] : [];
    return [
      `    <testcase classname="validate-manifests" name="${xml(object)}">`,
      ...failures,
      ...out,
      '    </testcase>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${groups.size}" failures="${errors}">`,
    `  <testsuite name="validate-manifests" tests="${groups.size}" failures="${errors}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export function report(result: EngineResult, format: Format): string {
  return { text, json, sarif, junit }[format](result);
}
