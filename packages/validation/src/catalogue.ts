// The rule catalogue (policies/rules.json) is the single source of every rule's id, severity, why, fix
// and tunable parameters. Engines report violations (rule id, object, field, message); `catalogued`
// is the one place that turns a violation into a finding, and it refuses ids it does not know.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@neurascale/toolchain';
import { Ajv } from 'ajv';
import type { Finding, Violation } from './findings.ts';

export type Engine = 'schema' | 'pss' | 'rego' | 'graph' | 'istio' | 'promtool' | 'server' | 'meta';
export type ParamValue = number | string | boolean;

export interface Rule {
  id: string;
  engine: Engine;
  severity: Finding['severity'];
  why: string;
  fix: string;
  /** Thresholds a team may tune; Rego reads them as data.params[id], TypeScript rules as an argument. */
  params?: Record<string, { value: ParamValue; description: string }>;
  /** A more specific fix per check of an engine that runs several checks under one rule (Pod Security). */
  checks?: Record<string, string>;
}

export const policiesDir = join(repoRoot, 'policies');
export const catalogueFile = join(policiesDir, 'rules.json');
/** Every rule's fixtures, whatever engine runs it: policies/fixtures/<rule-id>/{pass,fail}.yaml. */
export const fixturesDir = join(policiesDir, 'fixtures');

export function fixturePath(id: string, kind: 'pass' | 'fail'): string {
  return join(fixturesDir, id, `${kind}.yaml`);
}

/** A rule's fixtures may share a ClusterProvides declaration: policies/fixtures/<id>/provided.yaml. */
export function fixtureProvided(id: string): string[] {
  const file = join(fixturesDir, id, 'provided.yaml');
  return existsSync(file) ? [file] : [];
}

/** The repository URL a fixture's references into Git name; its checkout is policies/fixtures/<id>/repo. */
export const fixtureRepositoryURL = 'https://git.example.com/deploy.git';

/**
 * What a rule's fixtures are validated with: their declaration and, when they have them, their repository
 * (policies/fixtures/<id>/repo), their promtool tests (policies/fixtures/<id>/rule-tests/) and their
 * CostModel (policies/fixtures/<id>/cost-model.yaml).
 */
export function fixtureOptions(id: string): {
  provided: string[];
  repositories?: Record<string, string>;
  ruleTests?: string[];
  costModel?: string;
} {
  const repo = join(fixturesDir, id, 'repo');
  const ruleTests = join(fixturesDir, id, 'rule-tests');
  const costModel = join(fixturesDir, id, 'cost-model.yaml');
  return {
    provided: fixtureProvided(id),
    ...(existsSync(repo) ? { repositories: { [fixtureRepositoryURL]: repo } } : {}),
    ...(existsSync(ruleTests) ? { ruleTests: [ruleTests] } : {}),
    ...(existsSync(costModel) ? { costModel } : {}),
  };
}

const catalogueSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['rules'],
  properties: {
    $comment: { type: 'string' },
    rules: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'engine', 'severity', 'why', 'fix'],
        properties: {
          id: { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' },
          engine: { enum: ['schema', 'pss', 'rego', 'graph', 'istio', 'promtool', 'cost', 'server', 'meta'] },
          severity: { enum: ['error', 'warning'] },
          why: { type: 'string', minLength: 20 },
          fix: { type: 'string', minLength: 10 },
          params: {
            type: 'object',
            minProperties: 1,
            propertyNames: { pattern: '^[a-z][A-Za-z0-9]*$' },
            additionalProperties: {
              type: 'object',
              additionalProperties: false,
              required: ['value', 'description'],
              properties: {
                value: { type: ['number', 'string', 'boolean'] },
                description: { type: 'string', minLength: 10 },
              },
            },
          },
          checks: {
            type: 'object',
            minProperties: 1,
            additionalProperties: { type: 'string', minLength: 10 },
          },
        },
      },
    },
  },
};

const validateCatalogue = new Ajv({ allErrors: true, allowUnionTypes: true }).compile<{ rules: Rule[] }>(
  catalogueSchema,
);

/** Parses and checks a catalogue text; errors name the file, the JSON path and the problem. */
export function parseCatalogue(text: string, file = 'policies/rules.json'): Map<string, Rule> {
  const data: unknown = JSON.parse(text);
  if (!validateCatalogue(data)) {
    const problems = (validateCatalogue.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message}`);
    throw new Error(`${file}: invalid rule catalogue:\n  ${problems.join('\n  ')}`);
  }
  const result = new Map<string, Rule>();
  data.rules.forEach((r, i) => {
    if (result.has(r.id)) throw new Error(`${file}: /rules/${i}/id: duplicate rule id "${r.id}"`);
    result.set(r.id, r);
  });
  return result;
}

let cached: Map<string, Rule> | undefined;

export function rules(): Map<string, Rule> {
  cached ??= parseCatalogue(readFileSync(catalogueFile, 'utf8'));
  return cached;
}

export function rule(id: string): Rule {
  const found = rules().get(id);
  if (!found)
    throw new Error(`policies/rules.json: no rule "${id}"; every emitted rule id must be catalogued`);
  return found;
}

/** The catalogued values of a rule's parameters, by name. */
export function paramsOf(id: string): Record<string, ParamValue> {
  return Object.fromEntries(Object.entries(rule(id).params ?? {}).map(([name, p]) => [name, p.value]));
}

export type RegoParams = { params: Record<string, Record<string, ParamValue>> };

/** Every rule's parameters as Rego data: `data.params[rule id][name]`. */
export function regoParams(): RegoParams {
  const withParams = [...rules().values()].filter((r) => r.params);
  return { params: Object.fromEntries(withParams.map((r) => [r.id, paramsOf(r.id)])) };
}

/** Attaches the catalogue's severity and fix to a violation: the only place findings get them. */
export function catalogued(violation: Violation, engine?: Engine): Finding {
  const r = rule(violation.rule);
  if (engine && r.engine !== engine) {
    throw new Error(
      `policies/rules.json: rule "${r.id}" is catalogued for engine ${r.engine}, not ${engine}`,
    );
  }
  const { check, ...rest } = violation;
  const fix = (check && r.checks?.[check]) || r.fix;
  return { ...rest, severity: r.severity, fix };
}
