// Every rule of the catalogue has a failing and a passing fixture in policies/fixtures/<id>/. The rego and
// graph rules are proven on theirs in conftest.test.ts and graph-rules.test.ts, the server rules in
// server.test.ts; here the schema, Pod Security and meta rules go through the whole engine (the real
// kubeconform and conftest included).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturesDir, type Rule, rules } from '../src/catalogue.ts';
import { validatePaths } from '../src/validate.ts';

const fixtureDir = (r: Rule) => join(fixturesDir, r.id);

const all = [...rules().values()];
// Server rules need a control plane: server.test.ts proves them on their fixtures.
const engineRules = all.filter((r) => !['rego', 'graph', 'server'].includes(r.engine));

describe('rule fixtures', () => {
  it.each(all.map((r) => [r.id, r] as const))('%s has a passing and a failing fixture', (_, r) => {
    expect(existsSync(join(fixtureDir(r), 'pass.yaml'))).toBe(true);
    expect(existsSync(join(fixtureDir(r), 'fail.yaml'))).toBe(true);
  });
});

describe.each(engineRules.map((r) => [r.id, r] as const))('%s through the engine', (id, r) => {
  it('fails its failing fixture', () => {
    const { findings } = validatePaths([join(fixtureDir(r), 'fail.yaml')]);
    expect(findings.map((f) => f.rule)).toContain(id);
  });

  it('passes its passing fixture without any error', () => {
    const { findings } = validatePaths([join(fixtureDir(r), 'pass.yaml')]);
    expect(findings.filter((f) => f.rule === id || f.severity === 'error')).toEqual([]);
  });
});
