// Fast checks of the control plane's pins: how they are derived from k8s.io/kubernetes's go.mod, and that
// the committed tools/controlplane/go.mod agrees with packages/toolchain/versions.json (the go command parses it; no
// network). The end-to-end test (controlplane.test.ts) regenerates go.mod and go.sum and compares.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  committedPins,
  controlPlaneModuleDir,
  type GoModJson,
  ldflags,
  newestKubernetesVersion,
  pinsFromKubernetesGoMod,
  readGoMod,
  renderGoMod,
  stagingVersion,
} from '../src/controlplane/index.ts';
import { readToolVersions } from '../src/index.ts';

const kubernetesGoMod: GoModJson = {
  Module: { Path: 'k8s.io/kubernetes' },
  Go: '1.26.0',
  GoDebug: [{ Key: 'default', Value: 'go1.26' }],
  Require: [
    { Path: 'go.etcd.io/etcd/client/v3', Version: 'v3.7.0' },
    { Path: 'go.etcd.io/etcd/server/v3', Version: 'v3.7.0', Indirect: true },
    { Path: 'k8s.io/api', Version: 'v0.0.0' },
    { Path: 'k8s.io/apiserver', Version: 'v0.0.0' },
    { Path: 'k8s.io/klog/v2', Version: 'v2.140.0' },
  ],
  Replace: [
    { Old: { Path: 'k8s.io/apiserver' }, New: { Path: './staging/src/k8s.io/apiserver' } },
    { Old: { Path: 'k8s.io/api' }, New: { Path: './staging/src/k8s.io/api' } },
    // replaced but not required (not published either): must not be pinned
    { Old: { Path: 'k8s.io/sample-controller' }, New: { Path: './staging/src/k8s.io/sample-controller' } },
  ],
};

describe('control plane pins', () => {
  it('takes the newest Kubernetes version of the matrix, comparing numerically', () => {
    expect(newestKubernetesVersion(['v1.9.0', 'v1.32.13', 'v1.10.1'])).toBe('v1.32.13');
    expect(newestKubernetesVersion(['v1.37.2', 'v1.37.10'])).toBe('v1.37.10');
    expect(() => newestKubernetesVersion(['1.37.2'])).toThrow(/not vMAJOR.MINOR.PATCH/);
  });

  it('maps a Kubernetes release to its staging module version', () => {
    expect(stagingVersion('v1.37.2')).toBe('v0.37.2');
    expect(() => stagingVersion('v2.0.0')).toThrow();
  });

  it('derives staging modules, etcd, go and godebug from k8s.io/kubernetes go.mod', () => {
    const pins = pinsFromKubernetesGoMod('v1.37.2', kubernetesGoMod);
    expect(pins).toEqual({
      kubernetes: 'v1.37.2',
      etcd: 'v3.7.0',
      go: '1.26.0',
      goDebug: [{ Key: 'default', Value: 'go1.26' }],
      staging: ['k8s.io/api', 'k8s.io/apiserver'],
      libraries: {},
    });
    const goMod = renderGoMod(pins);
    expect(goMod).toContain('\ngo 1.26.0\n');
    expect(goMod).toContain('\ngodebug default=go1.26\n');
    expect(goMod).toContain('\tgo.etcd.io/etcd/server/v3 v3.7.0\n\tk8s.io/kubernetes v1.37.2\n');
    expect(goMod).toContain(
      '\tk8s.io/api       => k8s.io/api v0.37.2\n\tk8s.io/apiserver => k8s.io/apiserver v0.37.2\n',
    );
    expect(goMod).not.toContain('sample-controller');
  });

  it('requires the pinned libraries of our own programs, sorted, before the Kubernetes modules', () => {
    const pins = pinsFromKubernetesGoMod('v1.37.2', kubernetesGoMod, {
      'github.com/zz/last': 'v1.0.0',
      'github.com/google/go-containerregistry': 'v0.21.5',
    });
    expect(renderGoMod(pins)).toContain(
      'require (\n\tgithub.com/google/go-containerregistry v0.21.5\n\tgithub.com/zz/last v1.0.0\n' +
        '\tgo.etcd.io/etcd/server/v3 v3.7.0\n',
    );
  });

  it('refuses a go.mod without staging replaces or an etcd client', () => {
    expect(() => pinsFromKubernetesGoMod('v1.37.2', { ...kubernetesGoMod, Replace: [] })).toThrow(
      /no staging/,
    );
    expect(() =>
      pinsFromKubernetesGoMod('v1.37.2', {
        ...kubernetesGoMod,
        Require: kubernetesGoMod.Require?.filter((r) => !r.Path.startsWith('go.etcd.io/etcd/client')),
      }),
    ).toThrow(/go.etcd.io\/etcd\/client\/v3/);
  });

  it('sets the version variables of component-base and client-go', () => {
    const flags = ldflags('v1.37.2', '2026-10-27T12:01:04Z').split(' -X ');
    for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
      expect(flags).toContain(`${pkg}.gitVersion=v1.37.2`);
      expect(flags).toContain(`${pkg}.gitMajor=1`);
      expect(flags).toContain(`${pkg}.gitMinor=37`);
      expect(flags).toContain(`${pkg}.buildDate=2026-10-27T12:01:04Z`);
    }
  });

  it('has a committed go.mod that pins the newest Kubernetes, its etcd and its staging modules', () => {
    const newest = newestKubernetesVersion(readToolVersions().kubernetes.versions);
    const pins = committedPins();
    expect(pins.kubernetes).toBe(newest);
    const goMod = readGoMod(join(controlPlaneModuleDir, 'go.mod'));
    const required = new Map((goMod.Require ?? []).map((r) => [r.Path, r.Version]));
    // etcd releases its modules together: the server is the release of the client Kubernetes requires.
    expect(required.get('go.etcd.io/etcd/client/v3')).toBe(pins.etcd);
    const replaces = goMod.Replace ?? [];
    expect(replaces.length).toBeGreaterThan(20);
    for (const r of replaces) {
      expect(r.Old.Path).toMatch(/^k8s\.io\//);
      expect(r.New).toEqual({ Path: r.Old.Path, Version: stagingVersion(newest) });
      const version = required.get(r.Old.Path);
      if (version !== undefined) expect(version).toBe(stagingVersion(newest));
    }
    expect(goMod.Go).toBe('1.26.0');
  });
});
