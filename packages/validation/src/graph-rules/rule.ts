// A cross-resource rule: its catalogued id, the kinds it reads, and the check over the manifest graph.
// The check returns only where and what; the runner adds the rule id, and the catalogue (policies/rules.json)
// its severity and fix. Parameters come from the catalogue's `params` of the rule.
import type { ParamValue } from '../catalogue.ts';
import type { ManifestGraph } from '../graph.ts';
import type { Doc } from '../inputs.ts';

export interface GraphViolation {
  doc: Doc;
  field?: string;
  message: string;
}

export interface GraphRule {
  id: string;
  /** The kinds whose objects the check reads (`*`: every object). */
  kinds: readonly string[];
  check: (graph: ManifestGraph, params: Record<string, ParamValue>) => GraphViolation[];
}
