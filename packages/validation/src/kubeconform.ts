// Schema validation with kubeconform -strict against our offline schemas (Kubernetes core per version
// of the matrix, plus the CRDs we emit). Unknown fields and duplicate keys are errors.
import { spawnSync } from 'node:child_process';
import { binaryPath, kubeconformVersion, schemaLocations } from '../../../tools/src/toolchain.ts';
import type { Finding } from './findings.ts';
import { ToolError } from './kustomize.ts';

interface KubeconformResource {
  filename: string;
  kind: string;
  name: string;
  version: string;
  status: 'statusValid' | 'statusInvalid' | 'statusError' | 'statusSkipped' | 'statusEmpty';
  msg: string;
  validationErrors?: { path: string; msg: string }[];
}

/** kubeconform reports JSON pointers (/spec/containers/0/image); we report spec.containers[0].image. */
export function pointerToField(pointer: string): string {
  return pointer
    .split('/')
    .filter(Boolean)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

function fixFor(message: string): string {
  if (/additional propert/i.test(message)) return 'remove or correct the misspelled field in the builder';
  if (/missing propert/i.test(message)) return 'set the required field in the builder';
  if (/could not find schema/i.test(message))
    return 'use a kind and apiVersion served by the target Kubernetes version';
  return 'make the field match the Kubernetes API schema';
}

export function kubeconform(
  stream: string,
  source: string,
  kubernetesVersion: string,
  schemaRoot?: string,
): Finding[] {
  const args = ['-strict', '-output', 'json', '-kubernetes-version', kubeconformVersion(kubernetesVersion)];
  for (const location of schemaLocations(schemaRoot)) args.push('-schema-location', location);
  const result = spawnSync(binaryPath('kubeconform'), [...args, '-'], {
    input: stream,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) throw new ToolError(`kubeconform: ${result.error.message}; run \`nx run tools:install\``);
  let parsed: { resources?: KubeconformResource[] };
  try {
    parsed = JSON.parse(result.stdout) as { resources?: KubeconformResource[] };
  } catch {
    throw new ToolError(`kubeconform produced no report (exit ${result.status}):\n${result.stderr.trim()}`);
  }
  const rule = `schema/kubernetes-${kubernetesVersion}`;
  return (parsed.resources ?? []).flatMap((r): Finding[] => {
    if (r.status !== 'statusInvalid' && r.status !== 'statusError') return [];
    const object = { apiVersion: r.version, kind: r.kind, name: r.name };
    const errors = r.validationErrors?.length ? r.validationErrors : [{ path: '', msg: r.msg }];
    return errors.map((e) => ({
      source,
      object,
      ...(e.path ? { field: pointerToField(e.path) } : {}),
      rule,
      severity: 'error',
      message: e.msg,
      fix: fixFor(e.msg),
    }));
  });
}
