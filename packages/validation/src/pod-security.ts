// Pod Security Standards (baseline and restricted) evaluated on pod templates, so that a pod the
// namespace's Pod Security Admission would refuse fails here, before it reaches a cluster.
import type { Finding, ObjectRef } from './findings.ts';

export type PssLevel = 'privileged' | 'baseline' | 'restricted';

type Json = Record<string, unknown>;
type Check = { field: string; message: string; fix: string };

const baselineCapabilities = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
const safeSysctls = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const restrictedVolumes = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
  'image',
]);

const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? v.map(obj) : []);

/** Where the pod spec sits in each workload kind. */
export function podSpecPath(kind: string | undefined): string[] | undefined {
  switch (kind) {
    case 'Pod':
      return ['spec'];
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
    case 'ReplicationController':
      return ['spec', 'template', 'spec'];
    case 'CronJob':
      return ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
    default:
      return undefined;
  }
}

function containers(pod: Json): { path: string; c: Json }[] {
  return (['initContainers', 'containers', 'ephemeralContainers'] as const).flatMap((key) =>
    arr(pod[key]).map((c, i) => ({ path: `${key}[${i}]`, c })),
  );
}

function baseline(pod: Json, at: string): Check[] {
  const out: Check[] = [];
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (pod[key] === true)
      out.push({ field: `${at}.${key}`, message: `${key} is not allowed`, fix: `remove ${key}` });
  }
  arr(pod.volumes).forEach((v, i) => {
    if ('hostPath' in v) {
      out.push({
        field: `${at}.volumes[${i}].hostPath`,
        message: 'hostPath volumes are not allowed',
        fix: 'use a PVC, emptyDir or a device plugin resource',
      });
    }
  });
  const podSc = obj(pod.securityContext);
  for (const sysctl of arr(podSc.sysctls)) {
    if (!safeSysctls.has(String(sysctl.name))) {
      out.push({
        field: `${at}.securityContext.sysctls`,
        message: `sysctl ${String(sysctl.name)} is not in the safe set`,
        fix: 'remove the unsafe sysctl',
      });
    }
  }
  const scChecks = (sc: Json, where: string) => {
    if (obj(sc.seccompProfile).type === 'Unconfined') {
      out.push({
        field: `${where}.seccompProfile.type`,
        message: 'seccomp Unconfined is not allowed',
        fix: 'use RuntimeDefault',
      });
    }
    if (obj(sc.appArmorProfile).type === 'Unconfined') {
      out.push({
        field: `${where}.appArmorProfile.type`,
        message: 'AppArmor Unconfined is not allowed',
        fix: 'use RuntimeDefault',
      });
    }
    const se = obj(sc.seLinuxOptions);
    if (
      se.type !== undefined &&
      !['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'].includes(
        String(se.type),
      )
    ) {
      out.push({
        field: `${where}.seLinuxOptions.type`,
        message: `SELinux type ${String(se.type)} is not allowed`,
        fix: 'remove seLinuxOptions.type',
      });
    }
    for (const k of ['user', 'role'] as const) {
      if (se[k])
        out.push({
          field: `${where}.seLinuxOptions.${k}`,
          message: `SELinux ${k} may not be set`,
          fix: `remove seLinuxOptions.${k}`,
        });
    }
    if (obj(sc.windowsOptions).hostProcess === true) {
      out.push({
        field: `${where}.windowsOptions.hostProcess`,
        message: 'Windows host processes are not allowed',
        fix: 'remove hostProcess',
      });
    }
  };
  scChecks(podSc, `${at}.securityContext`);
  for (const { path, c } of containers(pod)) {
    const sc = obj(c.securityContext);
    const where = `${at}.${path}.securityContext`;
    scChecks(sc, where);
    if (sc.privileged === true)
      out.push({
        field: `${where}.privileged`,
        message: 'privileged containers are not allowed',
        fix: 'set privileged: false',
      });
    if (sc.procMount !== undefined && sc.procMount !== 'Default') {
      out.push({
        field: `${where}.procMount`,
        message: 'procMount must be Default',
        fix: 'remove procMount',
      });
    }
    for (const cap of (obj(sc.capabilities).add as unknown[] | undefined) ?? []) {
      if (!baselineCapabilities.has(String(cap))) {
        out.push({
          field: `${where}.capabilities.add`,
          message: `capability ${String(cap)} is not allowed`,
          fix: 'drop the capability',
        });
      }
    }
    arr(c.ports).forEach((p, i) => {
      if (p.hostPort !== undefined && p.hostPort !== 0) {
        out.push({
          field: `${at}.${path}.ports[${i}].hostPort`,
          message: 'hostPort is not allowed',
          fix: 'remove hostPort; use a Service',
        });
      }
    });
  }
  return out;
}

function restricted(pod: Json, at: string): Check[] {
  const out: Check[] = [];
  arr(pod.volumes).forEach((v, i) => {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type && !restrictedVolumes.has(type)) {
      out.push({
        field: `${at}.volumes[${i}].${type}`,
        message: `volume type ${type} is not allowed`,
        fix: 'use configMap, secret, emptyDir, projected, csi, ephemeral or a PVC',
      });
    }
  });
  const podSc = obj(pod.securityContext);
  if (podSc.runAsUser === 0)
    out.push({
      field: `${at}.securityContext.runAsUser`,
      message: 'runAsUser 0 (root) is not allowed',
      fix: 'run as a non-zero UID',
    });
  const podSeccomp = obj(podSc.seccompProfile).type;
  for (const { path, c } of containers(pod)) {
    const sc = obj(c.securityContext);
    const where = `${at}.${path}.securityContext`;
    if (sc.allowPrivilegeEscalation !== false) {
      out.push({
        field: `${where}.allowPrivilegeEscalation`,
        message: 'must be false',
        fix: 'set allowPrivilegeEscalation: false',
      });
    }
    const nonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
    if (nonRoot !== true)
      out.push({
        field: `${where}.runAsNonRoot`,
        message: 'must be true (on the pod or the container)',
        fix: 'set runAsNonRoot: true',
      });
    if (sc.runAsUser === 0)
      out.push({
        field: `${where}.runAsUser`,
        message: 'runAsUser 0 (root) is not allowed',
        fix: 'run as a non-zero UID',
      });
    const seccomp = obj(sc.seccompProfile).type ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') {
      out.push({
        field: `${where}.seccompProfile.type`,
        message: 'must be RuntimeDefault or Localhost (on the pod or the container)',
        fix: 'set seccompProfile.type: RuntimeDefault',
      });
    }
    const caps = obj(sc.capabilities);
    if (!((caps.drop as unknown[] | undefined) ?? []).includes('ALL')) {
      out.push({
        field: `${where}.capabilities.drop`,
        message: 'must drop ALL',
        fix: 'set capabilities.drop: [ALL]',
      });
    }
    for (const cap of (caps.add as unknown[] | undefined) ?? []) {
      if (cap !== 'NET_BIND_SERVICE')
        out.push({
          field: `${where}.capabilities.add`,
          message: `only NET_BIND_SERVICE may be added, not ${String(cap)}`,
          fix: 'remove the capability',
        });
    }
  }
  return out;
}

export function checkPodSecurity(object: Json, level: PssLevel, source: string): Finding[] {
  const path = podSpecPath(typeof object.kind === 'string' ? object.kind : undefined);
  if (!path || level === 'privileged') return [];
  const pod = path.reduce<Json>((node, key) => obj(node[key]), object);
  const at = path.join('.');
  const checks = [...baseline(pod, at), ...(level === 'restricted' ? restricted(pod, at) : [])];
  const meta = obj(object.metadata);
  const ref: ObjectRef = {
    apiVersion: String(object.apiVersion),
    kind: String(object.kind),
    ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}),
    ...(typeof meta.name === 'string' ? { name: meta.name } : {}),
  };
  return checks.map((c) => ({
    source,
    object: ref,
    field: c.field,
    rule: `pss/${level}`,
    severity: 'error',
    message: c.message,
    fix: c.fix,
  }));
}
