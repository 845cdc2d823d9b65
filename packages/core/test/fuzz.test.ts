// Property-based tests of the env config loader and of generate: any env.json text gives a config or an
// EnvConfigError that names the file, never another exception; generate with a bad env.json writes
// nothing. A fixed seed in `npm test`; `npm run fuzz` runs more cases with a random seed (FUZZ_SEED=<seed>
// reproduces a run).
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { EnvConfigError, parseEnvConfig } from '../src/env-config.ts';
import { envConfigPath } from '../src/environments.ts';
import { generate, repoRoot, subtrees } from '../src/generate.ts';

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261128;
const scale = Number(process.env.FUZZ_SCALE ?? 1);
const runs = (n: number) => ({ seed, numRuns: Math.round(n * scale) });

const devText = readFileSync(envConfigPath('dev', repoRoot), 'utf8');
const dev = JSON.parse(devText);
const tried: Record<string, number> = {};
afterAll(() => console.log(`fuzz (seed ${seed}): ${JSON.stringify(tried)}`));

const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(fc.string({ maxLength: 12 }), tie('value'), { maxKeys: 4 }),
})).value;

function paths(value: unknown, prefix: string[] = []): string[][] {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
}
const devPaths = paths(dev);

/** The committed dev config with one field deleted, retyped or added. */
const mutatedConfig = fc
  .record({ pick: fc.nat(), kind: fc.constantFrom('delete', 'retype', 'add'), value: json, key: fc.string() })
  .map(({ pick, kind, value, key }) => {
    const copy = structuredClone(dev);
    const path = devPaths[pick % devPaths.length] as string[];
    let parent = copy;
    for (const k of path.slice(0, -1)) parent = parent[k];
    const last = path.at(-1) as string;
    if (kind === 'delete') delete parent[last];
    else if (kind === 'retype') parent[last] = value;
    else parent[key] = value;
    return JSON.stringify(copy);
  });

/** Loads a text; the only allowed failure is an EnvConfigError naming the file. */
function loadOrRefuse(text: string): 'loaded' | 'refused' {
  try {
    parseEnvConfig('overlays/dev/env.json', text, 'dev');
    return 'loaded';
  } catch (error) {
    expect(error).toBeInstanceOf(EnvConfigError);
    expect((error as EnvConfigError).message).toMatch(
      /^overlays\/dev\/env\.json: invalid environment config\n {2}- /,
    );
    return 'refused';
  }
}

describe('the env config loader', () => {
  it('gives a config or an EnvConfigError on any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 300 }),
          json.map((v) => JSON.stringify(v)),
        ),
        (text) => {
          tried['loader: random text'] = (tried['loader: random text'] ?? 0) + 1;
          loadOrRefuse(text);
        },
      ),
      runs(3000),
    );
  });

  it('gives a config or an EnvConfigError on the committed config with one field changed', () => {
    fc.assert(
      fc.property(mutatedConfig, (text) => {
        tried['loader: mutated configs'] = (tried['loader: mutated configs'] ?? 0) + 1;
        loadOrRefuse(text);
      }),
      runs(3000),
    );
  });
});

describe('generate', () => {
  const root = mkdtempSync(join(tmpdir(), 'fuzz-generate-'));
  cpSync(join(repoRoot, 'overlays'), join(root, 'overlays'), { recursive: true });
  const out = join(root, 'generated');
  // Only dev's config is mutated: the fixed subtrees and dev's overlay are what it can change.
  const manifests = subtrees(root).filter((s) => ['base', 'components', 'dev'].includes(s));
  generate({ out, only: manifests, check: false, root });
  const snapshot = () =>
    readdirSync(out, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => `${join(e.parentPath, e.name)}\0${readFileSync(join(e.parentPath, e.name), 'utf8')}`)
      .sort()
      .join('\n');
  const before = snapshot();
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('with a mutated env.json either writes a complete tree or refuses and writes nothing', () => {
    fc.assert(
      fc.property(mutatedConfig, (text) => {
        tried['generate: mutated configs'] = (tried['generate: mutated configs'] ?? 0) + 1;
        writeFileSync(envConfigPath('dev', root), text);
        try {
          generate({ out, only: manifests, check: false, root });
          expect(generate({ out, only: manifests, check: true, root })).toEqual([]);
        } catch (error) {
          expect(error).toBeInstanceOf(EnvConfigError);
          expect(snapshot()).toBe(before);
        } finally {
          writeFileSync(envConfigPath('dev', root), devText);
          generate({ out, only: manifests, check: false, root });
        }
      }),
      runs(60),
    );
  });
});
