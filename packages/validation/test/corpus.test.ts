// The validator on manifests no one here wrote: install manifests and Kustomize trees that pinned Go modules
// carry (policies/corpus/<name>.json names the module, the version pinned in packages/toolchain/versions.json,
// the path, the namespace it is applied to and every finding expected, by rule, with why it is right). Any
// finding not listed, any listed finding that no longer comes, and any tool or input error fails the test.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { downloadModule, readToolVersions } from '@neurascale/toolchain';
import { describe, expect, it } from 'vitest';
import { policiesDir } from '../src/catalogue.ts';
import { describeObject } from '../src/findings.ts';
import { validatePaths } from '../src/validate.ts';

const corpusDir = join(policiesDir, 'corpus');

interface Entry {
  module: string;
  version: string;
  path: string;
  namespace: string;
  why: string;
  expected: Record<string, { why: string; findings: string[] }>;
}

const entries = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map(
    (f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(corpusDir, f), 'utf8')) as Entry] as const,
  );

const pinned = new Set(readToolVersions().crds.map((c) => `${c.module}@${c.version}`));

describe.each(entries)('upstream input %s', (name, entry) => {
  it('comes from a module version the toolchain pins', () => {
    expect(pinned.has(`${entry.module}@${entry.version}`), `${entry.module}@${entry.version}`).toBe(true);
    expect(entry.why.length).toBeGreaterThan(10);
    for (const [rule, e] of Object.entries(entry.expected)) {
      expect(e.why.length, `${rule}: why`).toBeGreaterThan(20);
      expect(e.findings.length, `${rule}: findings`).toBeGreaterThan(0);
    }
  });

  it('validates without a tool or input error, with exactly the expected findings', () => {
    const input = join(downloadModule(entry.module, entry.version), entry.path);
    const provided = join(corpusDir, `${name}.provided.yaml`);
    const result = validatePaths([input], {
      namespace: entry.namespace,
      ...(existsSync(provided) ? { provided: [provided] } : {}),
    });
    const found: Record<string, string[]> = {};
    for (const f of result.findings) {
      const key = `${describeObject(f.object)}${f.field ? ` ${f.field}` : ''}`;
      found[f.rule] = [...new Set([...(found[f.rule] ?? []), key])].sort();
    }
    const expected = Object.fromEntries(
      Object.entries(entry.expected).map(([r, e]) => [r, [...e.findings].sort()]),
    );
    console.log(
      `${name} (${entry.module}@${entry.version} ${entry.path}): ${result.objects} objects; ${
        Object.entries(found)
          .map(([r, keys]) => `${r} ${keys.length}`)
          .join(', ') || 'no findings'
      }`,
    );
    expect(result.objects).toBeGreaterThan(0);
    expect(found).toEqual(expected);
  }, 120_000);
});
