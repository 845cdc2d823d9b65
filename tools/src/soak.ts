// Soak: runs Nx targets N times in a row, uncached, and reports runs, failures and the slowest run, so a
// flake shows up as a number instead of a red CI once in a while. 0 failures is the bar.
//
//   npm run soak -- [--runs N] [TARGET...]
//
// TARGET is `target` (every project that has it, `nx run-many -t target`) or `project:target`. Default:
// the server tier on every environment (`validate-server`) and on the rule fixtures and known-bad objects
// (`validation:test-server`). A failed run's output is kept in reports/soak/.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export const defaultTargets = ['validate-server', 'validation:test-server'];

export interface RunResult {
  ok: boolean;
  seconds: number;
  output: string;
}

export interface SoakReport {
  runs: number;
  failures: number[];
  seconds: number[];
}

/** The nx command line for one target. */
export function nxArgs(target: string): string[] {
  const flags = ['--skip-nx-cache', '--outputStyle=static'];
  return target.includes(':') ? ['run', target, ...flags] : ['run-many', '-t', target, ...flags];
}

function runNx(targets: string[]): RunResult {
  const started = performance.now();
  let output = '';
  let ok = true;
  for (const target of targets) {
    const result = spawnSync('nx', nxArgs(target), { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    output += `$ nx ${nxArgs(target).join(' ')}\n${result.stdout}${result.stderr}`;
    if (result.status !== 0) {
      ok = false;
      break;
    }
  }
  return { ok, seconds: (performance.now() - started) / 1000, output };
}

export function soak(
  targets: string[],
  runs: number,
  run: (targets: string[]) => RunResult = runNx,
  log: (line: string) => void = console.log,
  keep: (index: number, output: string) => void = () => {},
): SoakReport {
  const report: SoakReport = { runs, failures: [], seconds: [] };
  for (let i = 1; i <= runs; i++) {
    const result = run(targets);
    report.seconds.push(result.seconds);
    if (!result.ok) {
      report.failures.push(i);
      keep(i, result.output);
    }
    log(`soak: run ${i}/${runs} ${result.ok ? 'ok' : 'FAILED'} in ${result.seconds.toFixed(1)}s`);
  }
  return report;
}

export function summary(targets: string[], report: SoakReport): string {
  const slowest = Math.max(...report.seconds);
  const sorted = [...report.seconds].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const failed = report.failures.length > 0 ? ` (runs ${report.failures.join(', ')})` : '';
  return (
    `soak ${targets.join(' + ')}: ${report.runs} runs, ${report.failures.length} failures${failed}, ` +
    `slowest ${slowest.toFixed(1)}s (run ${report.seconds.indexOf(slowest) + 1}), median ${median.toFixed(1)}s`
  );
}

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { runs: { type: 'string', default: '30' } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`soak: --runs must be a whole number of at least 1, not "${values.runs}"`);
    return 2;
  }
  const targets = positionals.length > 0 ? positionals : defaultTargets;
  const dir = join(import.meta.dirname, '..', '..', 'reports', 'soak');
  const report = soak(targets, runs, runNx, console.log, (index, output) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `run-${index}.log`), output);
    console.log(`soak: run ${index} failed; its output is in reports/soak/run-${index}.log`);
  });
  console.log(summary(targets, report));
  return report.failures.length > 0 ? 1 : 0;
}

if (import.meta.main) process.exit(main(process.argv.slice(2)));
