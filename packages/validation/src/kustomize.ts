// Renders a Kustomize directory with the pinned kustomize binary (the version Argo CD bundles), so we
// validate exactly what Argo CD will apply.
import { runTool, ToolError } from './run-tool.ts';

export { ToolError } from './run-tool.ts';

export function kustomizeBuild(dir: string): string {
  const result = runTool('kustomize', ['build', dir]);
  if (result.status !== 0) throw new ToolError(`kustomize build ${dir} failed:\n${result.stderr.trim()}`);
  return result.stdout;
}
