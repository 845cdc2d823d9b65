import { describe, expect, it } from 'vitest';
import {
  checkPodSecurity,
  effectivePssVersion,
  evaluatePodSecurity,
  pssChecks,
  pssPolicyMinor,
} from '../src/pod-security.ts';

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
const fields = (o: unknown, level: 'baseline' | 'restricted' = 'restricted', version?: string) =>
  checkPodSecurity(o as Record<string, unknown>, level, 'test', version).map((f) => f.field);
const checksAt = (o: unknown, level: 'baseline' | 'restricted', version: string) =>
  evaluatePodSecurity(o as Record<string, unknown>, level, version).map((v) => v.check);

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
    // At restricted the volume-type check replaces the hostPath check, as upstream: one finding.
    expect(fields(hostPath)).toEqual(['spec.volumes[0].hostPath']);
    expect(checksAt(hostPath, 'restricted', 'latest')).toEqual(['restrictedVolumes']);
    expect(fields(pod({ volumes: [{ name: 'c', emptyDir: {} }] }))).toEqual([]);
    // A volume without a source is defaulted to emptyDir by the API server; image volumes are allowed.
    expect(fields(pod({ volumes: [{ name: 'd' }, { name: 'i', image: { reference: 'r:1' } }] }))).toEqual([]);
    expect(fields(pod({ volumes: [{ name: 'n', nfs: { server: 's', path: '/' } }] }))).toEqual([
      'spec.volumes[0].nfs',
    ]);
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

  it('reports violations with the rule of the profile the control belongs to, the check, object, field and message', () => {
    const [violation, ...rest] = checkPodSecurity(pod({ hostPID: true }), 'baseline', 'src');
    expect(rest).toEqual([]);
    expect(violation).toEqual({
      source: 'src',
      object: { apiVersion: 'v1', kind: 'Pod', namespace: 'n', name: 'p' },
      field: 'spec.hostPID',
      rule: 'pss-baseline',
      check: 'hostNamespaces',
      message: expect.stringMatching(/hostPID/),
    });
    // A baseline control broken in a restricted namespace is still the baseline rule; a restricted one is not.
    const restricted = checkPodSecurity(pod({ hostPID: true }), 'restricted', 'src');
    expect(restricted.find((v) => v.check === 'hostNamespaces')?.rule).toBe('pss-baseline');
    expect(restricted.filter((v) => v.check !== 'hostNamespaces').map((v) => v.rule)).not.toContain(
      'pss-baseline',
    );
  });

  it('refuses an explicit runAsNonRoot: false on the pod even when the container sets true', () => {
    expect(
      fields(pod({ securityContext: { seccompProfile: { type: 'RuntimeDefault' }, runAsNonRoot: false } })),
    ).toEqual(['spec.securityContext.runAsNonRoot']);
  });

  it('checks AppArmor and seccomp annotations on the pod template metadata', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      spec: {
        template: {
          metadata: { annotations: { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' } },
          spec: pod({}).spec,
        },
      },
    };
    expect(fields(deployment, 'baseline')).toEqual([
      'spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]',
    ]);
    const seccomp = pod({ securityContext: {} }) as any;
    seccomp.metadata.annotations = { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' };
    // The alpha annotation counts only before 1.19, when the field took over.
    expect(fields(seccomp, 'baseline', 'v1.18')).toEqual([
      'metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]',
    ]);
    expect(fields(seccomp, 'baseline', 'v1.19')).toEqual([]);
  });

  it('applies each check from the policy version upstream introduced it', () => {
    const probeHost = pod({
      containers: [{ ...goodContainer, livenessProbe: { httpGet: { host: '10.0.0.1', port: 8080 } } }],
    });
    expect(fields(probeHost, 'baseline', 'v1.33')).toEqual([]);
    expect(fields(probeHost, 'baseline', 'v1.34')).toEqual(['spec.containers[0].livenessProbe.httpGet.host']);

    const root = pod({
      securityContext: { seccompProfile: { type: 'RuntimeDefault' }, runAsUser: 0, runAsNonRoot: true },
    });
    expect(fields(root, 'restricted', 'v1.22')).toEqual([]);
    expect(fields(root, 'restricted', 'v1.23')).toEqual(['spec.securityContext.runAsUser']);

    const engine = pod({ securityContext: { seLinuxOptions: { type: 'container_engine_t' } } });
    expect(fields(engine, 'baseline', 'v1.30')).toEqual(['spec.securityContext.seLinuxOptions.type']);
    expect(fields(engine, 'baseline', 'v1.31')).toEqual([]);

    const sysctl = (name: string) => pod({ securityContext: { sysctls: [{ name, value: '1' }] } });
    expect(fields(sysctl('net.ipv4.ip_local_reserved_ports'), 'baseline', 'v1.26')).toHaveLength(1);
    expect(fields(sysctl('net.ipv4.ip_local_reserved_ports'), 'baseline', 'v1.27')).toEqual([]);
    expect(fields(sysctl('net.ipv4.tcp_keepalive_time'), 'baseline', 'v1.28')).toHaveLength(1);
    expect(fields(sysctl('net.ipv4.tcp_keepalive_time'), 'baseline', 'v1.29')).toEqual([]);
    expect(fields(sysctl('net.ipv4.tcp_rmem'), 'baseline', 'v1.31')).toHaveLength(1);
    expect(fields(sysctl('net.ipv4.tcp_rmem'), 'baseline', 'v1.32')).toEqual([]);
    expect(fields(sysctl('net.ipv4.tcp_notsent_lowat'), 'baseline', 'v1.36')).toEqual([
      'spec.securityContext.sysctls[0].name',
    ]);
    expect(fields(sysctl('net.ipv4.tcp_notsent_lowat'), 'baseline', 'v1.37')).toEqual([]);
    expect(fields(sysctl('kernel.msgmax'), 'baseline')).toHaveLength(1);

    const bare = pod({
      securityContext: { runAsNonRoot: true },
      containers: [{ name: 'app', image: 'a:1' }],
    });
    expect(fields(bare, 'restricted', 'v1.7')).toEqual([]);
    expect(checksAt(bare, 'restricted', 'v1.8')).toEqual(['allowPrivilegeEscalation']);
    expect(checksAt(bare, 'restricted', 'v1.19')).toEqual([
      'allowPrivilegeEscalation',
      'seccompProfile_restricted',
    ]);
    expect(checksAt(bare, 'restricted', 'v1.22')).toEqual([
      'allowPrivilegeEscalation',
      'seccompProfile_restricted',
      'capabilities_restricted',
    ]);
  });

  it('exempts Windows pods from Linux-only restricted fields from 1.25', () => {
    const windows = pod({
      os: { name: 'windows' },
      securityContext: { runAsNonRoot: true },
      containers: [{ name: 'w' }],
    });
    expect(checksAt(windows, 'restricted', 'v1.24')).toEqual([
      'allowPrivilegeEscalation',
      'seccompProfile_restricted',
      'capabilities_restricted',
    ]);
    expect(fields(windows, 'restricted', 'v1.25')).toEqual([]);
  });

  it('relaxes procMount, runAsNonRoot and runAsUser for user-namespace pods from 1.35', () => {
    const userNs = pod({
      hostUsers: false,
      securityContext: { seccompProfile: { type: 'RuntimeDefault' }, runAsUser: 0 },
      containers: [
        {
          ...goodContainer,
          securityContext: {
            ...goodContainer.securityContext,
            runAsNonRoot: undefined,
            procMount: 'Unmasked',
          },
        },
      ],
    });
    expect(checksAt(userNs, 'baseline', 'v1.34')).toEqual(['procMount']);
    expect(checksAt(userNs, 'baseline', 'v1.35')).toEqual([]);
    expect(checksAt(userNs, 'restricted', 'v1.34')).toEqual(['procMount', 'runAsNonRoot', 'runAsUser']);
    // Restricted keeps refusing an unmasked /proc.
    expect(checksAt(userNs, 'restricted', 'v1.35')).toEqual(['procMount_restricted']);
  });

  it('takes the policy version as latest, v1.N or 1.N and refuses anything else', () => {
    const probeHost = pod({
      containers: [{ ...goodContainer, startupProbe: { tcpSocket: { host: 'db', port: 5432 } } }],
    });
    expect(fields(probeHost, 'baseline', 'latest')).toHaveLength(1);
    expect(fields(probeHost, 'baseline', '1.33')).toEqual([]);
    expect(fields(probeHost, 'baseline', 'v1.99')).toHaveLength(1);
    expect(() => fields(probeHost, 'baseline', 'v2.0')).toThrow(/latest.*v1\.N/);
    expect(pssPolicyMinor('v1.32.13')).toBe(32);
    expect(pssPolicyMinor('newest')).toBeUndefined();
    expect(pssChecks('baseline', 'v1.33')).not.toContain('hostProbesAndHostLifecycle');
    expect(pssChecks('restricted')).not.toContain('capabilities_baseline');
  });

  it('derives the version a cluster evaluates from the namespace label', () => {
    expect(effectivePssVersion(undefined, 'v1.32.13')).toBe('v1.32');
    expect(effectivePssVersion('latest', 'v1.37.2')).toBe('v1.37');
    expect(effectivePssVersion('v1.30', 'v1.37.2')).toBe('v1.30');
    expect(effectivePssVersion('v1.35', 'v1.32.13')).toBe('v1.32');
    expect(effectivePssVersion('1.30', 'v1.37.2')).toBe('v1.30');
    expect(effectivePssVersion('bogus', 'v1.37.2')).toBeUndefined();
  });
});
