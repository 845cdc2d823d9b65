// What the cluster and its controllers provide at run time: objects a manifest set references but does not
// contain (a StorageClass of the platform, a namespace another team owns, a Secret an operator writes).
// A set declares them in a ClusterProvides file, each entry with the reason it exists, so that the
// reference rules resolve them instead of reporting them missing, and a reviewer sees every assumption
// about the cluster in one place. The file is checked: an unknown field, a namespace on a cluster-scoped
// kind or an entry without a reason is an error that names the file, the entry and the fix.
//
//   apiVersion: validation.neurascale.io/v1
//   kind: ClusterProvides
//   provides:
//     - kind: Namespace
//       name: monitoring
//       why: Prometheus runs there, owned by the observability team.
//     - kind: Secret
//       namespace: app
//       name: bootstrap-token
//       keys: [token]          # ConfigMaps and Secrets: the keys it will hold (absent: any key)
//       why: written by the install Job's init container.
//     - kind: PrometheusMetric   # a metric the set's PromQL may read (rules, dashboards, adapter, Flagger)
//       name: http_requests_total
//       metricType: counter      # counter, gauge, histogram (its _bucket, _sum, _count) or summary
//       why: exposed by every HTTP service on /metrics.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { clusterScopedKinds } from './graph.ts';
import type { Doc, Json } from './inputs.ts';

export const providesApiVersion = 'validation.neurascale.io/v1';

export interface Provided {
  kind: string;
  name: string;
  namespace?: string;
  apiVersion?: string;
  labels?: Record<string, string>;
  keys?: string[];
  metricType?: 'counter' | 'gauge' | 'histogram' | 'summary';
  why: string;
}

/** Not an object of the cluster: a Prometheus metric the set's queries may read (no namespace). */
export const metricKind = 'PrometheusMetric';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'provides'],
  properties: {
    apiVersion: { const: providesApiVersion },
    kind: { const: 'ClusterProvides' },
    provides: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'name', 'why'],
        properties: {
          kind: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]*$' },
          name: { type: 'string', minLength: 1 },
          namespace: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
          apiVersion: { type: 'string', minLength: 1 },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          keys: { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true },
          metricType: { enum: ['counter', 'gauge', 'histogram', 'summary'] },
          why: { type: 'string', minLength: 10 },
        },
      },
    },
  },
};

const check = new Ajv({ allErrors: true }).compile<{ provides: Provided[] }>(schema);

/** Reads and checks a declaration; throws an error naming the file, the entry, the field and the fix. */
export function loadProvided(file: string): Doc[] {
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: cannot read the ClusterProvides declaration: ${(error as Error).message}`);
  }
  return providedDocs(data, file);
}

export function providedDocs(data: unknown, file: string): Doc[] {
  if (!check(data)) {
    const problems = (check.errors ?? []).map((e) => {
      const allowed = e.params && 'allowedValue' in e.params ? ` (${String(e.params.allowedValue)})` : '';
      const extra =
        e.params && 'additionalProperty' in e.params ? ` "${String(e.params.additionalProperty)}"` : '';
      return `${e.instancePath || '/'}: ${e.message}${extra}${allowed}`;
    });
    throw new Error(
      `${file}: invalid ClusterProvides declaration:\n  ${problems.join('\n  ')}\n` +
        `  fix: each entry of provides has kind, name and why (at least 10 characters), and optionally namespace, apiVersion, labels, keys and (for a PrometheusMetric) metricType`,
    );
  }
  const seen = new Set<string>();
  return data.provides.map((p, i) => {
    const at = `${file}: /provides/${i}`;
    if (clusterScopedKinds.has(p.kind) && p.namespace !== undefined) {
      throw new Error(`${at}/namespace: ${p.kind} is cluster-scoped; fix: remove the namespace`);
    }
    if ((p.kind === metricKind) !== (p.metricType !== undefined)) {
      throw new Error(
        p.kind === metricKind
          ? `${at}/metricType: PrometheusMetric ${p.name} needs its metricType; fix: add counter, gauge, histogram or summary`
          : `${at}/metricType: only a PrometheusMetric has a metricType; fix: remove it from ${p.kind} ${p.name}`,
      );
    }
    if (p.kind === metricKind && p.namespace !== undefined) {
      throw new Error(`${at}/namespace: a PrometheusMetric has no namespace; fix: remove the namespace`);
    }
    if (
      !clusterScopedKinds.has(p.kind) &&
      p.namespace === undefined &&
      p.kind !== 'Namespace' &&
      p.kind !== metricKind
    ) {
      throw new Error(
        `${at}/namespace: ${p.kind} ${p.name} is namespaced; fix: add the namespace it lives in`,
      );
    }
    if (p.keys !== undefined && p.kind !== 'ConfigMap' && p.kind !== 'Secret') {
      throw new Error(
        `${at}/keys: only a ConfigMap or a Secret has keys; fix: remove keys from ${p.kind} ${p.name}`,
      );
    }
    const identity = `${p.kind}/${p.namespace ?? ''}/${p.name}`;
    if (seen.has(identity))
      throw new Error(`${at}: ${p.kind} ${p.name} is declared twice; fix: keep one entry`);
    seen.add(identity);
    const metadata: Json = { name: p.name };
    if (p.namespace !== undefined) metadata.namespace = p.namespace;
    if (p.labels !== undefined) metadata.labels = p.labels;
    const object: Json = { kind: p.kind, metadata };
    if (p.apiVersion !== undefined) object.apiVersion = p.apiVersion;
    // Keys become data, so a key lookup reads a provided ConfigMap or Secret like one in the set.
    if (p.keys !== undefined) object.data = Object.fromEntries(p.keys.map((k) => [k, '']));
    if (p.metricType !== undefined) object.metricType = p.metricType;
    return {
      source: `${file} (provides[${i}]: ${p.why})`,
      object,
      ref: {
        ...(p.apiVersion !== undefined ? { apiVersion: p.apiVersion } : {}),
        kind: p.kind,
        name: p.name,
        ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
      },
    };
  });
}
