// Process helpers shared by the tools that clean up after runs killed before they could.

/** Whether a process with this id exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * How long each kind of external process may run before it is stopped (SIGKILL). Generous: they bound a
 * hang, they do not measure speed (the benchmark does).
 */
export const timeouts = {
  /** kustomize, kubeconform, conftest on one input (10,000 objects take well under a minute). */
  tool: 5 * 60_000,
  /** One kubectl call against the throw-away control plane. */
  kubectl: 2 * 60_000,
  /** go mod download, go mod edit, go env, the certificate helper. */
  goQuery: 10 * 60_000,
  /** go install / go build of a pinned tool or the control plane (about 10 minutes cold). */
  goBuild: 45 * 60_000,
} as const;
