import { parse } from 'yaml';
import { expressionsOf, parsePromql } from '../promql.ts';
import type { GraphRule } from './rule.ts';

/** PromQL that does not parse, wherever it sits (PrometheusRules also get promtool's own check). */
export const promqlInvalid: GraphRule = {
  id: 'promql-invalid',
  kinds: ['PrometheusRule', 'MetricTemplate', 'ConfigMap'],
  check: (g) =>
    g.docs
      .flatMap((doc) => expressionsOf(doc, parse))
      .flatMap((e) => {
        const { errorAt } = parsePromql(e.promql);
        if (errorAt === undefined) return [];
        const near = e.promql.slice(Math.max(0, errorAt - 20), errorAt + 20);
        return [
          {
            doc: e.doc,
            field: e.field,
            message: `is not valid PromQL: syntax error at character ${errorAt + 1} (near "${near}")`,
          },
        ];
      }),
};
