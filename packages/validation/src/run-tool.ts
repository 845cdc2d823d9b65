// Runs a pinned tool (kustomize, kubeconform, conftest) with a time limit; what went wrong running it (not
// what it found) becomes a ToolError that says what to do.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type BinaryName, binaryPath, timeouts } from '@neurascale/toolchain';

/** The tool could not run or did not finish: not a verdict on the input (exit 2, not 1). */
export class ToolError extends Error {}

/**
 * While a tool runs, this process sits in spawnSync and cannot act on a signal: SIGTERM or SIGINT ends it at
 * once and the tool would run on, orphaned. util-linux's setpriv, where the host has it, asks the kernel to
 * kill the tool when its parent ends (PR_SET_PDEATHSIG), then executes it in place (same pid, same
 * time limit).
 */
const dieWithParent: string[] = (() => {
  const probe = spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], {
    stdio: 'ignore',
    timeout: 10_000,
  });
  return probe.status === 0 ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];
})();

export function runTool(
  name: BinaryName,
  args: string[],
  options: { input?: string; timeoutMs?: number; cwd?: string } = {},
): SpawnSyncReturns<string> {
  const { input, timeoutMs = timeouts.tool, cwd } = options;
  if (!existsSync(binaryPath(name))) {
    throw new ToolError(`${name} is not built (${binaryPath(name)}): run \`npx install-tools\``);
  }
  const [command, ...prefix] = [...dieWithParent, binaryPath(name)];
  const result = spawnSync(command as string, [...prefix, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    ...(input === undefined ? {} : { input }),
    ...(cwd === undefined ? {} : { cwd }),
  });
  const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ETIMEDOUT') {
    throw new ToolError(`${name} ${args[0]} did not finish within ${timeoutMs / 1000}s and was stopped`);
  }
  if (code === 'ENOENT') {
    throw new ToolError(`${name} is not built (${binaryPath(name)}): run \`npx install-tools\``);
  }
  // EPIPE: the tool exited before it read all its input; its exit status and stderr say why.
  if (result.error && !(code === 'EPIPE' && result.status !== null)) {
    throw new ToolError(`${name}: ${result.error.message}`);
  }
  return result;
}
