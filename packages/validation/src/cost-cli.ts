// The `cost-report` command: one table per overlay (text or Markdown), from what kustomize renders and the
// CostModel beside the overlay. The `cost` target of every environment runs it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { costReport, formatCost, loadCostModel } from './cost.ts';
import { loadPaths } from './inputs.ts';

const usage = 'usage: cost-report OVERLAY-DIR... [--format text|markdown]';

export function main(
  argv: string[],
  io: { out: (s: string) => void; err: (s: string) => void } = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  },
): number {
  let parsed: ReturnType<
    typeof parseArgs<{ options: { format: { type: 'string'; default: string } }; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { format: { type: 'string', default: 'text' } },
    });
  } catch (error) {
    io.err(`cost-report: ${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const format = values.format;
  if (positionals.length === 0 || (format !== 'text' && format !== 'markdown')) {
    io.err(
      `cost-report: ${positionals.length === 0 ? 'no OVERLAY-DIR given' : '--format must be text or markdown'}\n${usage}\n`,
    );
    return 2;
  }
  for (const dir of positionals) {
    const file = join(dir, 'cost-model.yaml');
    if (!existsSync(file)) {
      io.err(`cost-report: ${file} does not exist: generate the overlay (nx run <env>:generate) first\n`);
      return 2;
    }
  }
  try {
    for (const dir of positionals) {
      const loaded = loadPaths([dir]);
      io.out(`${formatCost(costReport(loaded.docs, loadCostModel(join(dir, 'cost-model.yaml'))), format)}\n`);
    }
  } catch (error) {
    io.err(`cost-report: ${(error as Error).message}\n`);
    return 2;
  }
  return 0;
}
