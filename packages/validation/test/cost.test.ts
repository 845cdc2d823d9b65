// The cost view: quantities, the arithmetic on a known set, the CostModel check, and the cost-report command.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturesDir } from '../src/catalogue.ts';
import { costReport, formatCost, hoursPerMonth, loadCostModel, overBudget, quantity } from '../src/cost.ts';
import { main } from '../src/cost-cli.ts';
import { loadPaths } from '../src/inputs.ts';

const dir = join(fixturesDir, 'cost-over-budget');
const model = loadCostModel(join(dir, 'cost-model.yaml'));
const scratch = mkdtempSync(join(tmpdir(), 'cost-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('quantities', () => {
  it('reads cores, millicores, binary and decimal bytes, and counts', () => {
    expect(quantity('500m')).toBe(0.5);
    expect(quantity('2')).toBe(2);
    expect(quantity('512Mi')).toBe(512 * 2 ** 20);
    expect(quantity('1G')).toBe(1e9);
    expect(quantity(undefined)).toBe(0);
    expect(quantity('1Pi')).toBe(2 ** 50);
    expect(quantity('1e3')).toBe(1000);
    expect(() => quantity('lots', 'Deployment app/web container web resources.requests.cpu')).toThrow(
      /^Deployment app\/web container web resources\.requests\.cpu: "lots" is not a Kubernetes quantity/,
    );
  });
});

describe('the cost of a set', () => {
  it('prices requests x replicas (the HPA minimum and maximum), claims and the fixed items', () => {
    const report = costReport(loadPaths([join(dir, 'pass.yaml')]).docs, model);
    const web = report.workloads[0];
    expect(web?.replicas).toEqual({ min: 2, max: 10 });
    const perReplica = (0.5 * 0.05 + 0.5 * 0.005) * hoursPerMonth;
    expect(web?.monthlyUsd.min).toBeCloseTo(2 * perReplica, 2);
    expect(web?.monthlyUsd.max).toBeCloseTo(10 * perReplica, 2);
    expect(report.claimsGiB).toBe(10);
    expect(report.total.min).toBeCloseTo(2 * perReplica + 10 * 0.1 + 20, 2);
    expect(overBudget(report)).toBeUndefined();
  });

  it('counts GPUs from the limits and says by how much the minimum is over the budget', () => {
    const report = costReport(loadPaths([join(dir, 'fail.yaml')]).docs, model);
    expect(report.workloads[0]?.gpu).toBe(1);
    expect(overBudget(report)).toMatch(
      /^environment fixture costs at least \$574\.80 a month .* over its budget of \$200\.00$/,
    );
  });

  it('renders a Markdown table with the total and the budget', () => {
    const text = formatCost(costReport(loadPaths([join(dir, 'pass.yaml')]).docs, model), 'markdown');
    expect(text).toMatch(
      /^### fixture \(prices of 2026-11-01, europe-west4\): within the budget of \$200\.00/,
    );
    expect(text).toContain('| Deployment app/web | 2–10 |');
    expect(text).toMatch(/\| total \|.*\| \$\d+\.\d\d \| \$\d+\.\d\d \|/);
    expect(text).toContain('| budget |');
  });
});

describe('cost-report', () => {
  const run = (args: string[]) => {
    let out = '';
    let err = '';
    const code = main(args, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  };

  it('refuses an overlay without its CostModel, and a bad format, with one line and exit 2', () => {
    expect(run([scratch])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/cost-model\.yaml does not exist/),
    });
    expect(run([dir, '--format', 'html'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--format must be/),
    });
  });

  it('names the file and the field of an invalid CostModel', () => {
    const bad = join(scratch, 'bad');
    mkdirSync(bad);
    writeFileSync(
      join(bad, 'cost-model.yaml'),
      'apiVersion: validation.neurascale.io/v1\nkind: CostModel\nenvironment: x\nbudget: {monthlyUsd: -1, fixed: {}}\n',
    );
    const result = run([bad]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/bad\/cost-model\.yaml: invalid CostModel:\n/);
    expect(result.err).toMatch(/\/budget\/monthlyUsd: must be >= 0/);
    expect(result.err).toMatch(/must have required property 'prices'/);
  });
});
