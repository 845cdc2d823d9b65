// The validation engine: documents in, findings out. Schema (kubeconform per Kubernetes version),
// Pod Security Standards, Rego policies (conftest), cross-resource graph rules and, for Istio and Gateway
// API configuration, Istio's own analyzer all report through the rule catalogue, then per-object
// suppressions apply. Used by the `validate` targets and the CLI.
import { readToolVersions } from '@neurascale/toolchain';
import { catalogued, regoParams } from './catalogue.ts';
import { conftest, yamlSafeJson } from './conftest.ts';
import { type CostModel, costModelDoc, costReport, loadCostModel, overBudget } from './cost.ts';
import type { Finding, ObjectRef } from './findings.ts';
import { ManifestGraph, obj } from './graph.ts';
import { runGraphRules } from './graph-rules/index.ts';
import type { Doc } from './inputs.ts';
import { istioAnalyze, wantsIstioAnalysis } from './istio-analyzer.ts';
import { kubeconform } from './kubeconform.ts';
import { applySeverity, type RuleSettings } from './overrides.ts';
import { checkPodSecurity, effectivePssVersion, type PssLevel } from './pod-security.ts';
import { isPrometheusRule, promtool } from './promtool.ts';
import { loadProvided } from './provided.ts';

export interface EngineOptions {
  kubernetesVersions?: string[];
  /** Level for pods whose namespace is not part of the input. */
  defaultPssLevel?: PssLevel;
  /** Kinds allowed to have no schema, as `Kind` or `group/Kind`. */
  allowMissingSchemas?: string[];
  /** ClusterProvides files: what the cluster provides that the set references (see provided.ts). */
  provided?: string[];
  /** Severities and parameters an overrides file sets for this input (see overrides.ts). */
  settings?: RuleSettings;
  /** Local checkouts of Git repositories by URL, for references into them (Argo CD source paths). */
  repositories?: Record<string, string>;
  /** Directories of promtool unit tests of the set's PrometheusRules (see promtool.ts). */
  ruleTests?: string[];
  /** A CostModel file: the set is priced and held to its budget (see cost.ts). */
  costModel?: string;
  schemaRoot?: string;
}

export interface EngineResult {
  findings: Finding[];
  suppressed: Finding[];
  objects: number;
  /** What was validated (paths or a stream's name), for the summary line. */
  inputs?: string[];
  /** Which engines ran, with the Kubernetes versions where they matter, for the summary line. */
  engines?: string[];
}

export const suppressPrefix = 'validation.neurascale.io/suppress-';
export const pssLevels: readonly PssLevel[] = ['privileged', 'baseline', 'restricted'];
const enforceLabel = 'pod-security.kubernetes.io/enforce';
const enforceVersionLabel = 'pod-security.kubernetes.io/enforce-version';

/** Where a document is: its source, and the line when known. */
export function locationOf(doc: Doc): string {
  return doc.line ? `${doc.source}:${doc.line}` : doc.source;
}

/** A catalogued finding on a document. */
export function finding(doc: Doc, ruleId: string, message: string, field?: string, check?: string): Finding {
  return catalogued({
    source: locationOf(doc),
    object: doc.ref,
    ...(field ? { field } : {}),
    rule: ruleId,
    message,
    ...(check ? { check } : {}),
  });
}

/**
 * Collects findings per Kubernetes version. A finding every version reports is listed once; one that only
 * some versions report says which.
 */
class AcrossVersions {
  readonly #entries = new Map<string, { finding: Finding; versions: string[] }>();
  readonly #all: string[];

  constructor(all: string[]) {
    this.#all = all;
  }

  add(f: Finding, version: string): void {
    const key = `${f.source}\0${f.rule}\0${f.field ?? ''}\0${f.message}`;
    const entry = this.#entries.get(key) ?? { finding: f, versions: [] };
    if (!entry.versions.includes(version)) entry.versions.push(version);
    this.#entries.set(key, entry);
  }

  list(): Finding[] {
    return [...this.#entries.values()].map(({ finding: f, versions }) =>
      versions.length === this.#all.length
        ? f
        : { ...f, message: `${f.message} (Kubernetes ${versions.join(', ')})` },
    );
  }
}

function versionsOf(options: EngineOptions): string[] {
  return options.kubernetesVersions ?? readToolVersions().kubernetes.versions;
}

function schemaFindings(docs: Doc[], options: EngineOptions): Finding[] {
  const versions = versionsOf(options);
  const allowed = new Set(options.allowMissingSchemas ?? []);
  const merged = new AcrossVersions(versions);
  for (const version of versions) {
    for (const v of kubeconform(docs, version, options.schemaRoot)) {
      const group = v.doc.ref.apiVersion?.split('/')[0] ?? '';
      const kind = v.doc.ref.kind ?? '';
      if (v.rule === 'schema-missing' && (allowed.has(kind) || allowed.has(`${group}/${kind}`))) continue;
      merged.add(finding(v.doc, v.rule, v.message, v.field), version);
    }
  }
  return merged.list();
}

function pssLevelOf(nsLabels: Record<string, string> | undefined, options: EngineOptions): PssLevel {
  // A namespace outside the input gets --pss-level; one in the input without the label runs privileged.
  if (!nsLabels) return options.defaultPssLevel ?? 'restricted';
  const label = nsLabels[enforceLabel] as PssLevel | undefined;
  return label && pssLevels.includes(label) ? label : 'privileged';
}

function pssFindings(graph: ManifestGraph, options: EngineOptions): Finding[] {
  const versions = versionsOf(options);
  return graph.podTemplates.flatMap((pod) => {
    const nsLabels = graph.namespaces.get(pod.namespace);
    const level = pssLevelOf(nsLabels, options);
    const requested = nsLabels?.[enforceVersionLabel];
    // The same pod is judged by the admission of each cluster version.
    const merged = new AcrossVersions(versions);
    for (const kubernetesVersion of versions) {
      const policyVersion = effectivePssVersion(requested, kubernetesVersion);
      if (!policyVersion) {
        const message = `namespace ${pod.namespace} asks for policy version "${requested}"`;
        merged.add(finding(pod.doc, 'pss-version-invalid', message), kubernetesVersion);
        continue;
      }
      for (const v of checkPodSecurity(pod.doc.object, level, pod.doc.source, policyVersion)) {
        merged.add(finding(pod.doc, v.rule, v.message, v.field, v.check), kubernetesVersion);
      }
    }
    return merged.list();
  });
}

function applySuppressions(docs: Doc[], findings: Finding[]): EngineResult {
  const kept: Finding[] = [];
  const suppressed: Finding[] = [];
  const meta: Finding[] = [];
  const reasons = new Map<string, Map<string, string>>();
  for (const doc of docs) {
    const annotations = obj(obj(doc.object.metadata).annotations);
    const entries = Object.entries(annotations).filter(([k]) => k.startsWith(suppressPrefix));
    if (entries.length === 0) continue;
    const map = new Map<string, string>();
    for (const [key, value] of entries) {
      const id = key.slice(suppressPrefix.length);
      if (typeof value !== 'string' || value.trim() === '') {
        meta.push(
          finding(
            doc,
            'suppression-without-reason',
            `annotation ${key} gives no reason`,
            `metadata.annotations.${key}`,
          ),
        );
      } else {
        map.set(id, value);
      }
    }
    reasons.set(refKey(doc.ref), map);
  }
  for (const f of findings) {
    const reason = reasons.get(refKey(f.object))?.get(f.rule);
    if (reason) suppressed.push({ ...f, message: `${f.message} (suppressed: ${reason})` });
    else kept.push(f);
  }
  return { findings: [...kept, ...meta], suppressed, objects: docs.length };
}

/** Rego policies over every document; each finding goes back to its document's file and line. */
function regoFindings(docs: Doc[], settings?: RuleSettings): Finding[] {
  if (docs.length === 0) return [];
  const byRef = new Map(docs.map((d) => [refKey(d.ref), d]));
  const stream = docs.map((d) => yamlSafeJson(d.object)).join('\n---\n');
  const params = regoParams();
  for (const [id, values] of Object.entries(settings?.params ?? {})) {
    params.params[id] = { ...params.params[id], ...values };
  }
  return conftest(stream, '<input>', undefined, params).map((f) => {
    const doc = byRef.get(refKey(f.object));
    return doc ? { ...f, source: locationOf(doc), object: doc.ref } : f;
  });
}

function refKey(ref: ObjectRef): string {
  return [ref.apiVersion, ref.kind, ref.namespace ?? '', ref.name].join('/');
}

function costFindings(docs: Doc[], model: CostModel, file: string): Finding[] {
  const over = overBudget(costReport(docs, model));
  return over ? [finding(costModelDoc(file, model), 'cost-over-budget', over)] : [];
}

export function runEngine(docs: Doc[], options: EngineOptions = {}): EngineResult {
  const versions = versionsOf(options).join(' ');
  const provided = (options.provided ?? []).flatMap(loadProvided);
  const engines = [
    `schema ${versions}`,
    `pss ${versions}`,
    'rego',
    provided.length > 0 ? `graph (${provided.length} provided by the cluster)` : 'graph',
    ...(wantsIstioAnalysis(docs) ? ['istioctl analyze'] : []),
    ...(docs.some(isPrometheusRule)
      ? [
          `promtool check${options.ruleTests?.length ? ` and test (${options.ruleTests.length} test dir)` : ''}`,
        ]
      : []),
  ];
  const cost = options.costModel ? loadCostModel(options.costModel) : undefined;
  if (cost) engines.push(`cost (budget $${cost.budget.monthlyUsd})`);
  const graph = new ManifestGraph(docs, provided, options.repositories);
  const findings = [
    ...(cost && options.costModel ? costFindings(docs, cost, options.costModel) : []),
    ...schemaFindings(docs, options),
    ...pssFindings(graph, options),
    ...regoFindings(docs, options.settings),
    ...runGraphRules(graph, undefined, options.settings?.params).map((v) =>
      finding(v.doc, v.rule, v.message, v.field),
    ),
    ...istioAnalyze(docs).map((v) => finding(v.doc, v.rule, v.message, undefined, v.code)),
    ...promtool(docs, options.ruleTests).map((v) => finding(v.doc, v.rule, v.message, v.field)),
  ].map((f) => applySeverity(f, options.settings));
  return { ...applySuppressions(docs, findings), engines };
}
