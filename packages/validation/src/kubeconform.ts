// Schema validation with kubeconform -strict against our offline schemas (Kubernetes core per version
// of the matrix, plus the CRDs we know). Every document is written to its own file so that each result
// maps back to exactly one input document, whatever the input's shape.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeconformVersion, schemaLocations } from '@neurascale/toolchain';
import type { Doc } from './inputs.ts';
import { runTool, ToolError } from './run-tool.ts';

interface KubeconformResource {
  filename: string;
  status: 'statusValid' | 'statusInvalid' | 'statusError' | 'statusSkipped' | 'statusEmpty';
  msg: string;
  validationErrors?: { path: string; msg: string }[];
}

export interface SchemaViolation {
  doc: Doc;
  rule: 'schema-invalid' | 'schema-missing';
  field?: string;
  message: string;
}

/** kubeconform reports JSON pointers (/spec/containers/0/image); we report spec.containers[0].image. */
export function pointerToField(pointer: string): string {
  return pointer
    .split('/')
    .filter(Boolean)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

export function kubeconform(docs: Doc[], kubernetesVersion: string, schemaRoot?: string): SchemaViolation[] {
  if (docs.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'kubeconform-'));
  try {
    const files = docs.map((doc, i) => {
      const file = join(dir, `${String(i).padStart(6, '0')}.json`);
      writeFileSync(file, JSON.stringify(doc.object));
      return file;
    });
    const byFile = new Map(files.map((f, i) => [f, docs[i] as Doc]));
    const args = ['-strict', '-output', 'json', '-kubernetes-version', kubeconformVersion(kubernetesVersion)];
    for (const location of schemaLocations(schemaRoot)) args.push('-schema-location', location);
    const result = runTool('kubeconform', [...args, dir]);
    let parsed: { resources?: KubeconformResource[] };
    try {
      parsed = JSON.parse(result.stdout) as { resources?: KubeconformResource[] };
    } catch {
      throw new ToolError(`kubeconform produced no report (exit ${result.status}):\n${result.stderr.trim()}`);
    }
    return (parsed.resources ?? []).flatMap((r): SchemaViolation[] => {
      const doc = byFile.get(r.filename);
      if (!doc) throw new ToolError(`kubeconform reported an unknown file ${r.filename}`);
      if (r.status === 'statusError' && /could not find schema/.test(r.msg)) {
        return [
          {
            doc,
            rule: 'schema-missing',
            message: `no schema for ${doc.ref.apiVersion} ${doc.ref.kind}`,
          },
        ];
      }
      if (r.status !== 'statusInvalid' && r.status !== 'statusError') return [];
      const errors = r.validationErrors?.length ? r.validationErrors : [{ path: '', msg: r.msg }];
      return errors.map((e) => ({
        doc,
        rule: 'schema-invalid' as const,
        ...(e.path ? { field: pointerToField(e.path) } : {}),
        message: e.msg,
      }));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
