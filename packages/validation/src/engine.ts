// The validation engine: documents in, findings out. Schema (kubeconform per Kubernetes version),
// Pod Security Standards, Rego policies (conftest) and cross-resource graph rules all report through the
// rule catalogue, then per-object suppressions apply. Used by the `validate` targets and the CLI.
import { readToolVersions } from '../../../tools/src/toolchain.ts';
import { rule } from './catalogue.ts';
import { conftest } from './conftest.ts';
import type { Finding, ObjectRef } from './findings.ts';
import { ManifestGraph, obj } from './graph.ts';
import { runGraphRules } from './graph-rules.ts';
import type { Doc } from './inputs.ts';
import { kubeconform } from './kubeconform.ts';
import { checkPodSecurity, effectivePssVersion, type PssLevel } from './pod-security.ts';

export interface EngineOptions {
  kubernetesVersions?: string[];
  /** Level for pods whose namespace is not part of the input. */
  defaultPssLevel?: PssLevel;
  /** Kinds allowed to have no schema, as `Kind` or `group/Kind`. */
  allowMissingSchemas?: string[];
  schemaRoot?: string;
}

export interface EngineResult {
  findings: Finding[];
  suppressed: Finding[];
  objects: number;
}

export const suppressPrefix = 'validation.neurascale.io/suppress-';
export const pssLevels: readonly PssLevel[] = ['privileged', 'baseline', 'restricted'];
const enforceLabel = 'pod-security.kubernetes.io/enforce';
const enforceVersionLabel = 'pod-security.kubernetes.io/enforce-version';

export function finding(doc: Doc, ruleId: string, message: string, field?: string): Finding {
  const r = rule(ruleId);
  return {
    source: doc.line ? `${doc.source}:${doc.line}` : doc.source,
    object: doc.ref,
    ...(field ? { field } : {}),
    rule: r.id,
    severity: r.severity,
    message,
    fix: r.fix,
  };
}

function schemaFindings(docs: Doc[], options: EngineOptions): Finding[] {
  const versions = options.kubernetesVersions ?? readToolVersions().kubernetes.versions;
  const allowed = new Set(options.allowMissingSchemas ?? []);
  const merged = new Map<
    string,
    { doc: Doc; rule: string; field?: string; message: string; versions: string[] }
  >();
  for (const version of versions) {
    for (const v of kubeconform(docs, version, options.schemaRoot)) {
      const group = v.doc.ref.apiVersion?.split('/')[0] ?? '';
      if (
        v.rule === 'schema-missing' &&
        (allowed.has(v.doc.ref.kind ?? '') || allowed.has(`${group}/${v.doc.ref.kind}`))
      )
        continue;
      // The same problem in every version is one finding that lists the versions.
      const text = v.message
        .replace(`Kubernetes ${version}: `, '')
        .replace(`Kubernetes ${version} `, 'Kubernetes ');
      const key = `${docs.indexOf(v.doc)}\0${v.rule}\0${v.field ?? ''}\0${text}`;
      const entry = merged.get(key) ?? {
        doc: v.doc,
        rule: v.rule,
        ...(v.field ? { field: v.field } : {}),
        message: text,
        versions: [],
      };
      entry.versions.push(version);
      merged.set(key, entry);
    }
  }
  return [...merged.values()].map((e) =>
    finding(e.doc, e.rule, `${e.message} (Kubernetes ${e.versions.join(', ')})`, e.field),
  );
}

function pssFindings(graph: ManifestGraph, options: EngineOptions): Finding[] {
  const versions = options.kubernetesVersions ?? readToolVersions().kubernetes.versions;
  return graph.podTemplates.flatMap((pod) => {
    const nsLabels = graph.namespaces.get(pod.namespace);
    const label = nsLabels?.[enforceLabel] as PssLevel | undefined;
    // A namespace in the set without the label runs at the cluster default, privileged.
    const level = nsLabels
      ? label && pssLevels.includes(label)
        ? label
        : 'privileged'
      : (options.defaultPssLevel ?? 'restricted');
    const requested = nsLabels?.[enforceVersionLabel];
    // The same pod is judged by each cluster version's admission; identical findings are reported once.
    const merged = new Map<string, { finding: Finding; versions: string[] }>();
    for (const kubernetesVersion of versions) {
      const policyVersion = effectivePssVersion(requested, kubernetesVersion);
      if (!policyVersion) {
        const f = finding(
          pod.doc,
          'pss-version-invalid',
          `namespace ${pod.namespace} asks for policy version "${requested}"`,
        );
        merged.set(f.message, { finding: f, versions: [kubernetesVersion] });
        continue;
      }
      for (const f of checkPodSecurity(pod.doc.object, level, pod.doc.source, policyVersion)) {
        const own = { ...finding(pod.doc, f.rule, f.message, f.field), ...(f.fix ? { fix: f.fix } : {}) };
        const key = `${f.rule}\0${f.field ?? ''}\0${f.message}`;
        const entry = merged.get(key) ?? { finding: own, versions: [] };
        entry.versions.push(kubernetesVersion);
        merged.set(key, entry);
      }
    }
    return [...merged.values()].map(({ finding: f, versions: vs }) =>
      vs.length === versions.length ? f : { ...f, message: `${f.message} (Kubernetes ${vs.join(', ')})` },
    );
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
function regoFindings(docs: Doc[]): Finding[] {
  if (docs.length === 0) return [];
  const byRef = new Map(docs.map((d) => [refKey(d.ref), d]));
  const stream = docs.map((d) => JSON.stringify(d.object)).join('\n---\n');
  return conftest(stream, '<input>').map((f) => {
    const doc = byRef.get(refKey(f.object));
    return doc ? { ...f, source: doc.line ? `${doc.source}:${doc.line}` : doc.source, object: doc.ref } : f;
  });
}

function refKey(ref: ObjectRef): string {
  return [ref.apiVersion, ref.kind, ref.namespace ?? '', ref.name].join('/');
}

export function runEngine(docs: Doc[], options: EngineOptions = {}): EngineResult {
  const graph = new ManifestGraph(docs);
  const findings = [
    ...schemaFindings(docs, options),
    ...pssFindings(graph, options),
    ...regoFindings(docs),
    ...runGraphRules(graph).map((v) => finding(v.doc, v.rule, v.message, v.field)),
  ];
  return applySuppressions(docs, findings);
}
