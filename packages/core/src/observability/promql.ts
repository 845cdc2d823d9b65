// Small, typed PromQL writing helpers, so that every expression the builders emit quotes its label values
// the same way and a selector never forgets the namespace it is about.

export type Matchers = Record<string, string | { re: string } | { not: string }>;

function quote(value: string): string {
  return JSON.stringify(value);
}

/** `metric{a="b",c=~"d"}`, matchers in the order given. */
export function selector(metric: string, matchers: Matchers = {}): string {
  const parts = Object.entries(matchers).map(([label, m]) =>
    typeof m === 'string'
      ? `${label}=${quote(m)}`
      : 're' in m
        ? `${label}=~${quote(m.re)}`
        : `${label}!=${quote(m.not)}`,
  );
  return parts.length > 0 ? `${metric}{${parts.join(',')}}` : metric;
}

/** `sum by (labels) (rate(selector[window]))`. */
export function sumRate(by: readonly string[], sel: string, window: string): string {
  return `sum by (${by.join(', ')}) (rate(${sel}[${window}]))`;
}

/**
 * A number as a PromQL literal without floating-point noise (14.4 × 0.001 is 0.0144, not
 * 0.014400000000000001).
 */
export function literal(value: number): string {
  return String(Number(value.toPrecision(12)));
}

/**
 * A histogram bucket bound as Prometheus 3 stores it in the `le` label: floats keep a fractional part
 * (`1` becomes `1.0`), so a matcher written from the catalog's number still selects the bucket.
 */
export function leLabel(bound: number): string {
  return Number.isInteger(bound) ? `${bound}.0` : String(bound);
}

/** Seconds of a Prometheus duration (`5m`, `1h`, `3d`). */
export function durationSeconds(duration: string): number {
  const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  const match = /^(\d+)([smhdw])$/.exec(duration);
  if (!match) throw new Error(`"${duration}" is not a Prometheus duration like 5m, 1h or 30d`);
  return Number(match[1]) * (units[match[2] ?? 's'] ?? 1);
}
