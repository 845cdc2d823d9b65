// The Go tests of the control plane module's own programs (the service double), run with the module's
// go.mod, as the build does.
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { controlPlaneModuleDir, goEnv } from '../src/controlplane/gomod.ts';

it('the service double passes its Go tests (readiness, graceful shutdown, stores, metrics)', () => {
  const r = spawnSync('go', ['test', '-count=1', './double'], {
    cwd: controlPlaneModuleDir,
    encoding: 'utf8',
    env: goEnv({ GOFLAGS: '-modcacherw -mod=readonly', CGO_ENABLED: '0' }),
    timeout: 10 * 60_000,
  });
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  expect(r.stdout).toMatch(/^ok\s+\S+\/double/m);
});
