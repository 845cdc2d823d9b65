// The soak's bookkeeping with a stand-in runner: every run is counted, a failure is reported with its
// run number and its output kept, and the slowest run is named.
import { describe, expect, it } from 'vitest';
import { nxArgs, type RunResult, soak, summary } from '../src/soak.ts';

describe('soak', () => {
  it('counts runs and failures, keeps a failed run output, names the slowest run', () => {
    const results: RunResult[] = [
      { ok: true, seconds: 2, output: 'a' },
      { ok: false, seconds: 5, output: 'boom' },
      { ok: true, seconds: 3, output: 'c' },
    ];
    const kept: [number, string][] = [];
    const lines: string[] = [];
    const report = soak(
      ['x'],
      3,
      () => results.shift() as RunResult,
      (l) => lines.push(l),
      (i, o) => kept.push([i, o]),
    );
    expect(report).toEqual({ runs: 3, failures: [2], seconds: [2, 5, 3] });
    expect(kept).toEqual([[2, 'boom']]);
    expect(lines[1]).toBe('soak: run 2/3 FAILED in 5.0s');
    expect(summary(['x'], report)).toBe(
      'soak x: 3 runs, 1 failures (runs 2), slowest 5.0s (run 2), median 3.0s',
    );
  });

  it('runs a project target with nx run and a bare target with nx run-many, never from the cache', () => {
    expect(nxArgs('validation:test-server')).toEqual([
      'run',
      'validation:test-server',
      '--skip-nx-cache',
      '--outputStyle=static',
    ]);
    expect(nxArgs('validate-server')).toEqual([
      'run-many',
      '-t',
      'validate-server',
      '--skip-nx-cache',
      '--outputStyle=static',
    ]);
  });
});
