// Renders a Kustomize directory with the pinned kustomize binary (the version Argo CD bundles), so we
// validate exactly what Argo CD will apply.
import { spawnSync } from 'node:child_process';
import { binaryPath } from '@neurascale/toolchain';

export class ToolError extends Error {}

export function kustomizeBuild(dir: string): string {
  const result = spawnSync(binaryPath('kustomize'), ['build', dir], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) {
    throw new ToolError(
      `kustomize: ${result.error.message}; run \`nx run tools:install\` to build the pinned tools`,
    );
  }
  if (result.status !== 0) throw new ToolError(`kustomize build ${dir} failed:\n${result.stderr.trim()}`);
  return result.stdout;
}
