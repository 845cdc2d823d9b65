import { parse } from 'yaml';
import { arr, namespaceOf, obj, spec } from '../graph.ts';
import { adapterRulesOf, parsePromql } from '../promql.ts';
import type { GraphRule } from './rule.ts';

/** The custom metric names an adapter rule serves: its series' name, renamed by `name.matches`/`name.as`. */
export function servedNames(rule: Record<string, unknown>): string[] {
  const seriesQuery = typeof rule.seriesQuery === 'string' ? rule.seriesQuery : '';
  const name = obj(rule.name);
  const matches = typeof name.matches === 'string' ? name.matches : '';
  const as = typeof name.as === 'string' ? name.as : '';
  const names = parsePromql(seriesQuery).metrics.map((series) => {
    if (!matches) return series;
    let pattern: RegExp;
    try {
      pattern = new RegExp(matches);
    } catch {
      return series;
    }
    // A series the rule's pattern does not match is not served at all (the adapter skips it).
    if (!pattern.test(series)) return undefined;
    // The adapter's default `as` is the first capture group, or the whole name without one.
    return as
      ? series.replace(pattern, as.replace(/\$\{(\d+)\}/g, '$$$1'))
      : (pattern.exec(series)?.[1] ?? series);
  });
  return names.filter((n): n is string => n !== undefined);
}

/**
 * Where the set configures prometheus-adapter, every Pods or Object metric an HPA asks for is one of the
 * names its rules serve: otherwise the HPA reads no value and cannot scale on it.
 */
export const hpaMetricUnserved: GraphRule = {
  id: 'hpa-metric-unserved',
  kinds: ['HorizontalPodAutoscaler', 'ConfigMap'],
  check: (g) => {
    const configs = g
      .ofKind('ConfigMap')
      .map((doc) => adapterRulesOf(doc, parse))
      .filter((rules) => rules !== undefined);
    if (configs.length === 0) return [];
    const served = new Set(configs.flat().flatMap(servedNames));
    return g.ofKind('HorizontalPodAutoscaler').flatMap((hpa) =>
      arr(spec(hpa).metrics).flatMap((metric, i) => {
        const type = metric.type;
        if (type !== 'Pods' && type !== 'Object') return [];
        const source = obj(metric[type === 'Pods' ? 'pods' : 'object']);
        const name = obj(source.metric).name;
        if (typeof name !== 'string' || served.has(name)) return [];
        return [
          {
            doc: hpa,
            field: `spec.metrics[${i}].${type === 'Pods' ? 'pods' : 'object'}.metric.name`,
            message:
              `asks the custom metrics API for ${name} (namespace ${namespaceOf(hpa)}), which no rule of the ` +
              `prometheus-adapter configuration serves (it serves ${[...served].sort().join(', ') || 'nothing'})`,
          },
        ];
      }),
    );
  },
};
