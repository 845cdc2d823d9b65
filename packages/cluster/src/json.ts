// Reading Kubernetes objects as plain JSON: an object, or an empty one where a field is missing or not an
// object; a list, or an empty one.
export type Json = Record<string, unknown>;

export const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
export const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
