import { stringify } from 'yaml';
// Reading Kubernetes objects as plain JSON: an object, or an empty one where a field is missing or not an
// object; a list, or an empty one.
export type Json = Record<string, unknown>;

export const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
export const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

/**
 * An object as YAML that kubectl reads back as written: kubectl reads YAML 1.1, where a bare `Off` or `yes`
 * is a boolean, so strings like those are quoted (a VPA's `updateMode: "Off"`).
 */
export function kubeYaml(value: unknown): string {
  return stringify(value, { version: '1.1' });
}
