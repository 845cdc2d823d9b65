// The cluster leaves the host as it found it: after a clean `down`, and after its supervisor is killed
// (SIGKILL: nothing of it runs any more, the reaper restores the host). A second `up` is refused.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { processAlive } from '@neurascale/toolchain';
import { describe, expect, it } from 'vitest';
import { compareSnapshots, describeDifferences, takeSnapshot } from '../src/host.ts';
import { down, readState, up } from '../src/lifecycle.ts';

const log = (line: string) => console.log(line);
const cli = fileURLToPath(new URL('../src/bin/cluster.ts', import.meta.url));

async function until(what: string, ms: number, done: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function expectHostAsBefore(before: ReturnType<typeof takeSnapshot>): void {
  const diffs = compareSnapshots(before, takeSnapshot());
  expect(diffs, describeDifferences(diffs)).toEqual([]);
}

describe('the cluster on this host', () => {
  it('runs once: a second up is refused, status reports it, down leaves the host as before', async () => {
    const before = takeSnapshot();
    expect(before.processes).toEqual([]);
    const state = await up(log);
    try {
      expect(state.phase).toBe('ready');
      // While it runs, the host has changed (a bridge, iptables chains, processes, cgroups, mounts).
      const during = compareSnapshots(before, takeSnapshot()).map((d) => d.what);
      expect(during).toEqual(
        expect.arrayContaining(['processes', 'interfaces', 'iptables', 'cgroups', 'files', 'mounts']),
      );
      const second = spawnSync(process.execPath, [cli, 'up'], { encoding: 'utf8' });
      expect(second.status).toBe(3);
      expect(second.stderr).toContain('a cluster is already running');
      const status = spawnSync(process.execPath, [cli, 'status'], { encoding: 'utf8' });
      expect(status.status).toBe(0);
      expect(status.stdout).toContain('cluster: ready');
    } finally {
      await down(log);
    }
    expectHostAsBefore(before);
    expect(spawnSync(process.execPath, [cli, 'status'], { encoding: 'utf8' }).status).toBe(1);
  });

  it('killed with SIGKILL, its reaper restores the host', async () => {
    const before = takeSnapshot();
    const state = await up(log);
    const reaper = state.reaperPid ?? -1;
    expect(processAlive(reaper)).toBe(true);
    process.kill(state.supervisorPid, 'SIGKILL');
    await until('the reaper to finish', 180_000, () => !processAlive(reaper));
    expect(readState()).toBeUndefined();
    expectHostAsBefore(before);
  });
});
