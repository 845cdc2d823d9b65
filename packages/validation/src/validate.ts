// Validates rendered manifests: kubeconform -strict for every Kubernetes version of the matrix, then
// Pod Security Standards at the level each namespace enforces. Used by the `validate` targets on every
// overlay, and by tests on deliberately broken input.
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { readToolVersions, repoRoot } from '../../../tools/src/toolchain.ts';
import { type Finding, formatText, hasErrors } from './findings.ts';
import { kubeconform } from './kubeconform.ts';
import { kustomizeBuild, ToolError } from './kustomize.ts';
import { checkPodSecurity, type PssLevel } from './pod-security.ts';

export interface ValidateOptions {
  kubernetesVersions?: string[];
  /** Level for objects whose namespace is not part of the input. */
  defaultPssLevel?: PssLevel;
  schemaRoot?: string;
}

type Json = Record<string, unknown>;

export function parseStream(stream: string): Json[] {
  return parseAllDocuments(stream)
    .map((doc) => doc.toJS() as unknown)
    .filter((d): d is Json => d !== null && typeof d === 'object' && !Array.isArray(d));
}

const enforceLabel = 'pod-security.kubernetes.io/enforce';
const levels: readonly PssLevel[] = ['privileged', 'baseline', 'restricted'];

function namespaceLevels(objects: Json[]): Map<string, PssLevel> {
  const result = new Map<string, PssLevel>();
  for (const o of objects) {
    if (o.kind !== 'Namespace') continue;
    const meta = (o.metadata ?? {}) as { name?: string; labels?: Record<string, string> };
    const level = meta.labels?.[enforceLabel] as PssLevel | undefined;
    // A namespace without the label gets the cluster default, which is privileged.
    if (meta.name) result.set(meta.name, level && levels.includes(level) ? level : 'privileged');
  }
  return result;
}

/** kubeconform reports kind and name only; add the namespace back from the rendered object. */
function withNamespaces(findings: Finding[], objects: Json[]): Finding[] {
  return findings.map((f) => {
    const match = objects.find(
      (o) =>
        o.kind === f.object.kind && (o.metadata as { name?: string } | undefined)?.name === f.object.name,
    );
    const namespace = (match?.metadata as { namespace?: string } | undefined)?.namespace;
    return namespace ? { ...f, object: { ...f.object, namespace } } : f;
  });
}

export function validateStream(stream: string, source: string, options: ValidateOptions = {}): Finding[] {
  const versions = options.kubernetesVersions ?? readToolVersions().kubernetes.versions;
  const objects = parseStream(stream);
  const schema = versions.flatMap((v) => kubeconform(stream, source, v, options.schemaRoot));
  const nsLevels = namespaceLevels(objects);
  const pss = objects.flatMap((o) => {
    const namespace = (o.metadata as { namespace?: string } | undefined)?.namespace;
    const level = (namespace && nsLevels.get(namespace)) || options.defaultPssLevel || 'restricted';
    return checkPodSecurity(o, level, source);
  });
  return [...withNamespaces(schema, objects), ...pss];
}

export function validateKustomization(dir: string, options: ValidateOptions = {}): Finding[] {
  return validateStream(kustomizeBuild(dir), relative(repoRoot, dir) || dir, options);
}

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'kubernetes-version': { type: 'string', multiple: true }, 'pss-level': { type: 'string' } },
  });
  if (positionals.length === 0) {
    console.error(
      'usage: validate.ts KUSTOMIZE_DIR... [--kubernetes-version 1.37.2] [--pss-level restricted]',
    );
    return 2;
  }
  const level = values['pss-level'] as PssLevel | undefined;
  if (level && !levels.includes(level)) {
    console.error(`validate: --pss-level must be one of ${levels.join(', ')}`);
    return 2;
  }
  const options: ValidateOptions = {
    ...(values['kubernetes-version'] ? { kubernetesVersions: values['kubernetes-version'] } : {}),
    ...(level ? { defaultPssLevel: level } : {}),
  };
  try {
    const versions = options.kubernetesVersions ?? readToolVersions().kubernetes.versions;
    const findings = positionals.flatMap((dir) => validateKustomization(dir, options));
    if (findings.length > 0) console.log(formatText(findings));
    const errors = findings.filter((f) => f.severity === 'error').length;
    console.log(
      `validate: ${positionals.join(', ')}: Kubernetes ${versions.join(', ')}: ${errors} error(s), ${findings.length - errors} warning(s)`,
    );
    return hasErrors(findings) ? 1 : 0;
  } catch (error) {
    if (error instanceof ToolError) {
      console.error(`validate: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) process.exit(main(process.argv.slice(2)));
