// Every rule of the catalogue has a failing and a passing fixture in policies/fixtures/<id>/, and the exact
// findings it must report on the failing one (object and field, as a set) in expected.json. Every rule but
// the server ones goes through the whole engine here (the real kubeconform and conftest included); the
// server rules are held to their expected.json in server.test.ts, on a real control plane.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureOptions, fixturesDir, type Rule, rules } from '../src/catalogue.ts';
import { validatePaths } from '../src/validate.ts';
import { expectedFindings, foundBy } from './expected.ts';

const fixtureDir = (r: Rule) => join(fixturesDir, r.id);

const all = [...rules().values()];
// Server rules need a control plane: server.test.ts proves them on their fixtures.
const engineRules = all.filter((r) => r.engine !== 'server');
const expected = (r: Rule): string[] => expectedFindings(r.id);

describe('rule fixtures', () => {
  it.each(all.map((r) => [r.id, r] as const))(
    '%s has a passing and a failing fixture, and its expected findings',
    (_, r) => {
      for (const file of ['pass.yaml', 'fail.yaml', 'expected.json']) {
        expect(existsSync(join(fixtureDir(r), file)), file).toBe(true);
      }
      expect(expected(r).length).toBeGreaterThan(0);
    },
  );
});

/** A fixture's ClusterProvides declaration (provided.yaml) and repository (repo/) apply to both fixtures. */
const optionsFor = (r: Rule) => fixtureOptions(r.id);

describe.each(engineRules.map((r) => [r.id, r] as const))('%s through the engine', (id, r) => {
  it('reports exactly the expected findings on its failing fixture', () => {
    const { findings } = validatePaths([join(fixtureDir(r), 'fail.yaml')], optionsFor(r));
    expect(foundBy(id, findings)).toEqual([...expected(r)].sort());
  });

  it('passes its passing fixture', () => {
    const { findings } = validatePaths([join(fixtureDir(r), 'pass.yaml')], optionsFor(r));
    expect(findings.filter((f) => f.rule === id)).toEqual([]);
    // The fixtures of the engine's own rules are clean through every engine.
    if (!['rego', 'graph'].includes(r.engine)) {
      expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
    }
  });
});
