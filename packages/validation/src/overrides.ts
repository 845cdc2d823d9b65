// Rule severities and parameters a team steers per environment or directory: a checked file of overrides,
// each for the inputs under some paths, with the reason. A finding whose severity was overridden says so in
// every report format (from which severity, by which override).
//
//   {
//     "overrides": [
//       {
//         "paths": ["generated/overlays/production"],
//         "why": "Production runs in three zones: an unspread service is an outage waiting for a zone.",
//         "rules": { "spread-missing": { "severity": "error", "params": { "minReplicas": 2 } } }
//       }
//     ]
//   }
//
// Paths are relative to the directory the validator runs in (the workspace root for the Nx targets); an
// input PATH at or below one of them gets the override. Later overrides win over earlier ones.
import { readFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { Ajv } from 'ajv';
import { type ParamValue, rules } from './catalogue.ts';
import type { Finding, Severity } from './findings.ts';

export interface Override {
  paths: string[];
  why: string;
  rules: Record<string, { severity?: Severity; params?: Record<string, ParamValue> }>;
}

/** What applies to one input: severities and parameters by rule, and which override set each. */
export interface RuleSettings {
  severity: Record<string, { severity: Severity; by: string }>;
  params: Record<string, Record<string, ParamValue>>;
}

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['overrides'],
  properties: {
    $comment: { type: 'string' },
    overrides: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['paths', 'why', 'rules'],
        properties: {
          paths: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
          why: { type: 'string', minLength: 10 },
          rules: {
            type: 'object',
            minProperties: 1,
            additionalProperties: {
              type: 'object',
              additionalProperties: false,
              minProperties: 1,
              properties: {
                severity: { enum: ['error', 'warning'] },
                params: {
                  type: 'object',
                  minProperties: 1,
                  additionalProperties: { type: ['number', 'string', 'boolean'] },
                },
              },
            },
          },
        },
      },
    },
  },
};

const check = new Ajv({ allErrors: true, allowUnionTypes: true }).compile<{ overrides: Override[] }>(schema);

/** Reads and checks an overrides file; errors name the file, the override, the rule and the fix. */
export function loadOverrides(file: string): Override[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: cannot read the overrides: ${(error as Error).message}`);
  }
  return parseOverrides(data, file);
}

export function parseOverrides(data: unknown, file: string): Override[] {
  if (!check(data)) {
    const problems = (check.errors ?? []).map((e) => {
      const extra =
        e.params && 'additionalProperty' in e.params ? ` "${String(e.params.additionalProperty)}"` : '';
      return `${e.instancePath || '/'}: ${e.message}${extra}`;
    });
    throw new Error(
      `${file}: invalid overrides:\n  ${problems.join('\n  ')}\n  fix: each override has paths, why (at least 10 characters) and rules, each rule a severity (error or warning) and/or params`,
    );
  }
  const catalogue = rules();
  data.overrides.forEach((o, i) => {
    for (const [id, change] of Object.entries(o.rules)) {
      const at = `${file}: /overrides/${i}/rules/${id}`;
      const rule = catalogue.get(id);
      if (!rule)
        throw new Error(
          `${at}: no rule "${id}" in policies/rules.json; fix: use a rule id of docs/policies.md`,
        );
      for (const [name, value] of Object.entries(change.params ?? {})) {
        const param = rule.params?.[name];
        if (!param) {
          const known = Object.keys(rule.params ?? {});
          throw new Error(
            `${at}/params/${name}: rule ${id} has no parameter "${name}"; fix: use one of ${known.join(', ') || '(it has none)'}`,
          );
        }
        if (typeof value !== typeof param.value) {
          throw new Error(
            `${at}/params/${name}: must be a ${typeof param.value} like its catalogued value ${JSON.stringify(param.value)}`,
          );
        }
      }
    }
  });
  return data.overrides;
}

function isUnder(input: string, path: string): boolean {
  const rel = relative(resolve(path), resolve(input));
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..');
}

/** The settings for one input path: every override whose paths hold it, in file order (later wins). */
export function settingsFor(input: string, overrides: Override[], file: string): RuleSettings {
  const settings: RuleSettings = { severity: {}, params: {} };
  overrides.forEach((o, i) => {
    if (!o.paths.some((p) => isUnder(input, p))) return;
    for (const [id, change] of Object.entries(o.rules)) {
      if (change.severity)
        settings.severity[id] = { severity: change.severity, by: `${file} overrides[${i}]: ${o.why}` };
      if (change.params) settings.params[id] = { ...settings.params[id], ...change.params };
    }
  });
  return settings;
}

/** A finding at the severity the settings give its rule; one that changed says from which and by what. */
export function applySeverity(finding: Finding, settings: RuleSettings | undefined): Finding {
  const override = settings?.severity[finding.rule];
  if (!override || override.severity === finding.severity) return finding;
  return { ...finding, severity: override.severity, overridden: { from: finding.severity, by: override.by } };
}
