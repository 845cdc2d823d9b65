import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureOptions, fixturePath, fixtureProvided, rules } from '../src/catalogue.ts';
import { ManifestGraph, selectorMatches } from '../src/graph.ts';
import { graphRules, runGraphRules } from '../src/graph-rules/index.ts';
import { parseDocuments } from '../src/inputs.ts';
import { loadProvided } from '../src/provided.ts';

const graphRuleIds = [...rules().values()].filter((r) => r.engine === 'graph').map((r) => r.id);

/** The rule's fixture through every graph rule, with the fixture's ClusterProvides declaration. */
function violations(id: string, kind: 'pass' | 'fail') {
  const file = fixturePath(id, kind);
  const { docs, findings } = parseDocuments(readFileSync(file, 'utf8'), file);
  expect(findings).toEqual([]);
  const { repositories } = fixtureOptions(id);
  return runGraphRules(new ManifestGraph(docs, fixtureProvided(id).flatMap(loadProvided), repositories));
}

describe.each(graphRuleIds)('%s', (id) => {
  it('fails its failing fixture', () => {
    const found = violations(id, 'fail').filter((v) => v.rule === id);
    expect(found.length).toBeGreaterThan(0);
    for (const v of found) expect(v.message.length).toBeGreaterThan(10);
  });

  it('passes its passing fixture', () => {
    expect(violations(id, 'pass').filter((v) => v.rule === id)).toEqual([]);
  });
});

describe('graph rule modules', () => {
  it('are one per catalogued graph rule, each in a file named after its id', () => {
    expect(graphRules.map((r) => r.id).sort()).toEqual([...graphRuleIds].sort());
    const files = readdirSync(join(import.meta.dirname, '..', 'src', 'graph-rules'))
      .filter((f) => !['index.ts', 'rule.ts'].includes(f))
      .map((f) => f.replace(/\.ts$/, ''));
    expect(files.sort()).toEqual([...graphRuleIds].sort());
  });

  it('receive their catalogued parameters', () => {
    const seen: unknown[] = [];
    const probe = {
      id: 'spread-missing',
      kinds: ['*'],
      check: (_: unknown, p: unknown) => {
        seen.push(p);
        return [];
      },
    };
    runGraphRules(new ManifestGraph([]), [probe]);
    expect(seen).toEqual([{ minReplicas: 2 }]);
  });
});

describe('the kinds each graph rule declares', () => {
  it.each(graphRules.map((r) => [r.id, r] as const))(
    '%s needs no other kind to find what it finds',
    (id, r) => {
      const file = fixturePath(id, 'fail');
      const { docs } = parseDocuments(readFileSync(file, 'utf8'), file);
      const declared = r.kinds.includes('*') ? docs : docs.filter((d) => r.kinds.includes(d.ref.kind ?? ''));
      const provided = fixtureProvided(id).flatMap(loadProvided);
      const { repositories } = fixtureOptions(id);
      const all = runGraphRules(new ManifestGraph(docs, provided, repositories), [r]);
      expect(all.length).toBeGreaterThan(0);
      expect(runGraphRules(new ManifestGraph(declared, provided, repositories), [r])).toEqual(all);
    },
  );
});

describe('graph rule fixtures', () => {
  it('exist for every graph rule of the catalogue, and no rule emits an uncatalogued id', () => {
    for (const id of graphRuleIds) {
      expect(existsSync(fixturePath(id, 'fail')), id).toBe(true);
      expect(existsSync(fixturePath(id, 'pass')), id).toBe(true);
    }
    const emitted = new Set(graphRuleIds.flatMap((id) => violations(id, 'fail').map((v) => v.rule)));
    for (const id of emitted) expect(graphRuleIds).toContain(id);
  });

  it('name the field: the spec error of selecting namespaces by a name label', () => {
    const [v] = violations('netpol-namespace-label', 'fail').filter(
      (x) => x.rule === 'netpol-namespace-label',
    );
    expect(v).toMatchObject({
      field: 'spec.ingress[0].from[0].namespaceSelector',
      rule: 'netpol-namespace-label',
    });
    expect(v?.message).toContain('"name"');
  });

  it('reports the minimum replicas of an HPA-scaled workload for a blocking budget', () => {
    const found = violations('pdb-min-available-blocks', 'fail');
    const pdb = found.filter((v) => v.rule === 'pdb-min-available-blocks');
    expect(pdb.map((v) => v.message)).toEqual([
      'minAvailable 3 is at or above the 3 replica(s) of Deployment app/web: no eviction is ever allowed',
      'minAvailable 100% never allows an eviction',
      // spec.replicas says 5, but the HPA may scale it down to its minReplicas 2.
      'minAvailable 3 is at or above the 2 replica(s) of Deployment app/api: no eviction is ever allowed',
    ]);
  });
});

describe('selectorMatches', () => {
  const labels = { app: 'web', tier: 'front' };
  it.each([
    [{ matchLabels: { app: 'web' } }, true],
    [{ matchLabels: { app: 'api' } }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, true],
  ])('%j → %s', (selector, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });
});

describe('docs/policies.md', () => {
  it('is generated from the catalogue and up to date', async () => {
    const { policyDocsFile, renderPolicyDocs } = await import('../src/policy-docs.ts');
    expect(readFileSync(policyDocsFile, 'utf8')).toBe(renderPolicyDocs());
  });
});
