// Property-based tests: whatever a user feeds it, the validator ends with findings (exit 0 or 1), never a
// tool error, a stack trace, a hang or unbounded memory. Inputs are random YAML text and the real rendered
// objects mutated (fields deleted, retyped, duplicated, nested deeply, huge strings, odd Unicode, anchors
// and aliases, alias bombs). A fixed seed in `npm test`; `npm run fuzz` runs more cases with a random seed
// and prints it (FUZZ_SEED=<seed> reproduces a run).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@neurascale/toolchain';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { rules } from '../src/catalogue.ts';
import { main } from '../src/cli.ts';
import { type Json, parseDocuments } from '../src/inputs.ts';
import { kustomizeBuild } from '../src/kustomize.ts';
import { validateText } from '../src/validate.ts';

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261128;
const scale = Number(process.env.FUZZ_SCALE ?? 1);
const runs = (n: number) => ({ seed, numRuns: Math.round(n * scale) });
if (process.env.FUZZ_SEED) console.log(`fuzz: seed ${seed}, scale ${scale}`);

const catalogued = new Set(rules().keys());
const rendered = parseDocuments(
  kustomizeBuild(join(repoRoot, 'generated', 'overlays', 'dev')),
  'dev',
).docs.map((d) => d.object);
/** Documents tried per property, for the closing count. */
const tried: Record<string, number> = {};
const count = (name: string, n = 1) => {
  tried[name] = (tried[name] ?? 0) + n;
};
afterAll(() => {
  const total = Object.values(tried).reduce((a, b) => a + b, 0);
  console.log(`fuzz (seed ${seed}): ${total} documents: ${JSON.stringify(tried)}`);
});

// --- Generators -------------------------------------------------------------------------------------

const oddText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '\u0000',
    '\u007F',
    '\u0085',
    '\u2028',
    '\uFFFF',
    '\uFEFF',
    '\u202E',
    '\uD800',
    '💥',
    'ǅ',
    '\r\n',
    '~',
    'null',
    'yes',
    '0x1F',
    '.inf',
  ),
);
const scalar = fc.oneof(oddText, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(oddText, tie('value'), { maxKeys: 4 }),
})).value;

/** Every path to a value inside an object (keys and indexes). */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...paths(v, [...prefix, i])]);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
  }
  return [];
}

function edit(
  object: Json,
  path: (string | number)[],
  change: (parent: any, key: string | number) => void,
): Json {
  const copy = structuredClone(object);
  let parent: any = copy;
  for (const key of path.slice(0, -1)) parent = parent[key];
  change(parent, path.at(-1) as string | number);
  return copy;
}

const nested = (depth: number, leaf: unknown): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { k: value };
  return value;
};

/** A rendered object with one mutation applied. */
const mutated: fc.Arbitrary<Json> = fc
  .record({
    object: fc.constantFrom(...rendered),
    pick: fc.nat(),
    kind: fc.constantFrom('delete', 'retype', 'nest', 'huge', 'unicode', 'duplicate-item'),
    value: json,
    depth: fc.integer({ min: 10, max: 400 }),
    text: oddText,
  })
  .map(({ object, pick, kind, value, depth, text }) => {
    const all = paths(object);
    const path = all[pick % all.length] as (string | number)[];
    return edit(object, path, (parent, key) => {
      if (kind === 'delete') {
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key];
      } else if (kind === 'retype') parent[key] = value;
      else if (kind === 'nest') parent[key] = nested(depth, value);
      else if (kind === 'huge') parent[key] = text.repeat(1 + Math.floor(200_000 / Math.max(1, text.length)));
      else if (kind === 'unicode') parent[key] = `${text}${String(parent[key])}${text}`;
      else if (Array.isArray(parent)) parent.push(structuredClone(parent[Number(key)]));
      else parent[`${String(key)}-copy`] = structuredClone(parent[key]);
    });
  });

/** YAML text of a rendered object with a key written twice, anchors and aliases, or an alias bomb. */
const yamlTricks = fc
  .record({
    object: fc.constantFrom(...rendered),
    trick: fc.constantFrom('duplicate-key', 'anchors', 'bomb'),
  })
  .map(({ object, trick }) => {
    const text = stringify(object);
    if (trick === 'duplicate-key') return text.replace(/^kind: (.*)$/m, 'kind: $1\nkind: $1');
    if (trick === 'anchors') return `${text}extra: &a {x: [1, 2]}\nmore: *a\n`;
    const level = (n: number, prev: string) => `l${n}: &l${n} [${Array(9).fill(`*${prev}`).join(', ')}]`;
    return `a: &a [x, x, x, x, x, x, x, x, x]\n${[1, 2, 3, 4, 5, 6].map((n) => level(n, n === 1 ? 'a' : `l${n - 1}`)).join('\n')}\n`;
  });

// --- Properties -------------------------------------------------------------------------------------

/** The outcome every input must have: catalogued findings, nothing thrown. */
function expectVerdict(text: string): void {
  const result = validateText(text, 'fuzz.yaml');
  for (const f of result.findings) {
    expect(catalogued.has(f.rule), f.rule).toBe(true);
    expect(typeof f.message).toBe('string');
  }
}

describe('the loader never throws', () => {
  it('on random text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 400 }),
          json.map((v) => stringify(v)),
        ),
        (text) => {
          count('loader: random text');
          const { findings } = parseDocuments(text, 'fuzz.yaml');
          for (const f of findings) expect(catalogued.has(f.rule)).toBe(true);
        },
      ),
      runs(3000),
    );
  });
});

describe('the whole engine (schemas, Pod Security, Rego, graph) ends with findings', () => {
  // The engine runs kubeconform and conftest once per call, so documents go through it in batches.
  it('on batches of mutated rendered objects', () => {
    fc.assert(
      fc.property(fc.array(mutated, { minLength: 30, maxLength: 30 }), (objects) => {
        count('engine: mutated objects', objects.length);
        expectVerdict(objects.map((o) => stringify(o)).join('---\n'));
      }),
      runs(20),
    );
  });

  it('on YAML tricks: duplicate keys, anchors and aliases, alias bombs', () => {
    fc.assert(
      fc.property(fc.array(yamlTricks, { minLength: 10, maxLength: 10 }), (texts) => {
        count('engine: YAML tricks', texts.length);
        expectVerdict(texts.join('---\n'));
      }),
      runs(20),
    );
  });

  it('on random JSON values as documents', () => {
    fc.assert(
      fc.property(fc.array(json, { minLength: 20, maxLength: 20 }), (values) => {
        count('engine: random values', values.length);
        expectVerdict(values.map((v) => stringify(v)).join('---\n'));
      }),
      runs(20),
    );
  });
});

describe('the CLI exits 0 or 1 on any file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fuzz-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('whatever bytes the file holds', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 2000 }),
          mutated.map((o) => Buffer.from(stringify(o))),
        ),
        (bytes) => {
          count('cli: files');
          const file = join(dir, 'input.yaml');
          writeFileSync(file, bytes);
          let err = '';
          const code = main([file], { out: () => {}, err: (s) => (err += s) });
          expect([0, 1], err).toContain(code);
        },
      ),
      runs(60),
    );
  });
});

describe('memory stays bounded', () => {
  it('under 1 GiB resident after every property above', () => {
    expect(process.memoryUsage().rss).toBeLessThan(1024 ** 3);
  });
});
