import { describe, expect, it } from 'vitest';
import { checkPodSecurity } from '../src/pod-security.ts';

const goodContainer = {
  name: 'app',
  image: 'app:1.0.0',
  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true },
};
const pod = (spec: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'n' },
  spec: {
    securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
    containers: [goodContainer],
    ...spec,
  },
});
const fields = (o: unknown, level: 'baseline' | 'restricted' = 'restricted') =>
  checkPodSecurity(o as Record<string, unknown>, level, 'test').map((f) => f.field);

describe('Pod Security Standards', () => {
  it('passes a pod that meets restricted', () => {
    expect(fields(pod({}))).toEqual([]);
  });

  it('fails restricted without allowPrivilegeEscalation false, drop ALL, non-root, or seccomp', () => {
    const bare = pod({ securityContext: {}, containers: [{ name: 'app', image: 'app:1' }] });
    expect(fields(bare)).toEqual([
      'spec.containers[0].securityContext.allowPrivilegeEscalation',
      'spec.containers[0].securityContext.runAsNonRoot',
      'spec.containers[0].securityContext.seccompProfile.type',
      'spec.containers[0].securityContext.capabilities.drop',
    ]);
    expect(fields(bare, 'baseline')).toEqual([]);
  });

  it('checks init containers too, and the pod template of every workload kind', () => {
    const withInit = pod({
      initContainers: [{ name: 'init', image: 'i:1', securityContext: { privileged: true } }],
    });
    expect(fields(withInit)).toContain('spec.initContainers[0].securityContext.privileged');
    const cron = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      spec: { jobTemplate: { spec: { template: pod({ hostNetwork: true }) } } },
    };
    expect(fields(cron, 'baseline')).toEqual(['spec.jobTemplate.spec.template.spec.hostNetwork']);
  });

  it('fails a hostPath volume at baseline and a non-allowed volume type at restricted', () => {
    const hostPath = pod({ volumes: [{ name: 'nvidia', hostPath: { path: '/usr/local/nvidia' } }] });
    expect(fields(hostPath, 'baseline')).toEqual(['spec.volumes[0].hostPath']);
    expect(fields(hostPath)).toEqual(['spec.volumes[0].hostPath', 'spec.volumes[0].hostPath']);
    expect(fields(pod({ volumes: [{ name: 'c', emptyDir: {} }] }))).toEqual([]);
  });

  it('allows only NET_BIND_SERVICE to be added under restricted', () => {
    const add = (cap: string) =>
      pod({
        containers: [
          {
            ...goodContainer,
            securityContext: {
              ...goodContainer.securityContext,
              capabilities: { drop: ['ALL'], add: [cap] },
            },
          },
        ],
      });
    expect(fields(add('NET_BIND_SERVICE'))).toEqual([]);
    expect(fields(add('CHOWN'))).toEqual(['spec.containers[0].securityContext.capabilities.add']);
    expect(fields(add('SYS_ADMIN'), 'baseline')).toEqual([
      'spec.containers[0].securityContext.capabilities.add',
    ]);
  });

  it('ignores objects without pods and the privileged level', () => {
    expect(fields({ kind: 'ConfigMap' })).toEqual([]);
    expect(checkPodSecurity(pod({ hostPID: true }), 'privileged', 't')).toEqual([]);
  });
});
