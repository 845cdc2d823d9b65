// Every cross-resource rule, one module each (named after its rule id), and the runner that applies them.
import { paramsOf } from '../catalogue.ts';
import type { ManifestGraph } from '../graph.ts';
import { configReferenceMissing } from './config-reference-missing.ts';
import { duplicateIdentity } from './duplicate-identity.ts';
import { hpaVpaConflict } from './hpa-vpa-conflict.ts';
import { netpolNamespaceLabel } from './netpol-namespace-label.ts';
import { pdbMinAvailableBlocks } from './pdb-min-available-blocks.ts';
import { rbacWildcard } from './rbac-wildcard.ts';
import { replicasWithHpa } from './replicas-with-hpa.ts';
import type { GraphRule, GraphViolation } from './rule.ts';
import { scaleTargetMissing } from './scale-target-missing.ts';
import { secretsReadable } from './secrets-readable.ts';
import { selectorMatchesNothing } from './selector-matches-nothing.ts';
import { servicemonitorNoTarget } from './servicemonitor-no-target.ts';

export type { GraphRule, GraphViolation } from './rule.ts';

export const graphRules: readonly GraphRule[] = [
  duplicateIdentity,
  selectorMatchesNothing,
  servicemonitorNoTarget,
  scaleTargetMissing,
  pdbMinAvailableBlocks,
  hpaVpaConflict,
  configReferenceMissing,
  netpolNamespaceLabel,
  rbacWildcard,
  secretsReadable,
  replicasWithHpa,
];

/** Runs every rule with its catalogued parameters; each violation names its rule. */
export function runGraphRules(
  graph: ManifestGraph,
  rules: readonly GraphRule[] = graphRules,
): (GraphViolation & { rule: string })[] {
  return rules.flatMap((r) => r.check(graph, paramsOf(r.id)).map((v) => ({ ...v, rule: r.id })));
}
