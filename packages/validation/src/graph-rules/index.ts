// Every cross-resource rule, one module each (named after its rule id), and the runner that applies them.
import { type ParamValue, paramsOf } from '../catalogue.ts';
import type { ManifestGraph } from '../graph.ts';
import { argocdPathMissing } from './argocd-path-missing.ts';
import { argocdProjectMissing } from './argocd-project-missing.ts';
import { authzPrincipalMissing } from './authz-principal-missing.ts';
import { bindingReferenceMissing } from './binding-reference-missing.ts';
import { canaryRoutingOwned } from './canary-routing-owned.ts';
import { claimMissing } from './claim-missing.ts';
import { configKeyMissing } from './config-key-missing.ts';
import { configReferenceMissing } from './config-reference-missing.ts';
import { duplicateIdentity } from './duplicate-identity.ts';
import { envDuplicate } from './env-duplicate.ts';
import { gatewayCertificateMissing } from './gateway-certificate-missing.ts';
import { hostNamespace } from './host-namespace.ts';
import { hpaMetricUnserved } from './hpa-metric-unserved.ts';
import { hpaVpaConflict } from './hpa-vpa-conflict.ts';
import { jobTtlMissing } from './job-ttl-missing.ts';
import { mtlsNotStrict } from './mtls-not-strict.ts';
import { netpolCrossesTenants } from './netpol-crosses-tenants.ts';
import { netpolNamespaceLabel } from './netpol-namespace-label.ts';
import { netpolPeerMatchesNothing } from './netpol-peer-matches-nothing.ts';
import { pdbMinAvailableBlocks } from './pdb-min-available-blocks.ts';
import { podmonitorNoTarget } from './podmonitor-no-target.ts';
import { priorityClassMissing } from './priority-class-missing.ts';
import { privilegedPort } from './privileged-port.ts';
import { probesIdentical } from './probes-identical.ts';
import { promqlInvalid } from './promql-invalid.ts';
import { promqlMetricUndeclared } from './promql-metric-undeclared.ts';
import { pvcBackupMissing } from './pvc-backup-missing.ts';
import { rbacWildcard } from './rbac-wildcard.ts';
import { readinessProbeMissing } from './readiness-probe-missing.ts';
import { readonlyRootFsMissing } from './readonly-root-fs-missing.ts';
import { replicasWithHpa } from './replicas-with-hpa.ts';
import { routeBackendMissing } from './route-backend-missing.ts';
import type { GraphRule, GraphViolation } from './rule.ts';
import { runtimeClassMissing } from './runtime-class-missing.ts';
import { scaleTargetMissing } from './scale-target-missing.ts';
import { secretStoreMissing } from './secret-store-missing.ts';
import { secretsReadable } from './secrets-readable.ts';
import { selectorMatchesNothing } from './selector-matches-nothing.ts';
import { serviceAccountMissing } from './service-account-missing.ts';
import { serviceExposed } from './service-exposed.ts';
import { serviceTargetPortMissing } from './service-target-port-missing.ts';
import { servicemonitorNoTarget } from './servicemonitor-no-target.ts';
import { statefulsetServiceMissing } from './statefulset-service-missing.ts';
import { storageClassMissing } from './storage-class-missing.ts';
import { tokenAutomounted } from './token-automounted.ts';

export type { GraphRule, GraphViolation } from './rule.ts';

export const graphRules: readonly GraphRule[] = [
  duplicateIdentity,
  selectorMatchesNothing,
  servicemonitorNoTarget,
  podmonitorNoTarget,
  scaleTargetMissing,
  pdbMinAvailableBlocks,
  hpaVpaConflict,
  hpaMetricUnserved,
  pvcBackupMissing,
  promqlInvalid,
  promqlMetricUndeclared,
  configReferenceMissing,
  configKeyMissing,
  serviceAccountMissing,
  claimMissing,
  storageClassMissing,
  priorityClassMissing,
  runtimeClassMissing,
  serviceTargetPortMissing,
  statefulsetServiceMissing,
  bindingReferenceMissing,
  routeBackendMissing,
  authzPrincipalMissing,
  gatewayCertificateMissing,
  canaryRoutingOwned,
  mtlsNotStrict,
  secretStoreMissing,
  argocdProjectMissing,
  argocdPathMissing,
  readinessProbeMissing,
  probesIdentical,
  envDuplicate,
  serviceExposed,
  jobTtlMissing,
  privilegedPort,
  tokenAutomounted,
  readonlyRootFsMissing,
  hostNamespace,
  netpolNamespaceLabel,
  netpolPeerMatchesNothing,
  netpolCrossesTenants,
  rbacWildcard,
  secretsReadable,
  replicasWithHpa,
];

/** Runs every rule with its catalogued parameters (and any overridden ones); each violation names its rule. */
export function runGraphRules(
  graph: ManifestGraph,
  rules: readonly GraphRule[] = graphRules,
  overridden: Record<string, Record<string, ParamValue>> = {},
): (GraphViolation & { rule: string })[] {
  return rules.flatMap((r) =>
    r.check(graph, { ...paramsOf(r.id), ...overridden[r.id] }).map((v) => ({ ...v, rule: r.id })),
  );
}
