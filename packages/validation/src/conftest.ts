// Per-object Rego policies (policies/*.rego) run by the pinned conftest. Rego decides what is wrong and
// where (rule id, field, message); severity and fix come from the rule catalogue, policies/rules.json,
// and so do the thresholds the policies read (data.params).
//
// Mapping results to objects: conftest reads a multi-document stream from stdin as one file ("-") and
// reports one result per policy namespace, without saying which document a violation came from. So
// every violation carries the identity of the object it was evaluated on (apiVersion, kind,
// namespace, name), added in one place by the Rego helper data.neurascale.lib.finding; conftest hands
// it back under metadata.object. This keeps one conftest run per stream (one process, one policy
// compile) and ordinary per-object policies (input is one object), and does not depend on document
// order or on how conftest splits or skips documents. A violation without that identity is refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalogued, policiesDir, type RegoParams, regoParams } from './catalogue.ts';
import type { Finding, ObjectRef } from './findings.ts';
import { runTool, ToolError } from './run-tool.ts';

interface ConftestMessage {
  msg: string;
  metadata?: Record<string, unknown>;
}

interface ConftestResult {
  filename: string;
  namespace: string;
  successes: number;
  failures?: ConftestMessage[];
  warnings?: ConftestMessage[];
  exceptions?: ConftestMessage[];
}

const identityKeys = ['apiVersion', 'kind', 'namespace', 'name'] as const;

function run(args: string[], input?: string) {
  return runTool('conftest', args, { input });
}

function objectRef(value: unknown, where: string): ObjectRef {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(
      `${where}: the violation carries no object identity; build it with data.neurascale.lib.finding(rule, field, msg)`,
    );
  }
  const record = value as Record<string, unknown>;
  const ref: ObjectRef = {};
  for (const key of identityKeys) {
    const v = record[key];
    if (typeof v === 'string' && v !== '') ref[key] = v;
  }
  return ref;
}

function toFinding(message: ConftestMessage, source: string, namespace: string): Finding {
  const metadata = message.metadata ?? {};
  const where = `${metadata.query ?? `data.${namespace}`}`;
  const id = metadata.rule;
  if (typeof id !== 'string' || id === '') {
    throw new Error(`${where}: violation "${message.msg}" has no rule id`);
  }
  const field = metadata.field;
  return catalogued(
    {
      source,
      object: objectRef(metadata.object, where),
      ...(typeof field === 'string' && field !== '' ? { field } : {}),
      rule: id,
      message: message.msg,
    },
    'rego',
  );
}

/** Runs conftest with the catalogue's rule parameters as data (`data.params[rule id][name]`). */
function runWithParams(args: string[], params: RegoParams, input?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'conftest-params-'));
  try {
    const data = join(dir, 'params.json');
    writeFileSync(data, JSON.stringify(params));
    return run([...args, '--data', data], input);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * JSON that conftest's YAML round trip carries. JSON.stringify leaves some characters raw that YAML reads
 * as line breaks (U+2028, U+2029): those become \u escapes, which mean the same string. Others the YAML
 * emitter cannot write back (DEL, the C1 controls with NEL, U+FFFE, U+FFFF) and conftest re-emits every document:
 * those reach the policies as the six characters `\uXXXX`, so only a policy that looks for them could
 * tell (none does; such text is never a valid name, label or image).
 */
export function yamlSafeJson(value: unknown): string {
  const hex = (c: string) => c.charCodeAt(0).toString(16).padStart(4, '0');
  return JSON.stringify(value)
    .replace(/[\u2028\u2029]/g, (c) => `\\u${hex(c)}`)
    .replace(/[\u007f-\u009f\ufffe\uffff]/g, (c) => `\\\\u${hex(c)}`);
}

/** Runs every Rego policy under policyDir on each document of a YAML stream. */
export function conftest(
  stream: string,
  source: string,
  policyDir: string = policiesDir,
  params: RegoParams = regoParams(),
): Finding[] {
  const args = [
    'test',
    '--all-namespaces',
    '--no-color',
    '--no-fail',
    '--output',
    'json',
    '--parser',
    'yaml',
    '--policy',
    policyDir,
    '-',
  ];
  const result = runWithParams(args, params, stream);
  // With --no-fail a policy violation exits 0; anything else (parse or compile error, a Rego runtime
  // error such as conflicting outputs) is a failure of the tool or of the policies.
  if (result.status !== 0) {
    throw new ToolError(`conftest test failed (exit ${result.status}):\n${result.stderr.trim()}`);
  }
  let results: ConftestResult[];
  try {
    results = JSON.parse(result.stdout) as ConftestResult[];
  } catch {
    throw new ToolError(`conftest produced no JSON report:\n${result.stderr.trim() || result.stdout.trim()}`);
  }
  if (!Array.isArray(results)) throw new ToolError('conftest: unexpected JSON report (not an array)');
  return results.flatMap((r) =>
    [...(r.failures ?? []), ...(r.warnings ?? [])].map((m) => toFinding(m, source, r.namespace)),
  );
}

export interface VerifyResult {
  tests: number;
  passed: number;
  failures: number;
  output: string;
}

/** Runs the Rego unit tests (test_ rules) under policyDir; throws ToolError unless all pass. */
export function conftestVerify(policyDir: string = policiesDir): VerifyResult {
  const result = runWithParams(['verify', '--no-color', '--policy', policyDir], regoParams());
  const output = `${result.stdout}${result.stderr}`.trim();
  const summary = /(\d+) tests?, (\d+) passed, \d+ warnings?, (\d+) failures?/.exec(output);
  if (result.status !== 0 || !summary) {
    throw new ToolError(`conftest verify failed (exit ${result.status}):\n${output}`);
  }
  return { tests: Number(summary[1]), passed: Number(summary[2]), failures: Number(summary[3]), output };
}
