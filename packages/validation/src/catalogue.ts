// The rule catalogue (policies/rules.json) is the single source of every rule's id, severity, why and
// fix. Engines emit rule ids only; this module attaches the rest and refuses ids it does not know.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../tools/src/toolchain.ts';
import type { Severity } from './findings.ts';

export type Engine = 'schema' | 'pss' | 'rego' | 'graph' | 'meta';

export interface Rule {
  id: string;
  engine: Engine;
  severity: Severity;
  why: string;
  fix: string;
}

export const catalogueFile = join(repoRoot, 'policies', 'rules.json');

let cached: Map<string, Rule> | undefined;

export function rules(): Map<string, Rule> {
  if (!cached) {
    const parsed = JSON.parse(readFileSync(catalogueFile, 'utf8')) as { rules: Rule[] };
    cached = new Map(parsed.rules.map((r) => [r.id, r]));
  }
  return cached;
}

export function rule(id: string): Rule {
  const found = rules().get(id);
  if (!found)
    throw new Error(`policies/rules.json: no rule "${id}"; every emitted rule id must be catalogued`);
  return found;
}
