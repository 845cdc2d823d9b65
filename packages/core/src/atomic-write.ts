// How generate writes: each output directory is written in full beside the old one and then swapped in
// with two renames, so a reader (and a run killed at any point) finds the old tree or the new one, never a
// mix. A run killed between the two renames leaves the old tree complete under `.<name>.previous-<pid>`,
// and the next write puts it back before anything else. Runs are serialised by a lock file, so two at
// once both end with a complete tree. Write errors name the path, the reason and the fix, and leave
// everything as it was.
import * as fs from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { processAlive } from '@neurascale/toolchain';

/** The file system calls a write makes, replaceable by a test that injects faults. */
export interface WriteIo {
  writeFileSync: (path: string, content: string) => void;
  mkdirSync: (path: string, options: { recursive: true }) => unknown;
  renameSync: (from: string, to: string) => void;
  rmSync: (path: string, options: { recursive?: boolean; force: true }) => void;
}

const nodeIo: WriteIo = fs;

/** The real file system, with `before(op)` called ahead of every call (to count, fail or stop there). */
export function observedIo(before: (op: keyof WriteIo) => void): WriteIo {
  return {
    writeFileSync: (p, c) => {
      before('writeFileSync');
      fs.writeFileSync(p, c);
    },
    mkdirSync: (p, o) => {
      before('mkdirSync');
      return fs.mkdirSync(p, o);
    },
    renameSync: (a, b) => {
      before('renameSync');
      fs.renameSync(a, b);
    },
    rmSync: (p, o) => {
      before('rmSync');
      fs.rmSync(p, o);
    },
  };
}

/**
 * The fault-injection point of the fault tests: `kill-at:<n>` makes the n-th file system call of a write
 * (counting mkdir, write, rename and remove) SIGKILL its own process, so a test can stop a real run at every
 * step of staging and of the swap. Anything else (or nothing) is the plain file system.
 */
export function failpointIo(spec: string | undefined): WriteIo {
  const match = /^kill-at:(\d+)$/.exec(spec ?? '');
  if (!match) return nodeIo;
  const at = Number(match[1]);
  let calls = 0;
  return observedIo(() => {
    if (++calls === at) process.kill(process.pid, 'SIGKILL');
  });
}

export class WriteError extends Error {
  readonly code: string | undefined;

  constructor(path: string, cause: unknown, swapped: string[] = []) {
    const code = (cause as NodeJS.ErrnoException).code;
    const fixes: Record<string, string> = {
      ENOSPC: 'the disk is full: free some space and run again',
      EDQUOT: 'the disk quota is used up: free some space and run again',
      EACCES: 'permission denied: make the directory writable and run again',
      EPERM: 'permission denied: make the directory writable and run again',
      EROFS: 'the file system is read-only: generate into a writable checkout',
      ENOTDIR: 'a file stands where a directory must be: remove it and run again',
      // What mkdir -p says when a file is in the way.
      EEXIST: 'a file stands where a directory must be: remove it and run again',
      EISDIR: 'a directory stands where a file must be: remove it and run again',
    };
    const reason = (code && fixes[code]) ?? (cause as Error).message;
    const state =
      swapped.length === 0
        ? 'Nothing was changed.'
        : `Already replaced: ${swapped.join(', ')}; everything else is as it was.`;
    super(`cannot write ${path}: ${reason} (${code ?? 'error'}). ${state}`);
    this.name = 'WriteError';
    this.code = code;
  }
}

const staged = (dir: string, what: 'staging' | 'previous', pid: number) =>
  join(dirname(dir), `.${basename(dir)}.${what}-${pid}`);

/**
 * Finishes what a killed run left beside `dir`: when `dir` is missing and a dead run's previous tree is
 * there, that tree goes back (the old tree); every other leftover of a dead run is removed. Runs that are
 * alive are left alone. Returns what it did, for the log.
 */
export function recoverInterrupted(dir: string, io: WriteIo = nodeIo): string[] {
  const parent = dirname(dir);
  if (!fs.statSync(parent, { throwIfNoEntry: false })?.isDirectory()) return [];
  const done: string[] = [];
  const pattern = new RegExp(
    `^\\.${basename(dir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(staging|previous)-(\\d+)$`,
  );
  const leftovers = fs
    .readdirSync(parent)
    .map((name) => ({ name, match: pattern.exec(name) }))
    .filter(({ match }) => match && !processAlive(Number(match[2])));
  for (const { name, match } of leftovers) {
    const path = join(parent, name);
    if (match?.[1] === 'previous' && !fs.existsSync(dir)) {
      io.renameSync(path, dir);
      done.push(`restored ${relative(process.cwd(), dir) || dir} from an interrupted run`);
    } else {
      io.rmSync(path, { recursive: true, force: true });
      done.push(`removed ${name}, left by an interrupted run`);
    }
  }
  return done;
}

/** One output of a run: a directory replaced as a whole, or a single file. */
export type Output =
  | { kind: 'dir'; path: string; tree: Map<string, string> }
  | { kind: 'file'; path: string; content: string };

const stagingOf = (o: Output) =>
  o.kind === 'dir'
    ? staged(o.path, 'staging', process.pid)
    : join(dirname(o.path), `.${basename(o.path)}.staging-${process.pid}`);

function stage(o: Output, io: WriteIo): void {
  const staging = stagingOf(o);
  io.mkdirSync(dirname(o.path), { recursive: true });
  io.rmSync(staging, { recursive: true, force: true });
  if (o.kind === 'file') {
    io.writeFileSync(staging, o.content);
    return;
  }
  for (const [path, content] of o.tree) {
    const target = join(staging, path);
    io.mkdirSync(dirname(target), { recursive: true });
    io.writeFileSync(target, content);
  }
}

/** Swaps a staged output in: a file with one rename, a directory with two (old tree kept until then). */
function swap(o: Output, io: WriteIo): void {
  const staging = stagingOf(o);
  if (o.kind === 'file') {
    io.renameSync(staging, o.path);
    return;
  }
  const previous = staged(o.path, 'previous', process.pid);
  try {
    if (fs.existsSync(o.path)) io.renameSync(o.path, previous);
    io.renameSync(staging, o.path);
  } catch (error) {
    if (!fs.existsSync(o.path) && fs.existsSync(previous)) io.renameSync(previous, o.path);
    throw error;
  }
  io.rmSync(previous, { recursive: true, force: true });
}

/**
 * Writes every output: first all of them in full beside their targets (a write error there removes what
 * was staged and changes nothing), then each swapped in. A run killed during the swaps leaves every
 * output either old or new.
 */
export function writeOutputs(outputs: readonly Output[], io: WriteIo = nodeIo): void {
  for (const o of outputs) if (o.kind === 'dir') recoverInterrupted(o.path, io);
  let current: Output | undefined;
  const swapped: string[] = [];
  try {
    for (const o of outputs) {
      current = o;
      stage(o, io);
    }
    for (const o of outputs) {
      current = o;
      swap(o, io);
      swapped.push(o.path);
    }
  } catch (error) {
    for (const o of outputs) io.rmSync(stagingOf(o), { recursive: true, force: true });
    throw new WriteError(current?.path ?? '', error, swapped);
  }
}

const sleepBuffer = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `fn` holding `<dir>/.generate.lock` (created exclusively, holding the owner's pid). Another live run
 * is waited for (up to `timeoutMs`); a lock whose owner is dead is taken over.
 */
export function withLock<T>(dir: string, fn: () => T, timeoutMs = 120_000): T {
  fs.mkdirSync(dir, { recursive: true });
  const lock = join(dir, '.generate.lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new WriteError(lock, error);
    }
    let owner: number;
    let age: number;
    try {
      owner = Number(fs.readFileSync(lock, 'utf8'));
      age = Date.now() - fs.statSync(lock).mtimeMs;
    } catch {
      continue; // released between the two calls: try again at once
    }
    // A lock whose owner is dead is free; so is one left empty (its owner died before writing its pid).
    const dead = Number.isInteger(owner) && owner > 0 ? !processAlive(owner) : age > 5_000;
    if (dead) {
      fs.rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${lock} is held by generate (pid ${owner}) for more than ${timeoutMs / 1000}s: wait for it, or end it`,
      );
    }
    Atomics.wait(sleepBuffer, 0, 0, 50);
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}
