// Fault injection: generate killed with SIGKILL at points spread over a whole run, two runs at once, write
// errors (full disk, no permission, a file in the way) injected at every write, a failing swap. Each
// output ends old or new, never a mix; errors name the path and the fix and change nothing.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  observedIo,
  recoverInterrupted,
  WriteError,
  type WriteIo,
  withLock,
  writeOutputs,
} from '../src/atomic-write.ts';
import { generate, repoRoot, subtrees } from '../src/generate.ts';

const bin = join(repoRoot, 'packages', 'core', 'src', 'bin', 'generate.ts');
// The fixed subtrees and one environment: every kind of output (a base, the components, an overlay) and
// every kind of step, at a third of the cost of every environment (each point is a whole run).
const manifests = subtrees().filter((s) => ['base', 'components', 'dev'].includes(s));
let work: string;
let out: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'atomic-'));
  out = join(work, 'generated');
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Every file below `dir` (dot-entries included) with its content. */
function snapshot(dir: string): Record<string, string> {
  if (!fs.existsSync(dir)) return {};
  return Object.fromEntries(
    (readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
      .filter((e) => e.isFile())
      .map((e) => [
        join(e.parentPath, e.name).slice(dir.length),
        readFileSync(join(e.parentPath, e.name), 'utf8'),
      ]),
  );
}

/** The directories each run replaces as a whole. */
const outputDirs = () => [
  join(out, 'base', 'neural-engine'),
  join(out, 'components'),
  ...manifests.filter((s) => !['base', 'components'].includes(s)).map((env) => join(out, 'overlays', env)),
];

/** Generates the current tree, then turns it into an "old" one that differs in every file and has a stale one. */
function oldAndNew(): { old: Record<string, string>[]; fresh: Record<string, string>[] } {
  generate({ out, only: manifests, check: false });
  const fresh = outputDirs().map(snapshot);
  for (const dir of outputDirs()) {
    for (const [path, content] of Object.entries(snapshot(dir)))
      writeFileSync(join(dir, path), `${content}# old\n`);
    writeFileSync(join(dir, 'stale.yaml'), '# old\n');
  }
  return { old: outputDirs().map(snapshot), fresh };
}

function run(): Promise<{ code: number | null; signal: string | null; stderr: string; ms: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, args(), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr, ms: performance.now() - started })),
  );
}

/** Puts the old tree back in every output directory. */
function restore(old: Record<string, string>[]): void {
  for (const [j, dir] of outputDirs().entries()) {
    rmSync(dir, { recursive: true, force: true });
    for (const [path, content] of Object.entries(old[j] ?? {})) {
      fs.mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
  }
}

/** After a killed run and the recovery the next run does first: every output old or new, nothing left over. */
function expectOldOrNew(old: Record<string, string>[], fresh: Record<string, string>[], what: string) {
  const outcome = { old: 0, new: 0, restored: 0 };
  for (const [j, dir] of outputDirs().entries()) {
    if (recoverInterrupted(dir).some((line) => line.startsWith('restored'))) outcome.restored++;
    const now = JSON.stringify(snapshot(dir));
    const isOld = now === JSON.stringify(old[j]);
    const isNew = now === JSON.stringify(fresh[j]);
    expect(isOld || isNew, `${what}: ${dir} is a mix`).toBe(true);
    outcome[isOld ? 'old' : 'new']++;
  }
  const leftovers = readdirSync(out, { recursive: true }).filter((p) =>
    /\.(staging|previous)-\d+/.test(String(p)),
  );
  expect(leftovers, what).toEqual([]);
  return outcome;
}

const args = () => [bin, '--out', out, ...manifests.flatMap((s) => ['--only', s])];

describe('generate killed with SIGKILL', () => {
  it('at every kind of step of a write (staging, each rename of the swap, cleanup): each output old or new', async () => {
    const { old, fresh } = oldAndNew();
    restore(old);
    // Count the file system calls of one write, and where its renames are.
    const calls: string[] = [];
    const counting = observedIo((op) => calls.push(op.replace('Sync', '').replace('writeFile', 'write')));
    generate({ out, only: manifests, check: false, io: counting });
    const swapSteps = calls.flatMap((op, i) =>
      op === 'rename' || (op === 'rm' && i > calls.indexOf('rename')) ? [i + 1] : [],
    );
    const stagingSteps = Array.from(
      { length: 12 },
      (_, k) => 1 + Math.floor((k * calls.indexOf('rename')) / 12),
    );
    const points = [...new Set([...stagingSteps, ...swapSteps, calls.length])].sort((a, b) => a - b);
    const totals = { old: 0, new: 0, restored: 0 };
    for (const at of points) {
      restore(old);
      const child = spawn(process.execPath, args(), {
        stdio: 'ignore',
        env: { ...process.env, NEURASCALE_GENERATE_FAILPOINT: `kill-at:${at}` },
      });
      const [, signal] = await new Promise<[number | null, string | null]>((resolve) =>
        child.on('exit', (code, sig) => resolve([code, sig])),
      );
      expect(signal, `kill-at:${at}`).toBe('SIGKILL');
      const outcome = expectOldOrNew(
        old,
        fresh,
        `killed at step ${at} of ${calls.length} (${calls[at - 1]})`,
      );
      for (const k of ['old', 'new', 'restored'] as const) totals[k] += outcome[k];
    }
    console.log(
      `SIGKILL at ${points.length} of ${calls.length} write steps: outputs ${JSON.stringify(totals)}`,
    );
    // The points reach both sides of the swap, and the window between its two renames.
    expect(totals.old).toBeGreaterThan(0);
    expect(totals.new).toBeGreaterThan(0);
    expect(totals.restored).toBeGreaterThan(0);
  }, 300_000);

  it('at moments spread over whole runs: each output old or new', async () => {
    const { old, fresh } = oldAndNew();
    const full = (await run()).ms;
    const trials = 8;
    for (let i = 0; i < trials; i++) {
      restore(old);
      const child = spawn(process.execPath, args(), { stdio: 'ignore' });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      const delay = (full * (i + 0.5)) / trials;
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.kill('SIGKILL');
      await exited;
      expectOldOrNew(old, fresh, `killed after ${delay.toFixed(0)} ms`);
    }
  }, 120_000);
});

describe('two generate runs at once', () => {
  it('both succeed and end with one complete tree', async () => {
    const { fresh } = oldAndNew();
    const [a, b] = await Promise.all([run(), run()]);
    expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, '', '']);
    expect(outputDirs().map(snapshot)).toEqual(fresh);
    expect(fs.existsSync(join(out, '.generate.lock'))).toBe(false);
  });

  it('a lock left by a dead run is taken over', () => {
    fs.mkdirSync(out, { recursive: true });
    writeFileSync(join(out, '.generate.lock'), '999999999');
    expect(withLock(out, () => 'ran')).toBe('ran');
  });
});

/** The real file system, with `fail` thrown by the nth call of one operation. */
function faulty(op: keyof WriteIo, nth: number, code: string): WriteIo {
  let calls = 0;
  return observedIo((called) => {
    if (called === op && ++calls === nth) throw Object.assign(new Error(`${code}: injected`), { code });
  });
}

describe('write errors', () => {
  const outputs = () => [
    {
      kind: 'dir' as const,
      path: join(out, 'a'),
      tree: new Map([
        ['x.yaml', 'new x'],
        ['sub/y.yaml', 'new y'],
      ]),
    },
    { kind: 'file' as const, path: join(out, 'schema.json'), content: 'new schema' },
    { kind: 'dir' as const, path: join(out, 'b'), tree: new Map([['z.yaml', 'new z']]) },
  ];
  const seed = () => {
    writeOutputs([
      { kind: 'dir', path: join(out, 'a'), tree: new Map([['x.yaml', 'old x']]) },
      { kind: 'file', path: join(out, 'schema.json'), content: 'old schema' },
      { kind: 'dir', path: join(out, 'b'), tree: new Map([['z.yaml', 'old z']]) },
    ]);
    return snapshot(out);
  };

  it.each([
    ['ENOSPC', /the disk is full: free some space and run again \(ENOSPC\)\. Nothing was changed\./],
    [
      'EACCES',
      /permission denied: make the directory writable and run again \(EACCES\)\. Nothing was changed\./,
    ],
    ['EROFS', /the file system is read-only/],
  ])(
    '%s at any write while staging: a clear error, nothing changed, nothing left behind',
    (code, message) => {
      const before = seed();
      for (let nth = 1; nth <= 4; nth++) {
        expect(() => writeOutputs(outputs(), faulty('writeFileSync', nth, code))).toThrow(message);
        expect(snapshot(out)).toEqual(before);
      }
    },
  );

  it('a failing swap puts the old tree back and says what was already replaced', () => {
    const before = seed();
    // Renames: a → previous, staging → a, the file, b → previous, staging → b: fail the fourth.
    const error = (() => {
      try {
        writeOutputs(outputs(), faulty('renameSync', 4, 'EXDEV'));
      } catch (e) {
        return e as WriteError;
      }
    })();
    expect(error).toBeInstanceOf(WriteError);
    expect(error?.message).toContain(`Already replaced: ${join(out, 'a')}, ${join(out, 'schema.json')}`);
    const after = snapshot(out);
    expect(after['/b/z.yaml']).toBe(before['/b/z.yaml']);
    expect(Object.keys(after).filter((p) => /staging|previous/.test(p))).toEqual([]);
  });

  it('a file where an output directory must go: the error names it and the fix, and generate writes nothing', () => {
    generate({ out, only: manifests, check: false });
    const before = snapshot(out);
    rmSync(join(out, 'overlays'), { recursive: true });
    writeFileSync(join(out, 'overlays'), 'not a directory');
    expect(() => generate({ out, only: manifests, check: false })).toThrow(
      /cannot write .*overlays\/dev: a file stands where a directory must be: remove it and run again \((ENOTDIR|EEXIST)\)\. Nothing was changed\./,
    );
    const after = snapshot(out);
    expect(Object.fromEntries(Object.entries(after).filter(([p]) => p.startsWith('/base')))).toEqual(
      Object.fromEntries(Object.entries(before).filter(([p]) => p.startsWith('/base'))),
    );
  });
});
