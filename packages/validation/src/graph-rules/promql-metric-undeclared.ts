import { parse } from 'yaml';
import { arr, spec } from '../graph.ts';
import { expressionsOf, parsePromql } from '../promql.ts';
import { metricKind } from '../provided.ts';
import type { GraphRule } from './rule.ts';

const suffixes: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/**
 * Every metric a query reads is declared (a PrometheusMetric of the ClusterProvides declaration) or recorded
 * by a rule of the set. Runs only where the declaration lists metrics: without it, nothing says which exist.
 */
export const promqlMetricUndeclared: GraphRule = {
  id: 'promql-metric-undeclared',
  kinds: ['PrometheusRule', 'MetricTemplate', 'ConfigMap'],
  check: (g) => {
    const declared = g.provided.filter((d) => d.ref.kind === metricKind);
    if (declared.length === 0) return [];
    const known = new Set<string>();
    for (const d of declared) {
      const type = String(d.object.metricType ?? '');
      for (const suffix of suffixes[type] ?? ['']) known.add(`${d.ref.name}${suffix}`);
    }
    for (const rule of g.ofKind('PrometheusRule')) {
      for (const group of arr(spec(rule).groups)) {
        for (const r of arr(group.rules)) if (typeof r.record === 'string') known.add(r.record);
      }
    }
    return g.docs
      .flatMap((doc) => expressionsOf(doc, parse))
      .flatMap((e) => {
        const parsed = parsePromql(e.promql);
        if (parsed.errorAt !== undefined) return []; // promql-invalid reports it
        return parsed.metrics
          .filter((m) => !known.has(m))
          .map((m) => ({
            doc: e.doc,
            field: e.field,
            message:
              `reads metric ${m}, which no ${metricKind} of the ClusterProvides declaration and no recording ` +
              'rule of the set defines',
          }));
      });
  },
};
