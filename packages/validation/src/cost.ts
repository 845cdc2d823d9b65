// The cost view: what the rendered manifests request (CPU, memory, GPUs, storage) times the replicas each
// workload runs at (its HPA's minimum and maximum, else its replicas), priced with a dated table and set
// beside the environment's monthly budget. The inputs come from a CostModel file:
//
//   apiVersion: validation.neurascale.io/v1
//   kind: CostModel
//   environment: dev
//   budget: { monthlyUsd: 320, fixed: { Load balancers: 20 } }   # fixed: what the manifests do not request
//   prices: { date: 2026-11-01, currency: USD, region: ..., source: ..., vcpuHour, memoryGiBHour, gpuHour, storageGiBMonth }
//
// `cost-over-budget` (a warning) says when the minimum alone exceeds the budget. Sidecars injected at run time
// (Istio's proxy) and Flagger's -primary copies are not in the manifests and so not priced.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { arr, obj, spec } from './graph.ts';
import type { Doc, Json } from './inputs.ts';

export const hoursPerMonth = 730;

export interface CostModel {
  apiVersion: 'validation.neurascale.io/v1';
  kind: 'CostModel';
  environment: string;
  budget: { monthlyUsd: number; fixed: Record<string, number> };
  prices: {
    date: string;
    currency: 'USD';
    region: string;
    source: string;
    vcpuHour: number;
    memoryGiBHour: number;
    gpuHour: number;
    storageGiBMonth: number;
  };
}

const price = { type: 'number', minimum: 0 };
const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'environment', 'budget', 'prices'],
  properties: {
    apiVersion: { const: 'validation.neurascale.io/v1' },
    kind: { const: 'CostModel' },
    environment: { type: 'string', minLength: 1 },
    budget: {
      type: 'object',
      additionalProperties: false,
      required: ['monthlyUsd', 'fixed'],
      properties: { monthlyUsd: price, fixed: { type: 'object', additionalProperties: price } },
    },
    prices: {
      type: 'object',
      additionalProperties: false,
      required: [
        'date',
        'currency',
        'region',
        'source',
        'vcpuHour',
        'memoryGiBHour',
        'gpuHour',
        'storageGiBMonth',
      ],
      properties: {
        date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
        currency: { const: 'USD' },
        region: { type: 'string', minLength: 1 },
        source: { type: 'string', minLength: 10 },
        vcpuHour: price,
        memoryGiBHour: price,
        gpuHour: price,
        storageGiBMonth: price,
      },
    },
  },
};
const check = new Ajv({ allErrors: true }).compile<CostModel>(schema);

/** Reads and checks a CostModel file; throws an error naming the file, the field and the fix. */
export function loadCostModel(file: string): CostModel {
  let data: unknown;
  try {
    // A date stays a string: the YAML 1.2 core schema has no timestamps.
    data = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: cannot read the CostModel: ${(error as Error).message}`);
  }
  if (!check(data)) {
    const problems = (check.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message}`);
    throw new Error(
      `${file}: invalid CostModel:\n  ${problems.join('\n  ')}\n  fix: give environment, budget (monthlyUsd, fixed) and prices (date YYYY-MM-DD, currency USD, region, source, vcpuHour, memoryGiBHour, gpuHour, storageGiBMonth)`,
    );
  }
  return data;
}

const binary: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const decimal: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/**
 * A Kubernetes quantity as a number (cores, bytes, count); 0 when absent. `where` names the object and the
 * field for the error an unreadable quantity raises (the API server would refuse it anyway).
 */
export function quantity(value: unknown, where = 'a quantity'): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/.exec(String(value));
  const unit = m?.[2] ?? '';
  const scale = binary[unit] ?? decimal[unit];
  if (!m || scale === undefined || Number.isNaN(Number(m[1]))) {
    throw new Error(`${where}: "${String(value)}" is not a Kubernetes quantity (e.g. 250m, 1, 512Mi, 10Gi)`);
  }
  return Number(m[1]) * scale;
}

const gib = 2 ** 30;

export interface WorkloadCost {
  workload: string;
  replicas: { min: number; max: number };
  /** Per replica. */
  cpu: number;
  memoryGiB: number;
  gpu: number;
  storageGiB: number;
  monthlyUsd: { min: number; max: number };
}

export interface CostReport {
  environment: string;
  prices: CostModel['prices'];
  workloads: WorkloadCost[];
  /** Standalone claims (not of a StatefulSet's template). */
  claimsGiB: number;
  fixed: Record<string, number>;
  total: { min: number; max: number };
  budget: number;
}

const workloadKinds = new Set(['Deployment', 'StatefulSet']);

function replicasOf(docs: Doc[], w: Doc): { min: number; max: number } {
  const hpa = docs.find((d) => {
    if (d.ref.kind !== 'HorizontalPodAutoscaler' || d.ref.namespace !== w.ref.namespace) return false;
    const target = obj(spec(d).scaleTargetRef);
    return target.kind === w.ref.kind && target.name === w.ref.name;
  });
  if (hpa) {
    const s = spec(hpa);
    return { min: Number(s.minReplicas ?? 1), max: Number(s.maxReplicas ?? 1) };
  }
  const n = Number(spec(w).replicas ?? 1);
  return { min: n, max: n };
}

const round = (n: number) => Math.round(n * 100) / 100;

export function costReport(docs: Doc[], model: CostModel): CostReport {
  const p = model.prices;
  const perReplica = (cpu: number, memoryGiB: number, gpu: number, storageGiB: number) =>
    (cpu * p.vcpuHour + memoryGiB * p.memoryGiBHour + gpu * p.gpuHour) * hoursPerMonth +
    storageGiB * p.storageGiBMonth;
  const workloads = docs
    .filter((d) => workloadKinds.has(String(d.ref.kind)))
    .map((w) => {
      const pod = obj(obj(spec(w).template).spec);
      // Native sidecars (init containers that keep running) cost like containers.
      const containers = [
        ...arr(pod.containers),
        ...arr(pod.initContainers).filter((c) => c.restartPolicy === 'Always'),
      ];
      const at = `${w.ref.kind} ${w.ref.namespace ?? ''}/${w.ref.name}`;
      const sum = (field: string, f: (c: Json) => unknown) =>
        containers.reduce((n, c) => n + quantity(f(c), `${at} container ${String(c.name)} ${field}`), 0);
      const requests = (c: Json) => obj(obj(c.resources).requests);
      const cpu = sum('resources.requests.cpu', (c) => requests(c).cpu);
      const memoryGiB = sum('resources.requests.memory', (c) => requests(c).memory) / gib;
      const gpu = sum(
        'resources.limits[nvidia.com/gpu]',
        (c) => obj(obj(c.resources).limits)['nvidia.com/gpu'],
      );
      const storageGiB =
        arr(spec(w).volumeClaimTemplates).reduce(
          (n, t) =>
            n +
            quantity(obj(obj(obj(t.spec).resources).requests).storage, `${at} volumeClaimTemplates storage`),
          0,
        ) / gib;
      const replicas = replicasOf(docs, w);
      const each = perReplica(cpu, memoryGiB, gpu, storageGiB);
      return {
        workload: `${w.ref.kind} ${w.ref.namespace ?? ''}/${w.ref.name}`,
        replicas,
        cpu,
        memoryGiB: round(memoryGiB),
        gpu,
        storageGiB: round(storageGiB),
        monthlyUsd: { min: round(each * replicas.min), max: round(each * replicas.max) },
      };
    })
    .sort((a, b) => b.monthlyUsd.max - a.monthlyUsd.max || a.workload.localeCompare(b.workload));
  const claimsGiB =
    docs
      .filter((d) => d.ref.kind === 'PersistentVolumeClaim')
      .reduce(
        (n, d) =>
          n +
          quantity(
            obj(obj(spec(d).resources).requests).storage,
            `PersistentVolumeClaim ${d.ref.namespace ?? ''}/${d.ref.name} spec.resources.requests.storage`,
          ),
        0,
      ) / gib;
  const fixed = Object.values(model.budget.fixed).reduce((n, v) => n + v, 0);
  const claims = claimsGiB * p.storageGiBMonth;
  const total = {
    min: round(workloads.reduce((n, w) => n + w.monthlyUsd.min, 0) + claims + fixed),
    max: round(workloads.reduce((n, w) => n + w.monthlyUsd.max, 0) + claims + fixed),
  };
  return {
    environment: model.environment,
    prices: p,
    workloads,
    claimsGiB: round(claimsGiB),
    fixed: model.budget.fixed,
    total,
    budget: model.budget.monthlyUsd,
  };
}

/** The CostModel as a document of its own, for findings about the environment as a whole. */
export function costModelDoc(file: string, model: CostModel): Doc {
  return {
    source: file,
    object: model as unknown as Json,
    ref: { apiVersion: model.apiVersion, kind: model.kind, name: model.environment },
  } as Doc;
}

const usd = (n: number) =>
  `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** The violation when the environment's minimum already exceeds its budget. */
export function overBudget(report: CostReport): string | undefined {
  if (report.total.min <= report.budget) return undefined;
  return (
    `environment ${report.environment} costs at least ${usd(report.total.min)} a month (up to ` +
    `${usd(report.total.max)}) at the prices of ${report.prices.date}, over its budget of ${usd(report.budget)}`
  );
}

/** The report as a text table or as Markdown (one table per environment). */
export function formatCost(report: CostReport, format: 'text' | 'markdown'): string {
  const head = [
    'workload',
    'replicas',
    'cpu',
    'memory GiB',
    'gpu',
    'storage GiB',
    'min $/month',
    'max $/month',
  ];
  const rows = report.workloads.map((w) => [
    w.workload,
    w.replicas.min === w.replicas.max ? String(w.replicas.min) : `${w.replicas.min}–${w.replicas.max}`,
    String(w.cpu),
    String(w.memoryGiB),
    String(w.gpu),
    String(w.storageGiB),
    usd(w.monthlyUsd.min),
    usd(w.monthlyUsd.max),
  ]);
  for (const [item, value] of Object.entries(report.fixed)) {
    rows.push([`${item} (estimate)`, '', '', '', '', '', usd(value), usd(value)]);
  }
  if (report.claimsGiB > 0) {
    const claims = report.claimsGiB * report.prices.storageGiBMonth;
    rows.push(['standalone claims', '', '', '', '', String(report.claimsGiB), usd(claims), usd(claims)]);
  }
  rows.push(['total', '', '', '', '', '', usd(report.total.min), usd(report.total.max)]);
  rows.push(['budget', '', '', '', '', '', usd(report.budget), usd(report.budget)]);
  const verdict =
    report.total.min > report.budget
      ? `its minimum, ${usd(report.total.min)} a month, is over the budget of ${usd(report.budget)}`
      : `within the budget of ${usd(report.budget)} at its minimum`;
  const title = `${report.environment} (prices of ${report.prices.date}, ${report.prices.region}): ${verdict}`;
  if (format === 'markdown') {
    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    return [
      `### ${title}`,
      '',
      line(head),
      line(head.map((_, i) => (i === 0 ? '---' : '---:'))),
      ...rows.map(line),
      '',
    ].join('\n');
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [title, line(head), ...rows.map(line), ''].join('\n');
}
