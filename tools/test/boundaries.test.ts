// The package-boundary check on small workspaces that keep or break each rule, and on this repository.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkBoundaries } from '../src/boundaries.ts';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

interface Pkg {
  deps?: string[];
  exports?: Record<string, string>;
  files: Record<string, string>;
}

function workspace(packages: Record<string, Pkg>, extra: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'boundaries-'));
  roots.push(root);
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write('package.json', JSON.stringify({ name: 'ws', private: true, workspaces: ['packages/*'] }));
  for (const [dir, pkg] of Object.entries(packages)) {
    const manifest = {
      name: `@x/${dir}`,
      exports: pkg.exports ?? { '.': './src/index.ts' },
      dependencies: Object.fromEntries((pkg.deps ?? []).map((d) => [d, '0.0.0'])),
    };
    write(`packages/${dir}/package.json`, JSON.stringify(manifest));
    for (const [file, text] of Object.entries(pkg.files)) write(`packages/${dir}/${file}`, text);
  }
  for (const [file, text] of Object.entries(extra)) write(file, text);
  return root;
}

const leaf: Pkg = {
  files: { 'src/index.ts': 'export const b = 1;\n', 'src/internal.ts': 'export const i = 2;\n' },
};

describe('package boundaries', () => {
  it('accepts imports by declared name and exported subpath, and relative imports inside a package', () => {
    const root = workspace({
      a: {
        deps: ['@x/b'],
        files: {
          'src/index.ts': "import { b } from '@x/b';\nimport { c } from './c.ts';\nexport const a = b + c;\n",
          'src/c.ts': 'export const c = 3;\n',
          'test/a.test.ts': "import { a } from '../src/index.ts';\nimport type { b } from '@x/b';\n",
        },
      },
      b: leaf,
    });
    expect(checkBoundaries(root)).toEqual([]);
  });

  it('refuses a relative import into another package, naming the package to import instead', () => {
    const root = workspace({
      a: { deps: ['@x/b'], files: { 'src/index.ts': "\nimport { b } from '../../b/src/index.ts';\n" } },
      b: leaf,
    });
    expect(checkBoundaries(root)).toEqual([
      {
        where: 'packages/a/src/index.ts:2',
        message: expect.stringMatching(/reaches into packages\/b by path: import '@x\/b'/),
      },
    ]);
  });

  it('refuses a relative import that leaves the workspace packages', () => {
    const root = workspace(
      { a: { files: { 'test/a.test.ts': "export * from '../../../shared/util.ts';\n" } } },
      { 'shared/util.ts': 'export const u = 1;\n' },
    );
    const problems = checkBoundaries(root);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/leaves packages\/a/);
  });

  it('refuses a package imported by name but not declared, also through a dynamic import', () => {
    const root = workspace({
      a: { files: { 'src/index.ts': "export const load = () => import('@x/b');\n" } },
      b: leaf,
    });
    expect(checkBoundaries(root).map((p) => p.message)).toEqual([
      expect.stringMatching(/@x\/b is not a dependency of @x\/a; add it to packages\/a\/package.json/),
    ]);
  });

  it('refuses a subpath the target package does not export', () => {
    const root = workspace({
      a: { deps: ['@x/b'], files: { 'src/index.ts': "import { i } from '@x/b/src/internal.ts';\n" } },
      b: leaf,
    });
    expect(checkBoundaries(root).map((p) => p.message)).toEqual([
      expect.stringMatching(/does not export "\.\/src\/internal\.ts" \(exports: \.\)/),
    ]);
  });

  it('refuses a dependency cycle between packages, once per cycle', () => {
    const root = workspace({
      a: { deps: ['@x/b'], files: { 'src/index.ts': 'export const a = 1;\n' } },
      b: { deps: ['@x/c'], files: { 'src/index.ts': 'export const b = 1;\n' } },
      c: { deps: ['@x/a'], files: { 'src/index.ts': 'export const c = 1;\n' } },
    });
    expect(checkBoundaries(root).map((p) => p.message)).toEqual([
      expect.stringMatching(/^dependency cycle @x\/a -> @x\/b -> @x\/c -> @x\/a:/),
    ]);
  });

  it('holds for this repository', () => {
    expect(checkBoundaries(join(import.meta.dirname, '..', '..'))).toEqual([]);
  });
});
