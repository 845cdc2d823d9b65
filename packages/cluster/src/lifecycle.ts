// The cluster's life cycle across processes: `up` starts a detached supervisor that runs the cluster and
// a reaper that restores the host if the supervisor dies without doing so (SIGKILL included); `down`
// stops the supervisor (which restores the host) or restores it itself from the saved state; `status`
// reports. One cluster per machine: a second `up` is refused while a supervisor lives.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processAlive } from '@neurascale/toolchain';
import { type RunningCluster, startCluster } from './cluster.ts';
import { restoreHost, type SavedHost, saveHost } from './host.ts';
import { installCluster } from './install.ts';
import { paths, runRoot, stateRoot } from './paths.ts';

export interface ClusterState {
  phase: 'starting' | 'ready' | 'stopping' | 'failed';
  supervisorPid: number;
  reaperPid?: number;
  kubeconfig?: string;
  hostIP?: string;
  pids?: Record<string, number>;
  timings?: Record<string, number>;
  error?: string;
  saved: SavedHost;
}

const cli = fileURLToPath(new URL('./bin/cluster.ts', import.meta.url));

export function readState(): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(paths.state, 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

function writeState(state: ClusterState): void {
  mkdirSync(stateRoot, { recursive: true });
  writeFileSync(`${paths.state}.partial`, JSON.stringify(state, null, 2));
  // rename is atomic: a reader sees the old state or the new one
  renameSync(`${paths.state}.partial`, paths.state);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Restores the host from a state whose supervisor is gone, and removes the state. */
export function cleanUp(state: ClusterState, log: (line: string) => void): void {
  restoreHost(state.saved, log);
  rmSync(stateRoot, { recursive: true, force: true, maxRetries: 3 });
  rmSync(runRoot, { recursive: true, force: true, maxRetries: 3 });
}

export class AlreadyRunning extends Error {}

/**
 * Starts a cluster in a detached supervisor and resolves once it is ready. A state left by a run whose
 * supervisor and reaper are both gone is cleaned up first.
 */
export async function up(log: (line: string) => void, timeoutMs = 15 * 60_000): Promise<ClusterState> {
  const existing = readState();
  if (existing && processAlive(existing.supervisorPid)) {
    throw new AlreadyRunning(
      `a cluster is already running (supervisor pid ${existing.supervisorPid}, phase ${existing.phase}); ` +
        'one cluster per machine: stop it with "npm run cluster -- down"',
    );
  }
  if (existing) {
    if (existing.reaperPid && processAlive(existing.reaperPid)) await waitGone(existing.reaperPid, 120_000);
    if (readState()) {
      log('cluster: cleaning up after a run that ended without doing so');
      cleanUp(existing, log);
    }
  }
  // Build and install in the foreground, where the output is seen.
  installCluster(log);
  mkdirSync(paths.logs, { recursive: true });
  const out = openSync(join(paths.logs, 'supervisor.log'), 'a');
  let supervisor: ReturnType<typeof spawn>;
  try {
    supervisor = spawn(process.execPath, [cli, 'supervise'], {
      detached: true,
      stdio: ['ignore', out, out],
    });
  } finally {
    closeSync(out);
  }
  supervisor.unref();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = readState();
    if (state?.phase === 'ready') return state;
    if (state?.phase === 'failed' || supervisor.exitCode !== null || supervisor.signalCode !== null) {
      const reason = state?.error ?? `the supervisor exited (${supervisor.exitCode})`;
      // the reaper (or the supervisor itself) restores the host
      throw new Error(`cluster up failed: ${reason}\nsupervisor log: ${join(paths.logs, 'supervisor.log')}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`cluster up: not ready within ${timeoutMs / 1000}s; see ${paths.logs}`);
    }
    await sleep(250);
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Stops the cluster and restores the host; a no-op when none runs. */
export async function down(log: (line: string) => void): Promise<boolean> {
  const state = readState();
  if (!state) return false;
  if (processAlive(state.supervisorPid)) {
    process.kill(state.supervisorPid, 'SIGTERM');
    if (!(await waitGone(state.supervisorPid, 180_000))) {
      log(`cluster: the supervisor (pid ${state.supervisorPid}) did not stop; killing it`);
      process.kill(state.supervisorPid, 'SIGKILL');
      await waitGone(state.supervisorPid, 10_000);
    }
  }
  if (state.reaperPid && processAlive(state.reaperPid)) await waitGone(state.reaperPid, 180_000);
  const left = readState();
  if (left) cleanUp(left, log);
  return true;
}

/** The supervisor: records the host, starts the reaper and the cluster, and on a signal tears it down. */
export async function supervise(log: (line: string) => void): Promise<void> {
  const saved = saveHost();
  const state: ClusterState = { phase: 'starting', supervisorPid: process.pid, saved };
  writeState(state);
  const reaper = spawn(process.execPath, [cli, 'reap', String(process.pid)], {
    detached: true,
    stdio: 'ignore',
  });
  reaper.unref();
  state.reaperPid = reaper.pid;
  writeState(state);

  let cluster: RunningCluster | undefined;
  let stopping = false;
  const teardown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    writeState({ ...state, phase: 'stopping' });
    try {
      await cluster?.stop();
    } finally {
      cleanUp(state, log);
      log(`cluster: stopped, host restored`);
      process.exit(code);
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    // The control plane registers its own handlers, which would exit before the host is restored.
    process.removeAllListeners(signal);
    process.on(signal, () => void teardown(0));
  }
  try {
    const tools = installCluster(log);
    cluster = await startCluster(tools, log);
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      process.removeAllListeners(signal);
      process.on(signal, () => void teardown(0));
    }
    Object.assign(state, {
      phase: 'ready',
      kubeconfig: cluster.kubeconfig,
      hostIP: cluster.hostIP,
      pids: cluster.pids,
      timings: cluster.timings,
    });
    writeState(state);
    log(`cluster: ready (${JSON.stringify(cluster.timings)})`);
  } catch (error) {
    log(`cluster: start failed: ${(error as Error).message}`);
    writeState({ ...state, phase: 'failed', error: (error as Error).message });
    await teardown(1);
    return;
  }
  // Watch the components: one that dies takes the cluster down (a test must not run on half a node).
  for (;;) {
    await sleep(1000);
    const failure = cluster.failed();
    if (failure && !stopping) {
      log(`cluster: ${failure}`);
      writeState({ ...state, phase: 'failed', error: failure });
      await teardown(1);
    }
  }
}

/** The reaper: waits for the supervisor to go and restores the host if it left its state behind. */
export async function reap(supervisorPid: number, log: (line: string) => void): Promise<void> {
  while (processAlive(supervisorPid)) await sleep(250);
  const state = readState();
  if (state && state.supervisorPid === supervisorPid) {
    log(`cluster: supervisor ${supervisorPid} ended without cleaning up; restoring the host`);
    cleanUp(state, log);
  }
}
