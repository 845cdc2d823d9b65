// Every PromQL expression a set carries, wherever it sits: PrometheusRules, Flagger MetricTemplates, Grafana
// dashboards in ConfigMaps, and prometheus-adapter's rules. Templating that is not PromQL (Flagger's
// `{{ interval }}`, Grafana's `$__rate_interval`, the adapter's `<<.Series>>`) is replaced by values of
// the same syntactic kind before parsing, with Prometheus's own grammar (@prometheus-io/lezer-promql).
import { parser } from '@prometheus-io/lezer-promql';
import { arr, groupOf, obj, spec } from './graph.ts';
import type { Doc } from './inputs.ts';

export interface Expression {
  doc: Doc;
  field: string;
  /** The expression as written. */
  text: string;
  /** What was parsed: the text with templating replaced. */
  promql: string;
}

export interface Parsed {
  metrics: string[];
  /** The offset of the first syntax error, when there is one. */
  errorAt?: number;
}

/** The metric names an expression selects (bare names and `__name__="..."` matchers), and its syntax error. */
export function parsePromql(promql: string): Parsed {
  const tree = parser.parse(promql);
  const metrics = new Set<string>();
  let errorAt: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError && errorAt === undefined) errorAt = node.from;
      if (node.name === 'VectorSelector') {
        const first = node.node.firstChild;
        if (first?.name === 'Identifier') metrics.add(promql.slice(first.from, first.to));
      }
      if (node.name === 'UnquotedLabelMatcher') {
        const text = promql.slice(node.from, node.to);
        const match = /^__name__\s*=\s*"([^"]*)"$/.exec(text);
        if (match?.[1]) metrics.add(match[1]);
      }
    },
  });
  return { metrics: [...metrics].sort(), ...(errorAt === undefined ? {} : { errorAt }) };
}

/** Flagger's template variables: `{{ interval }}` is a duration, the others are label values. */
export function fromFlagger(text: string): string {
  return text.replace(/\{\{\s*interval\s*\}\}/g, '1m').replace(/\{\{\s*[a-zA-Z_]+\s*\}\}/g, 'x');
}

/** Grafana's variables: a range's `[$__rate_interval]` is a duration; anything else a label value. */
export function fromGrafana(text: string): string {
  return text
    .replace(/\[\s*\$\{?[A-Za-z_][A-Za-z0-9_]*(?::[a-z]+)?\}?\s*\]/g, '[5m]')
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*(?::[a-z]+)?\}?/g, 'x');
}

/** prometheus-adapter's template: `<<.Series>>` is the rule's series, the matchers and grouping are labels. */
export function fromAdapter(text: string, series: string): string {
  return text
    .replace(/<<\s*\.Series\s*>>/g, series)
    .replace(/<<\s*\.LabelMatchers\s*>>/g, 'namespace="x"')
    .replace(/<<\s*\.GroupBy\s*>>/g, 'pod');
}

export const adapterLabel = { key: 'app.kubernetes.io/name', value: 'prometheus-adapter' } as const;
export const adapterConfigKey = 'config.yaml';

/** prometheus-adapter's configuration in a ConfigMap of the set (labelled for it, key config.yaml). */
export function adapterRulesOf(
  doc: Doc,
  parse: (text: string) => unknown,
): Record<string, unknown>[] | undefined {
  if (doc.ref.kind !== 'ConfigMap') return undefined;
  const labels = obj(obj(doc.object.metadata).labels);
  const text = obj(doc.object.data)[adapterConfigKey];
  if (labels[adapterLabel.key] !== adapterLabel.value || typeof text !== 'string') return undefined;
  try {
    return arr(obj(parse(text)).rules);
  } catch {
    return [];
  }
}

/** A dashboard's queries: every `targets[].expr` of every panel, rows' nested panels included. */
function dashboardExprs(board: unknown, path: string): { field: string; text: string }[] {
  const panels = arr(obj(board).panels);
  return panels.flatMap((panel, i) => [
    ...arr(panel.targets).flatMap((t, j) =>
      typeof t.expr === 'string' && t.expr.trim() !== ''
        ? [{ field: `${path}.panels[${i}].targets[${j}].expr`, text: t.expr }]
        : [],
    ),
    // A collapsed row holds its panels inside it.
    ...dashboardExprs(panel, `${path}.panels[${i}]`),
  ]);
}

export function expressionsOf(doc: Doc, parseYaml: (text: string) => unknown): Expression[] {
  const kind = doc.ref.kind;
  const group = groupOf(doc.ref.apiVersion);
  if (kind === 'PrometheusRule' && group === 'monitoring.coreos.com') {
    return arr(spec(doc).groups).flatMap((g, i) =>
      arr(g.rules).flatMap((r, j) =>
        typeof r.expr === 'string'
          ? [{ doc, field: `spec.groups[${i}].rules[${j}].expr`, text: r.expr, promql: r.expr }]
          : [],
      ),
    );
  }
  if (kind === 'MetricTemplate' && group === 'flagger.app') {
    const s = spec(doc);
    const provider = obj(s.provider).type;
    if (typeof s.query !== 'string' || (provider !== undefined && provider !== 'prometheus')) return [];
    return [{ doc, field: 'spec.query', text: s.query, promql: fromFlagger(s.query) }];
  }
  if (kind !== 'ConfigMap') return [];
  const adapter = adapterRulesOf(doc, parseYaml);
  if (adapter) {
    return adapter.flatMap((rule, i) => {
      const field = `data.${adapterConfigKey}: rules[${i}]`;
      const seriesQuery = typeof rule.seriesQuery === 'string' ? rule.seriesQuery : '';
      const series = parsePromql(seriesQuery).metrics[0] ?? 'x';
      return [
        ...(seriesQuery
          ? [{ doc, field: `${field}.seriesQuery`, text: seriesQuery, promql: seriesQuery }]
          : []),
        ...(typeof rule.metricsQuery === 'string'
          ? [
              {
                doc,
                field: `${field}.metricsQuery`,
                text: rule.metricsQuery,
                promql: fromAdapter(rule.metricsQuery, series),
              },
            ]
          : []),
      ];
    });
  }
  return Object.entries(obj(doc.object.data)).flatMap(([key, value]) => {
    if (typeof value !== 'string' || !key.endsWith('.json')) return [];
    let board: unknown;
    try {
      board = JSON.parse(value);
    } catch {
      return [];
    }
    if (!Array.isArray(obj(board).panels)) return [];
    return dashboardExprs(board, `data.${key}`).map((e) => ({ doc, ...e, promql: fromGrafana(e.text) }));
  });
}
