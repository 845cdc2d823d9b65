// Pod Security Standards (baseline and restricted) evaluated on pod templates, so that a pod the
// namespace's Pod Security Admission would refuse fails here, before it reaches a cluster.
//
// The checks follow upstream Pod Security Admission (k8s.io/pod-security-admission, policy/check_*.go)
// check by check, including which policy version each rule applies from, which restricted check replaces
// which baseline check, and the exemptions for Windows pods (spec.os.name) and user-namespace pods
// (spec.hostUsers: false). packages/validation/test/pss-conformance.test.ts holds them to upstream's own
// fixtures for every Kubernetes version of the matrix. See docs/pod-security.md.
import type { ObjectRef, Violation } from './findings.ts';

export type PssLevel = 'privileged' | 'baseline' | 'restricted';

/**
 * The newest policy version with a change of its own (the `net.ipv4.tcp_slow_start_after_idle` and
 * `net.ipv4.tcp_notsent_lowat` sysctls). Newer versions, and `latest`, evaluate like this one, as upstream
 * clamps a version newer than its newest check to that check's version.
 */
export const newestPssPolicyVersion = 'v1.37';

type Json = Record<string, unknown>;

/** One violation: the check that found it (upstream's check id), the profile that check belongs to, and
 * where and what. The fix for each check is catalogued (policies/rules.json, `checks` of pss-<level>). */
export interface PssViolation {
  check: string;
  level: 'baseline' | 'restricted';
  field: string;
  message: string;
}

const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const obj = (v: unknown): Json => (isObj(v) ? v : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? v.map(obj) : []);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** Set in the Go sense: a null or absent field decodes to a nil pointer. */
const isSet = (v: unknown): boolean => v !== undefined && v !== null;
/** A string field as Go sees it: absent or null is "". */
const str = (v: unknown): string => (typeof v === 'string' ? v : isSet(v) ? String(v) : '');
const quote = (items: string[]): string => items.map((i) => `"${i}"`).join(', ');

// ---------------------------------------------------------------------------------------------------------
// Versions

const versionPattern = /^v?1\.(0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))?$/;

/**
 * The policy minor a version names: `latest` is Infinity, `v1.N` (the form of the
 * `pod-security.kubernetes.io/enforce-version` label) and `1.N` are N; a patch (`v1.32.13`) is ignored.
 * undefined when the value is none of these.
 */
export function pssPolicyMinor(version: unknown): number | undefined {
  // A label value from malformed input may be anything; only a string can name a version.
  if (typeof version !== 'string') return undefined;
  if (version === 'latest') return Number.POSITIVE_INFINITY;
  const match = versionPattern.exec(version.trim());
  return match ? Number(match[1]) : undefined;
}

/**
 * The policy version a cluster of `kubernetesVersion` (e.g. `v1.32.13`) evaluates for a namespace whose
 * `pod-security.kubernetes.io/enforce-version` label is `label` (absent: `latest`). A cluster evaluates
 * `latest`, and any version newer than itself, as its own minor. undefined when the label is not a valid
 * version (the API server refuses such a label on the namespace).
 */
export function effectivePssVersion(label: unknown, kubernetesVersion: string): string | undefined {
  const requested = pssPolicyMinor(label ?? 'latest');
  const cluster = pssPolicyMinor(kubernetesVersion);
  if (requested === undefined || cluster === undefined) return undefined;
  return `v1.${Math.min(requested, cluster)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Where the pod is

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

interface Container {
  /** Dotted path of the container, e.g. spec.template.spec.initContainers[0]. */
  at: string;
  name: string;
  c: Json;
  sc: Json;
}

/** The pod as the checks see it, and the policy version (minor) they evaluate. */
interface Pod {
  minor: number;
  spec: Json;
  /** Dotted path of the pod spec and of the pod metadata (annotations). */
  at: string;
  metaAt: string;
  annotations: Record<string, string>;
  sc: Json;
  containers: Container[];
  windows: boolean;
  /** hostUsers: false, i.e. the pod runs in a user namespace. */
  userNamespace: boolean;
}

function podOf(object: Json, specPath: string[], minor: number): Pod {
  const spec = specPath.reduce<Json>((node, key) => obj(node[key]), object);
  const metaPath = [...specPath.slice(0, -1), 'metadata'];
  const meta = metaPath.reduce<Json>((node, key) => obj(node[key]), object);
  const at = specPath.join('.');
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(meta.annotations))) annotations[k] = str(v);
  // The order of upstream's container visitor: init containers, containers, ephemeral containers.
  const containers = (['initContainers', 'containers', 'ephemeralContainers'] as const).flatMap((key) =>
    arr(spec[key]).map((c, i) => ({
      at: `${at}.${key}[${i}]`,
      name: str(c.name),
      c,
      sc: obj(c.securityContext),
    })),
  );
  return {
    minor,
    spec,
    at,
    metaAt: metaPath.join('.'),
    annotations,
    sc: obj(spec.securityContext),
    containers,
    windows: obj(spec.os).name === 'windows',
    userNamespace: spec.hostUsers === false,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Checks. Each returns its violations; version gates inside a check mirror upstream's versioned variants.

type Found = Omit<PssViolation, 'check' | 'level'>;

interface CheckDef {
  id: string;
  level: 'baseline' | 'restricted';
  /** First policy minor the check applies to. */
  since: number;
  /** Baseline checks this restricted check replaces while it applies. */
  overrides?: string[];
  run: (pod: Pod) => Found[];
}

function hostNamespaces(pod: Pod): Found[] {
  return (['hostNetwork', 'hostPID', 'hostIPC'] as const)
    .filter((key) => pod.spec[key] === true)
    .map((key) => ({
      field: `${pod.at}.${key}`,
      message: `${key}=true shares the node's namespace with the pod`,
    }));
}

function privileged(pod: Pod): Found[] {
  return pod.containers
    .filter(({ sc }) => sc.privileged === true)
    .map(({ at, name }) => ({
      field: `${at}.securityContext.privileged`,
      message: `container "${name}" must not set securityContext.privileged=true`,
    }));
}

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

function capabilitiesBaseline(pod: Pod): Found[] {
  return pod.containers.flatMap(({ at, name, sc }) => {
    const bad = list(obj(sc.capabilities).add)
      .map(str)
      .filter((cap) => !baselineCapabilities.has(cap));
    if (bad.length === 0) return [];
    return [
      {
        field: `${at}.securityContext.capabilities.add`,
        message: `container "${name}" adds non-default ${bad.length === 1 ? 'capability' : 'capabilities'} ${quote(bad)}`,
      },
    ];
  });
}

function hostPathVolumes(pod: Pod): Found[] {
  return arr(pod.spec.volumes).flatMap((v, i) =>
    isSet(v.hostPath)
      ? [
          {
            field: `${pod.at}.volumes[${i}].hostPath`,
            message: `volume "${str(v.name)}" is a hostPath volume`,
          },
        ]
      : [],
  );
}

function hostPorts(pod: Pod): Found[] {
  return pod.containers.flatMap(({ at, name, c }) =>
    arr(c.ports).flatMap((p, i) =>
      isSet(p.hostPort) && p.hostPort !== 0
        ? [
            {
              field: `${at}.ports[${i}].hostPort`,
              message: `container "${name}" uses hostPort ${str(p.hostPort)}`,
            },
          ]
        : [],
    ),
  );
}

const appArmorAnnotationPrefix = 'container.apparmor.security.beta.kubernetes.io/';

function appArmorProfile(pod: Pod): Found[] {
  const out: Found[] = [];
  const profile = (sc: Json, where: string, who: string) => {
    if (!isObj(sc.appArmorProfile)) return;
    const type = str(sc.appArmorProfile.type);
    if (type !== 'RuntimeDefault' && type !== 'Localhost') {
      out.push({
        field: `${where}.securityContext.appArmorProfile.type`,
        message: `${who} must not set AppArmor profile type to "${type}"`,
      });
    }
  };
  profile(pod.sc, pod.at, 'pod');
  for (const { at, name, sc } of pod.containers) profile(sc, at, `container "${name}"`);
  for (const [key, value] of Object.entries(pod.annotations).sort(([a], [b]) => a.localeCompare(b))) {
    if (!key.startsWith(appArmorAnnotationPrefix)) continue;
    if (value === '' || value === 'runtime/default' || value.startsWith('localhost/')) continue;
    out.push({
      field: `${pod.metaAt}.annotations[${key}]`,
      message: `annotation ${key} must not set AppArmor profile "${value}"`,
    });
  }
  return out;
}

const seLinuxTypes = ['', 'container_t', 'container_init_t', 'container_kvm_t'];
const seLinuxTypes1_31 = [...seLinuxTypes, 'container_engine_t'];

function seLinuxOptions(pod: Pod): Found[] {
  const allowed = pod.minor >= 31 ? seLinuxTypes1_31 : seLinuxTypes;
  const out: Found[] = [];
  const options = (sc: Json, where: string, who: string) => {
    if (!isObj(sc.seLinuxOptions)) return;
    const se = sc.seLinuxOptions;
    const type = str(se.type);
    if (!allowed.includes(type)) {
      out.push({
        field: `${where}.securityContext.seLinuxOptions.type`,
        message: `${who} must not set SELinux type "${type}" (allowed: ${quote(allowed.filter((t) => t !== ''))})`,
      });
    }
    for (const key of ['user', 'role'] as const) {
      if (str(se[key]) !== '') {
        out.push({
          field: `${where}.securityContext.seLinuxOptions.${key}`,
          message: `${who} must not set a SELinux ${key}`,
        });
      }
    }
  };
  options(pod.sc, pod.at, 'pod');
  for (const { at, name, sc } of pod.containers) options(sc, at, `container "${name}"`);
  return out;
}

function unmaskedProcMount(pod: Pod): Found[] {
  return pod.containers
    .filter(({ sc }) => isSet(sc.procMount) && sc.procMount !== 'Default')
    .map(({ at, name, sc }) => ({
      field: `${at}.securityContext.procMount`,
      message: `container "${name}" must not set securityContext.procMount to "${str(sc.procMount)}"`,
    }));
}

function procMountBaseline(pod: Pod): Found[] {
  // From 1.35, a pod in a user namespace may unmask /proc at baseline.
  if (pod.minor >= 35 && pod.userNamespace) return [];
  return unmaskedProcMount(pod);
}

const seccompPodAnnotation = 'seccomp.security.alpha.kubernetes.io/pod';
const seccompContainerAnnotationPrefix = 'container.seccomp.security.alpha.kubernetes.io/';
const validSeccompType = (type: string) => type === 'RuntimeDefault' || type === 'Localhost';

/** Before 1.19 the alpha annotations; from 1.19 securityContext.seccompProfile, where Unconfined is refused. */
function seccompProfileBaseline(pod: Pod): Found[] {
  const out: Found[] = [];
  if (pod.minor < 19) {
    const annotation = (key: string) => {
      const value = pod.annotations[key];
      if (value === undefined) return;
      if (value === 'runtime/default' || value === 'docker/default' || value.startsWith('localhost/')) return;
      out.push({
        field: `${pod.metaAt}.annotations[${key}]`,
        message: `annotation ${key} must not set seccomp profile "${value}"`,
      });
    };
    annotation(seccompPodAnnotation);
    for (const { name } of pod.containers) annotation(seccompContainerAnnotationPrefix + name);
    return out;
  }
  const profile = (sc: Json, where: string, who: string) => {
    if (!isSet(sc.seccompProfile)) return;
    const type = str(obj(sc.seccompProfile).type);
    if (!validSeccompType(type)) {
      out.push({
        field: `${where}.securityContext.seccompProfile.type`,
        message: `${who} must not set securityContext.seccompProfile.type to "${type}"`,
      });
    }
  };
  profile(pod.sc, pod.at, 'pod');
  for (const { at, name, sc } of pod.containers) profile(sc, at, `container "${name}"`);
  return out;
}

const sysctls1_0 = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
];
/** The safe sysctls, growing by policy version. */
const safeSysctlsSince: [number, string[]][] = [
  [0, sysctls1_0],
  [27, ['net.ipv4.ip_local_reserved_ports']],
  [
    29,
    [
      'net.ipv4.tcp_keepalive_time',
      'net.ipv4.tcp_fin_timeout',
      'net.ipv4.tcp_keepalive_intvl',
      'net.ipv4.tcp_keepalive_probes',
    ],
  ],
  [32, ['net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem']],
  [37, ['net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat']],
];

function sysctls(pod: Pod): Found[] {
  const safe = new Set(
    safeSysctlsSince.filter(([since]) => pod.minor >= since).flatMap(([, names]) => names),
  );
  return arr(pod.sc.sysctls).flatMap((sysctl, i) =>
    safe.has(str(sysctl.name))
      ? []
      : [
          {
            field: `${pod.at}.securityContext.sysctls[${i}].name`,
            message: `sysctl ${str(sysctl.name)} is not in the safe set of policy version ${pod.minor === Number.POSITIVE_INFINITY ? 'latest' : `v1.${pod.minor}`}`,
          },
        ],
  );
}

function windowsHostProcess(pod: Pod): Found[] {
  const out: Found[] = [];
  const hostProcess = (sc: Json, where: string, who: string) => {
    if (obj(sc.windowsOptions).hostProcess === true) {
      out.push({
        field: `${where}.securityContext.windowsOptions.hostProcess`,
        message: `${who} must not set securityContext.windowsOptions.hostProcess=true`,
      });
    }
  };
  hostProcess(pod.sc, pod.at, 'pod');
  for (const { at, name, sc } of pod.containers) hostProcess(sc, at, `container "${name}"`);
  return out;
}

function hostProbesAndHostLifecycle(pod: Pod): Found[] {
  const out: Found[] = [];
  for (const { at, name, c } of pod.containers) {
    const handlers: [string, unknown][] = [
      ['livenessProbe', c.livenessProbe],
      ['readinessProbe', c.readinessProbe],
      ['startupProbe', c.startupProbe],
      ['lifecycle.postStart', obj(c.lifecycle).postStart],
      ['lifecycle.preStop', obj(c.lifecycle).preStop],
    ];
    for (const [where, handler] of handlers) {
      for (const action of ['httpGet', 'tcpSocket'] as const) {
        const host = str(obj(obj(handler)[action]).host);
        if (host === '') continue;
        out.push({
          field: `${at}.${where}.${action}.host`,
          message: `container "${name}" ${where} must not set host "${host}"`,
        });
      }
    }
  }
  return out;
}

const allowedVolumeTypes = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

function restrictedVolumes(pod: Pod): Found[] {
  return arr(pod.spec.volumes).flatMap((v, i) => {
    const types = Object.keys(v).filter((k) => k !== 'name' && isSet(v[k]));
    // No source at all is defaulted to emptyDir by the API server.
    if (types.length === 0 || types.some((t) => allowedVolumeTypes.has(t))) return [];
    const type = types[0] as string;
    return [
      {
        field: `${pod.at}.volumes[${i}].${type}`,
        message: `volume "${str(v.name)}" uses restricted volume type ${type}`,
      },
    ];
  });
}

function allowPrivilegeEscalation(pod: Pod): Found[] {
  // From 1.25 a Windows pod is exempt: the API refuses these Linux-only fields on it.
  if (pod.minor >= 25 && pod.windows) return [];
  return pod.containers
    .filter(({ sc }) => sc.allowPrivilegeEscalation !== false)
    .map(({ at, name }) => ({
      field: `${at}.securityContext.allowPrivilegeEscalation`,
      message: `container "${name}" must set securityContext.allowPrivilegeEscalation=false`,
    }));
}

function runAsNonRoot(pod: Pod): Found[] {
  // From 1.35 a pod in a user namespace may run as (namespaced) root.
  if (pod.minor >= 35 && pod.userNamespace) return [];
  const explicit: Found[] = [];
  const implicit: Found[] = [];
  const podValue = pod.sc.runAsNonRoot;
  if (podValue === false) {
    explicit.push({
      field: `${pod.at}.securityContext.runAsNonRoot`,
      message: 'pod must not set securityContext.runAsNonRoot=false',
    });
  }
  for (const { at, name, sc } of pod.containers) {
    if (isSet(sc.runAsNonRoot)) {
      if (sc.runAsNonRoot === false) {
        explicit.push({
          field: `${at}.securityContext.runAsNonRoot`,
          message: `container "${name}" must not set securityContext.runAsNonRoot=false`,
        });
      }
    } else if (podValue !== true) {
      implicit.push({
        field: `${at}.securityContext.runAsNonRoot`,
        message: `pod or container "${name}" must set securityContext.runAsNonRoot=true`,
      });
    }
  }
  return explicit.length > 0 ? explicit : implicit;
}

function runAsUser(pod: Pod): Found[] {
  if (pod.minor >= 35 && pod.userNamespace) return [];
  const root = (sc: Json, where: string, who: string): Found[] =>
    sc.runAsUser === 0
      ? [
          {
            field: `${where}.securityContext.runAsUser`,
            message: `${who} must not set runAsUser=0`,
          },
        ]
      : [];
  return [
    ...root(pod.sc, pod.at, 'pod'),
    ...pod.containers.flatMap(({ at, name, sc }) => root(sc, at, `container "${name}"`)),
  ];
}

function seccompProfileRestricted(pod: Pod): Found[] {
  if (pod.minor >= 25 && pod.windows) return [];
  const explicit: Found[] = [];
  const implicit: Found[] = [];
  let podSet = false;
  if (isSet(pod.sc.seccompProfile)) {
    const type = str(obj(pod.sc.seccompProfile).type);
    if (validSeccompType(type)) podSet = true;
    else
      explicit.push({
        field: `${pod.at}.securityContext.seccompProfile.type`,
        message: `pod must not set securityContext.seccompProfile.type to "${type}"`,
      });
  }
  for (const { at, name, sc } of pod.containers) {
    if (isSet(sc.seccompProfile)) {
      const type = str(obj(sc.seccompProfile).type);
      if (!validSeccompType(type)) {
        explicit.push({
          field: `${at}.securityContext.seccompProfile.type`,
          message: `container "${name}" must not set securityContext.seccompProfile.type to "${type}"`,
        });
      }
    } else if (!podSet) {
      implicit.push({
        field: `${at}.securityContext.seccompProfile.type`,
        message: `pod or container "${name}" must set securityContext.seccompProfile.type to RuntimeDefault or Localhost`,
      });
    }
  }
  return explicit.length > 0 ? explicit : implicit;
}

function capabilitiesRestricted(pod: Pod): Found[] {
  if (pod.minor >= 25 && pod.windows) return [];
  const out: Found[] = [];
  for (const { at, name, sc } of pod.containers) {
    const caps = sc.capabilities;
    if (!isSet(caps) || !list(obj(caps).drop).includes('ALL')) {
      out.push({
        field: `${at}.securityContext.capabilities.drop`,
        message: `container "${name}" must set securityContext.capabilities.drop=["ALL"]`,
      });
    }
    const bad = list(obj(caps).add)
      .map(str)
      .filter((cap) => cap !== 'NET_BIND_SERVICE');
    if (bad.length > 0) {
      out.push({
        field: `${at}.securityContext.capabilities.add`,
        message: `container "${name}" must not add ${quote(bad)}; only NET_BIND_SERVICE may be added`,
      });
    }
  }
  return out;
}

/**
 * Upstream's checks, in the order findings are reported (baseline, then restricted). A check applies from
 * `since`; while a restricted check applies, the baseline checks it overrides do not run at restricted.
 */
const checks: CheckDef[] = [
  { id: 'hostNamespaces', level: 'baseline', since: 0, run: hostNamespaces },
  { id: 'privileged', level: 'baseline', since: 0, run: privileged },
  { id: 'capabilities_baseline', level: 'baseline', since: 0, run: capabilitiesBaseline },
  { id: 'hostPathVolumes', level: 'baseline', since: 0, run: hostPathVolumes },
  { id: 'hostPorts', level: 'baseline', since: 0, run: hostPorts },
  { id: 'hostProbesAndHostLifecycle', level: 'baseline', since: 34, run: hostProbesAndHostLifecycle },
  { id: 'appArmorProfile', level: 'baseline', since: 0, run: appArmorProfile },
  { id: 'seLinuxOptions', level: 'baseline', since: 0, run: seLinuxOptions },
  { id: 'procMount', level: 'baseline', since: 0, run: procMountBaseline },
  { id: 'seccompProfile_baseline', level: 'baseline', since: 0, run: seccompProfileBaseline },
  { id: 'sysctls', level: 'baseline', since: 0, run: sysctls },
  { id: 'windowsHostProcess', level: 'baseline', since: 0, run: windowsHostProcess },
  {
    id: 'restrictedVolumes',
    level: 'restricted',
    since: 0,
    overrides: ['hostPathVolumes'],
    run: restrictedVolumes,
  },
  { id: 'allowPrivilegeEscalation', level: 'restricted', since: 8, run: allowPrivilegeEscalation },
  { id: 'runAsNonRoot', level: 'restricted', since: 0, run: runAsNonRoot },
  { id: 'runAsUser', level: 'restricted', since: 23, run: runAsUser },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    since: 19,
    overrides: ['seccompProfile_baseline'],
    run: seccompProfileRestricted,
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    since: 22,
    overrides: ['capabilities_baseline'],
    run: capabilitiesRestricted,
  },
  {
    id: 'procMount_restricted',
    level: 'restricted',
    since: 35,
    overrides: ['procMount'],
    run: unmaskedProcMount,
  },
];

/** The ids of the checks evaluated at a level and policy version, in reporting order. */
export function pssChecks(level: PssLevel, version = 'latest'): string[] {
  return activeChecks(level, parseVersion(version)).map((c) => c.id);
}

/** The profile (baseline or restricted) each check belongs to, by check id. */
export function pssCheckLevels(): Record<string, 'baseline' | 'restricted'> {
  return Object.fromEntries(checks.map((c) => [c.id, c.level]));
}

/** For each restricted check, the baseline checks it replaces at restricted (from the same version). */
export function pssCheckOverrides(): Record<string, string[]> {
  return Object.fromEntries(checks.filter((c) => c.overrides).map((c) => [c.id, [...(c.overrides ?? [])]]));
}

function parseVersion(version: string): number {
  const minor = pssPolicyMinor(version);
  if (minor === undefined) {
    throw new Error(`Pod Security Standards version "${version}": must be "latest" or "v1.N"`);
  }
  return minor;
}

function activeChecks(level: PssLevel, minor: number): CheckDef[] {
  if (level === 'privileged') return [];
  const applicable = checks.filter(
    (c) => c.since <= minor && (c.level === 'baseline' || level === 'restricted'),
  );
  const overridden = new Set(applicable.flatMap((c) => c.overrides ?? []));
  return applicable.filter((c) => !overridden.has(c.id));
}

/**
 * The violations of the pod (template) in `object` against `level` at policy `version` (`latest`,
 * `v1.N` or `1.N`; default `latest`). Objects without a pod template have none.
 */
export function evaluatePodSecurity(object: Json, level: PssLevel, version = 'latest'): PssViolation[] {
  const minor = parseVersion(version);
  const path = podSpecPath(typeof object.kind === 'string' ? object.kind : undefined);
  if (!path || level === 'privileged') return [];
  const pod = podOf(object, path, minor);
  return activeChecks(level, minor).flatMap((c) =>
    c.run(pod).map((f) => ({ check: c.id, level: c.level, ...f })),
  );
}

/**
 * Violations of the pod (template) in `object` under the Pod Security Standard `level` at policy `version`
 * (`latest`, the default, or `v1.N` as in the `pod-security.kubernetes.io/enforce-version` namespace
 * label). Each names the rule of the profile its control belongs to: a baseline control broken in a
 * restricted namespace is `pss-baseline`. Throws on a version that is neither.
 */
export function checkPodSecurity(
  object: Json,
  level: PssLevel,
  source: string,
  version = 'latest',
): Violation[] {
  const violations = evaluatePodSecurity(object, level, version);
  if (violations.length === 0) return [];
  const meta = obj(object.metadata);
  const ref: ObjectRef = {
    apiVersion: String(object.apiVersion),
    kind: String(object.kind),
    ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}),
    ...(typeof meta.name === 'string' ? { name: meta.name } : {}),
  };
  return violations.map((v) => ({
    source,
    object: ref,
    field: v.field,
    rule: `pss-${v.level}`,
    check: v.check,
    message: v.message,
  }));
}
