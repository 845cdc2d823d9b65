// Istio's own configuration analyzer (`istioctl analyze`, offline: `--use-kube=false`) as one more engine,
// run when the set holds Istio or Gateway API configuration. It knows Istio's semantics better than any
// rule of ours (conflicting hosts, a Gateway selecting no proxy, a subset no pod carries, ...). Its messages
// are mapped back to our documents by their origin (`Kind namespace/name`); Error and Warning levels
// become the catalogue's istio-analysis-error and istio-analysis-warning findings, Info is left out.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupOf } from './graph.ts';
import type { Doc } from './inputs.ts';
import { runTool, ToolError } from './run-tool.ts';

/** The API groups whose objects make the analyzer worth running. */
export const istioGroups: ReadonlySet<string> = new Set([
  'networking.istio.io',
  'security.istio.io',
  'telemetry.istio.io',
  'extensions.istio.io',
  'gateway.networking.k8s.io',
]);

export interface AnalyzerMessage {
  code: string;
  level: string;
  origin?: string;
  message: string;
  documentationUrl?: string;
  /** `file:line` of the object the message is about, when the analyzer read it from a file. */
  reference?: string;
}

export interface AnalyzerViolation {
  doc: Doc;
  rule: 'istio-analysis-error' | 'istio-analysis-warning';
  /** The analyzer's message code, e.g. IST0101. */
  code: string;
  message: string;
}

/** `Kind namespace/name` or `Kind name` (cluster-scoped), as the analyzer names a message's origin. */
export function parseOrigin(origin: string): { kind: string; name: string; namespace?: string } | undefined {
  const match = /^(\S+) (?:([^/\s]+)\/)?(\S+)$/.exec(origin.trim());
  if (!match) return undefined;
  const [, kind = '', namespace, name = ''] = match;
  return namespace ? { kind, name, namespace } : { kind, name };
}

/** The document a message's origin names; undefined when the analyzer speaks of something not in the set. */
export function originDoc(docs: Doc[], origin: string | undefined): Doc | undefined {
  const parsed = origin ? parseOrigin(origin) : undefined;
  if (!parsed) return undefined;
  return docs.find(
    (d) =>
      d.ref.kind === parsed.kind &&
      d.ref.name === parsed.name &&
      (d.ref.namespace ?? '') === (parsed.namespace ?? ''),
  );
}

/**
 * Maps the analyzer's messages to documents: by the file a message's reference names (each document is
 * its own file, see istioAnalyze), else by its origin.
 */
export function toViolations(
  docs: Doc[],
  messages: AnalyzerMessage[],
  byFile: ReadonlyMap<string, Doc> = new Map(),
): AnalyzerViolation[] {
  return messages.flatMap((m): AnalyzerViolation[] => {
    if (m.level !== 'Error' && m.level !== 'Warning') return [];
    const file = m.reference?.replace(/:\d+$/, '');
    const doc = (file ? byFile.get(file) : undefined) ?? originDoc(docs, m.origin);
    if (!doc) return [];
    const text = `${m.code}: ${m.message}${m.documentationUrl ? ` (${m.documentationUrl})` : ''}`;
    const rule = m.level === 'Error' ? 'istio-analysis-error' : 'istio-analysis-warning';
    return [{ doc, rule, code: m.code, message: text }];
  });
}

export function wantsIstioAnalysis(docs: Doc[]): boolean {
  return docs.some((d) => istioGroups.has(groupOf(d.ref.apiVersion)));
}

export function istioAnalyze(docs: Doc[]): AnalyzerViolation[] {
  if (!wantsIstioAnalysis(docs)) return [];
  const dir = mkdtempSync(join(tmpdir(), 'istio-analyze-'));
  try {
    // One file per document: a document the analyzer cannot decode (the schema engine reports it) costs
    // only its own file, and each message's reference names its document.
    const byFile = new Map<string, Doc>();
    docs.forEach((doc, i) => {
      const file = join(dir, `${String(i).padStart(6, '0')}.json`);
      writeFileSync(file, JSON.stringify(doc.object));
      byFile.set(file, doc);
    });
    // Exit status says whether messages at the failure threshold were found; the JSON report is the verdict.
    // A document the analyzer cannot decode (a type the schema engine already reports) makes it print no
    // report at all; such files are named on stderr, left out, and the rest analyzed again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const result = runTool('istioctl', [
        'analyze',
        '--use-kube=false',
        // every namespace of the set (without it the analyzer reports on `default` only)
        '--all-namespaces',
        '--output',
        'json',
        '--output-threshold',
        'Warning',
        dir,
      ]);
      const text = result.stdout.trim();
      if (text === '' || text.startsWith('[')) {
        let messages: AnalyzerMessage[];
        try {
          messages = text === '' ? [] : (JSON.parse(text) as AnalyzerMessage[]);
        } catch {
          throw new ToolError(`istioctl analyze: unreadable report: ${text.slice(0, 200)}`);
        }
        return toViolations(docs, messages, byFile);
      }
      const undecodable = [...result.stderr.matchAll(/error processing (\S+?\.json)\[\d+\]/g)].map(
        (m) => m[1] ?? '',
      );
      if (undecodable.length === 0) {
        throw new ToolError(
          `istioctl analyze produced no report (exit ${result.status}):\n${result.stderr.trim()}`,
        );
      }
      for (const file of undecodable) {
        if (!byFile.has(file))
          throw new ToolError(`istioctl analyze could not read ${file}, which it was not given`);
        rmSync(file, { force: true });
      }
    }
    throw new ToolError(
      'istioctl analyze: still undecodable documents after leaving out five rounds of them',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
