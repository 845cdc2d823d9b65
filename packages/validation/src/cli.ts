// validate-manifests PATH... — validates YAML files, directories and Kustomize directories (ours or
// anyone's): schema per Kubernetes version, Pod Security Standards, policies and cross-resource rules.
// Exit 1 when an error-level finding exists, 0 otherwise, 2 on usage errors.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { assertToolchainReady, readToolVersions } from '@neurascale/toolchain';
import { loadCostModel } from './cost.ts';
import { pssLevels } from './engine.ts';
import { hasErrors } from './findings.ts';
import { loadOverrides, type Override } from './overrides.ts';
import type { PssLevel } from './pod-security.ts';
import { loadProvided } from './provided.ts';
import { type Format, formats, report } from './reporters.ts';
import { ToolError } from './run-tool.ts';
import { type ValidateOptions, validatePaths } from './validate.ts';

const usage = `usage: validate-manifests PATH... [--format text|json|sarif|junit] [--kubernetes-version V]...
                          [--pss-level privileged|baseline|restricted] [--allow-missing-schema KIND]...
                          [--provided CLUSTER-PROVIDES.yaml]... [--overrides OVERRIDES.json] [--namespace NS]
                          [--repository URL=DIR]... [--rule-tests DIR]... [--cost COST-MODEL.yaml]`;

function parseCli(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'text' },
      'kubernetes-version': { type: 'string', multiple: true },
      'pss-level': { type: 'string' },
      'allow-missing-schema': { type: 'string', multiple: true },
      provided: { type: 'string', multiple: true },
      overrides: { type: 'string' },
      namespace: { type: 'string' },
      repository: { type: 'string', multiple: true },
      'rule-tests': { type: 'string', multiple: true },
      cost: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const processIo: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export function main(argv: string[], { out, err }: Io = processIo): number {
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(argv);
  } catch (error) {
    err(`validate-manifests: ${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(`${usage}\n`);
    return 0;
  }
  const problems: string[] = [];
  if (positionals.length === 0) problems.push('no PATH given');
  const format = values.format as Format;
  if (!formats.includes(format)) problems.push(`--format must be one of ${formats.join(', ')}`);
  if (values.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(values.namespace))
    problems.push(
      `--namespace ${values.namespace} is not a namespace name (lowercase letters, digits and -)`,
    );
  const repositories: Record<string, string> = {};
  for (const r of values.repository ?? []) {
    const at = r.indexOf('=');
    if (at <= 0 || at === r.length - 1) problems.push(`--repository ${r} must be URL=DIR`);
    else if (!existsSync(r.slice(at + 1)))
      problems.push(`--repository ${r}: ${r.slice(at + 1)} does not exist`);
    else repositories[r.slice(0, at)] = r.slice(at + 1);
  }
  for (const dir of values['rule-tests'] ?? []) {
    if (!existsSync(dir)) problems.push(`--rule-tests ${dir} does not exist`);
  }
  const level = values['pss-level'] as PssLevel | undefined;
  if (level && !pssLevels.includes(level))
    problems.push(`--pss-level must be one of ${pssLevels.join(', ')}`);
  const versions = values['kubernetes-version']?.map((v) => (v.startsWith('v') ? v : `v${v}`));
  const known = readToolVersions().kubernetes.versions;
  for (const v of versions ?? []) {
    if (!known.includes(v))
      problems.push(`--kubernetes-version ${v} has no offline schemas (available: ${known.join(', ')})`);
  }
  if (problems.length > 0) {
    err(`validate-manifests: ${problems.join('; ')}\n${usage}\n`);
    return 2;
  }
  // A broken declaration or overrides file is a usage error: nothing is validated against half of it.
  let overrides: { file: string; overrides: Override[] } | undefined;
  try {
    for (const file of values.provided ?? []) loadProvided(file);
    if (values.cost) loadCostModel(values.cost);
    if (values.overrides) overrides = { file: values.overrides, overrides: loadOverrides(values.overrides) };
  } catch (error) {
    err(`validate-manifests: ${(error as Error).message}\n`);
    return 2;
  }
  const options: ValidateOptions = {
    ...(versions ? { kubernetesVersions: versions } : {}),
    ...(level ? { defaultPssLevel: level } : {}),
    ...(values['allow-missing-schema'] ? { allowMissingSchemas: values['allow-missing-schema'] } : {}),
    ...(values.provided ? { provided: values.provided } : {}),
    ...(overrides ? { overrides } : {}),
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(Object.keys(repositories).length > 0 ? { repositories } : {}),
    ...(values['rule-tests'] ? { ruleTests: values['rule-tests'] } : {}),
    ...(values.cost ? { costModel: values.cost } : {}),
  };
  try {
    // A missing or stale pinned tool is found before any work, with the command that fixes it.
    assertToolchainReady(['kustomize', 'kubeconform', 'conftest']);
  } catch (error) {
    err(`validate-manifests: ${(error as Error).message}\n`);
    return 2;
  }
  try {
    const result = validatePaths(positionals, options);
    out(report(result, format));
    return hasErrors(result.findings) ? 1 : 0;
  } catch (error) {
    if (error instanceof ToolError) {
      err(`validate-manifests: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
