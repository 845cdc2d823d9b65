// validate-server PATH... — starts a throw-away control plane, and for each path (a Kustomize directory,
// a file or a directory of manifests) installs the CRDs and namespaces it needs, server-side dry-runs every
// object, and checks what each workload service account may do. Each path gets its own control plane, so
// one environment's RBAC can never leak into another's answers. Exit 1 on an error-level finding.
import { parseArgs } from 'node:util';
import { assertToolchainReady } from '@neurascale/toolchain';
import { startControlPlane } from '@neurascale/toolchain/controlplane';
import type { EngineResult } from './engine.ts';
import { hasErrors } from './findings.ts';
import { loadPaths } from './inputs.ts';
import { type Format, formats, report } from './reporters.ts';
import { accessMatrix, dryRun, formatAccessMatrix, prepare } from './server.ts';

export async function validateOnServer(
  path: string,
  log: (s: string) => void = () => {},
): Promise<EngineResult> {
  const loaded = loadPaths([path]);
  const docs = loaded.docs;
  const cp = await startControlPlane();
  try {
    await prepare(cp, docs);
    const rejected = await dryRun(cp, docs);
    const access = await accessMatrix(cp, docs);
    log(
      `${path}: access of workload service accounts and bound groups on the server\n${formatAccessMatrix(access.rows)}\n`,
    );
    return {
      findings: [...loaded.findings, ...rejected, ...access.findings],
      suppressed: [],
      objects: docs.length,
      inputs: [path],
      engines: ['server dry-run', 'rbac access'],
    };
  } finally {
    await cp.stop();
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: 'string', default: 'text' } },
  });
  const format = values.format as Format;
  if (positionals.length === 0 || !formats.includes(format)) {
    process.stderr.write(`usage: validate-server PATH... [--format ${formats.join('|')}]\n`);
    return 2;
  }
  try {
    // Kustomize directories are rendered first; the control plane builds itself when its stamp is stale.
    assertToolchainReady(['kustomize'], false);
  } catch (error) {
    process.stderr.write(`validate-server: ${(error as Error).message}\n`);
    return 2;
  }
  let failed = false;
  for (const path of positionals) {
    const started = performance.now();
    const result = await validateOnServer(path, (s) => process.stdout.write(s));
    process.stdout.write(report(result, format));
    process.stdout.write(
      `${path}: server-side dry-run in ${((performance.now() - started) / 1000).toFixed(1)}s\n`,
    );
    failed ||= hasErrors(result.findings);
  }
  return failed ? 1 : 0;
}
