// The rule catalogue (policies/rules.json) is the single source of every rule's id, severity, why and
// fix. Engines emit rule ids only; this module attaches the rest and refuses ids it does not know.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@neurascale/toolchain';
import { Ajv } from 'ajv';
import type { Severity } from './findings.ts';

export type Engine = 'schema' | 'pss' | 'rego' | 'graph' | 'server' | 'meta';

export interface Rule {
  id: string;
  engine: Engine;
  severity: Severity;
  why: string;
  fix: string;
}

export const catalogueFile = join(repoRoot, 'policies', 'rules.json');

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
          engine: { enum: ['schema', 'pss', 'rego', 'graph', 'server', 'meta'] },
          severity: { enum: ['error', 'warning'] },
          why: { type: 'string', minLength: 20 },
          fix: { type: 'string', minLength: 10 },
        },
      },
    },
  },
};

const validateCatalogue = new Ajv({ allErrors: true }).compile<{ rules: Rule[] }>(catalogueSchema);

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
