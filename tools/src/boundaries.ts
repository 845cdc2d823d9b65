// Package boundaries of the workspace: a source file imports another workspace package only by its
// name, only a name its package.json declares, only a subpath that package exports, and the packages'
// dependencies form no cycle. `lint` of the tools project runs it; tools/test/boundaries.test.ts proves
// each check on a small workspace that breaks it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export interface WorkspacePackage {
  name: string;
  /** Directory relative to the workspace root, e.g. packages/core. */
  dir: string;
  dependencies: Set<string>;
  exports: Set<string>;
}

export interface BoundaryProblem {
  /** File and line (`path:line`), or the package.json that declares a cycle. */
  where: string;
  message: string;
}

const sourceFile = /\.(ts|mts|js|mjs)$/;
const skippedDirs = new Set(['node_modules', 'fixtures', '.tools', '.nx', 'dist']);

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** Expands the root package.json `workspaces` entries (a literal path or `dir/*`). */
export function workspacePackages(root: string): WorkspacePackage[] {
  const patterns = (readJson(join(root, 'package.json')).workspaces ?? []) as string[];
  const dirs = patterns.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [pattern];
    const parent = pattern.slice(0, -2);
    if (!existsSync(join(root, parent))) return [];
    return readdirSync(join(root, parent), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `${parent}/${e.name}`);
  });
  return dirs
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .sort()
    .map((dir) => {
      const manifest = readJson(join(root, dir, 'package.json'));
      const deps = {
        ...(manifest.dependencies as object | undefined),
        ...(manifest.devDependencies as object | undefined),
      };
      const exported = manifest.exports;
      const exports =
        typeof exported === 'string'
          ? ['.']
          : exported && typeof exported === 'object'
            ? Object.keys(exported)
            : [];
      return {
        name: String(manifest.name),
        dir,
        dependencies: new Set(Object.keys(deps)),
        exports: new Set(exports),
      };
    });
}

function sourcesOf(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return skippedDirs.has(entry.name) ? [] : sourcesOf(path);
      return sourceFile.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
    });
}

/** The workspace package a bare specifier names, and the subpath (`.` or `./x`) it asks for. */
function splitSpecifier(
  specifier: string,
  names: Set<string>,
): { name: string; subpath: string } | undefined {
  for (const name of names) {
    if (specifier === name) return { name, subpath: '.' };
    if (specifier.startsWith(`${name}/`)) return { name, subpath: `.${specifier.slice(name.length)}` };
  }
  return undefined;
}

function lineOf(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function importProblems(root: string, pkg: WorkspacePackage, byName: Map<string, WorkspacePackage>) {
  const problems: BoundaryProblem[] = [];
  const names = new Set(byName.keys());
  const pkgRoot = resolve(root, pkg.dir);
  for (const file of sourcesOf(pkgRoot)) {
    const text = readFileSync(file, 'utf8');
    const rel = relative(root, file);
    for (const { fileName: specifier, pos } of ts.preProcessFile(text, true, true).importedFiles) {
      const where = `${rel}:${lineOf(text, pos)}`;
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        if (target === pkgRoot || target.startsWith(pkgRoot + sep)) continue;
        const owner = [...byName.values()].find((p) => {
          const dir = resolve(root, p.dir);
          return target === dir || target.startsWith(dir + sep);
        });
        problems.push({
          where,
          message: owner
            ? `import '${specifier}' reaches into ${owner.dir} by path: import '${owner.name}' and declare it in ${pkg.dir}/package.json`
            : `import '${specifier}' leaves ${pkg.dir}: move the code into a workspace package and import it by name`,
        });
        continue;
      }
      const named = splitSpecifier(specifier, names);
      if (!named || named.name === pkg.name) continue;
      const target = byName.get(named.name) as WorkspacePackage;
      if (!pkg.dependencies.has(named.name)) {
        problems.push({
          where,
          message: `import '${specifier}': ${named.name} is not a dependency of ${pkg.name}; add it to ${pkg.dir}/package.json`,
        });
      }
      if (!target.exports.has(named.subpath)) {
        problems.push({
          where,
          message: `import '${specifier}': ${named.name} does not export "${named.subpath}" (exports: ${[...target.exports].join(', ') || 'none'}); import one of its exports`,
        });
      }
    }
  }
  return problems;
}

/** Every cycle among the workspace packages' declared dependencies, each reported once. */
function cycleProblems(packages: WorkspacePackage[]): BoundaryProblem[] {
  const byName = new Map(packages.map((p) => [p.name, p]));
  const edges = (p: WorkspacePackage) => [...p.dependencies].filter((d) => byName.has(d)).sort();
  const problems: BoundaryProblem[] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string) => {
    state.set(name, 'open');
    stack.push(name);
    for (const next of edges(byName.get(name) as WorkspacePackage)) {
      if (state.get(next) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const key = [...cycle.slice(0, -1)].sort().join(' ');
        if (!seen.has(key)) {
          seen.add(key);
          problems.push({
            where: `${byName.get(next)?.dir}/package.json`,
            message: `dependency cycle ${cycle.join(' -> ')}: packages depend on each other in one direction only; move the shared code into one of them or a new package`,
          });
        }
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const p of packages) if (!state.has(p.name)) visit(p.name);
  return problems;
}

export function checkBoundaries(root: string): BoundaryProblem[] {
  const packages = workspacePackages(root);
  const byName = new Map(packages.map((p) => [p.name, p]));
  return [...packages.flatMap((p) => importProblems(root, p, byName)), ...cycleProblems(packages)];
}

if (import.meta.main) {
  const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..', '..'));
  const problems = checkBoundaries(root);
  for (const p of problems) console.error(`${p.where}: ${p.message}`);
  if (problems.length > 0) {
    console.error(`boundaries: ${problems.length} problem(s)`);
    process.exit(1);
  }
  console.log(`boundaries: ${workspacePackages(root).length} packages, no import crosses a package by path`);
}
