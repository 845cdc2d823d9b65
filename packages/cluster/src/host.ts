// The host state the cluster touches, read as a snapshot, compared, and put back. `up` records the
// snapshot before it changes anything; `down` removes whatever is new since (processes, mounts,
// interfaces, iptables rules and chains, ip sets, cgroups, files) and restores the sysctls; a test
// compares a snapshot taken after `down` with the one taken before `up`.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { cgroupRoot, runRoot, stateRoot } from './paths.ts';

/** Sysctls the node components set (kube-proxy, the kubelet, the bridge plugin). */
export const sysctls = [
  'net.ipv4.ip_forward',
  'net.ipv4.conf.all.route_localnet',
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
  'vm.overcommit_memory',
  'vm.panic_on_oom',
  'kernel.panic',
  'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys',
  'kernel.keys.root_maxbytes',
  'net.netfilter.nf_conntrack_max',
] as const;

/** Paths outside the cluster's own folders that the node components create when they are missing. */
export const foreignPaths = [
  '/var/lib/kubelet',
  '/var/lib/cni',
  '/run/containerd',
  '/run/netns',
  '/var/run/netns',
  '/etc/cni',
  '/opt/containerd',
  '/opt/cni',
  '/var/lib/kube-router',
  '/var/run/kube-router',
  '/run/kube-router',
  '/var/lib/kube-proxy',
  stateRoot,
  runRoot,
] as const;

/**
 * A process belongs to the cluster when its command line names one of the cluster's folders (every
 * component is started with a config, socket or data path there, containerd's shims included) or it runs
 * in one of the cluster's cgroups. Names alone would not do: the control plane binary also serves the
 * validation tier, which may run at the same time.
 */
export function clusterProcesses(): { pid: number; comm: string }[] {
  const found: { pid: number; comm: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes(stateRoot) && !cmdline.includes(runRoot)) continue;
      found.push({ pid: Number(entry), comm: readFileSync(`/proc/${entry}/comm`, 'utf8').trim() });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

export interface HostSnapshot {
  /** Names (/proc/PID/comm) of the processes that belong to a cluster. */
  processes: string[];
  /** Mount points. */
  mounts: string[];
  /** Network interfaces. */
  interfaces: string[];
  /** `table chain` and `table rule` lines from iptables-save and ip6tables-save (counters dropped). */
  iptables: string[];
  ip6tables: string[];
  /** Names of ip sets. */
  ipsets: string[];
  /** Cgroup directories under the cluster's cgroup root and the ones containerd and the kubelet use. */
  cgroups: string[];
  /** Which of the foreign paths exist. */
  files: string[];
  sysctls: Record<string, string>;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? r.stdout : '';
}

/** iptables-save output as stable lines: counters and comments dropped, rules kept in order. */
export function normaliseIptables(dump: string): string[] {
  const lines: string[] = [];
  let table = '';
  for (const raw of dump.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith(':')) lines.push(`${table} :${line.slice(1).split(' ')[0]}`);
    else if (line.startsWith('-A')) lines.push(`${table} ${line}`);
  }
  return lines;
}

function processNames(): string[] {
  return clusterProcesses()
    .map((p) => p.comm)
    .sort();
}

export function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[4] ?? '')
    .sort();
}

/** Cgroup v1 controller folders (or the single v2 hierarchy). */
export function cgroupHierarchies(): string[] {
  const base = '/sys/fs/cgroup';
  if (existsSync(join(base, 'cgroup.controllers'))) return [base];
  return readdirSync(base)
    .map((name) => join(base, name))
    .filter((dir) => {
      try {
        return statSync(dir).isDirectory() && !readlinkSafe(dir);
      } catch {
        return false;
      }
    });
}

function readlinkSafe(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** Top-level cgroups the cluster can create: its own root, and the kubelet's and containerd's defaults. */
const cgroupNames = [
  cgroupRoot.slice(1),
  'kubepods',
  'kubepods.slice',
  'k8s.io',
  'system.slice/containerd.service',
];

function cgroupDirs(): string[] {
  const found: string[] = [];
  for (const hierarchy of cgroupHierarchies()) {
    for (const name of cgroupNames) {
      const dir = join(hierarchy, name);
      if (existsSync(dir)) found.push(dir);
    }
  }
  return found.sort();
}

function readSysctl(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function takeSnapshot(): HostSnapshot {
  const values: Record<string, string> = {};
  for (const name of sysctls) {
    const value = readSysctl(name);
    if (value !== undefined) values[name] = value;
  }
  return {
    processes: processNames(),
    mounts: mountPoints(),
    interfaces: readdirSync('/sys/class/net').sort(),
    iptables: normaliseIptables(run('iptables-save', [])),
    ip6tables: normaliseIptables(run('ip6tables-save', [])),
    ipsets: run('ipset', ['list', '-n']).split('\n').filter(Boolean).sort(),
    cgroups: cgroupDirs(),
    files: foreignPaths.filter((p) => existsSync(p)),
    sysctls: values,
  };
}

export interface Difference {
  what: keyof HostSnapshot;
  added: string[];
  removed: string[];
}

function multiset(values: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

function minus(a: string[], b: string[]): string[] {
  const counts = multiset(b);
  const out: string[] = [];
  for (const v of a) {
    const n = counts.get(v) ?? 0;
    if (n > 0) counts.set(v, n - 1);
    else out.push(v);
  }
  return out;
}

/** What differs between two snapshots, per kind of state; empty when the host is as it was. */
export function compareSnapshots(before: HostSnapshot, after: HostSnapshot): Difference[] {
  const diffs: Difference[] = [];
  for (const key of Object.keys(before) as (keyof HostSnapshot)[]) {
    const a =
      key === 'sysctls'
        ? Object.entries(before.sysctls).map(([k, v]) => `${k}=${v}`)
        : (before[key] as string[]);
    const b =
      key === 'sysctls'
        ? Object.entries(after.sysctls).map(([k, v]) => `${k}=${v}`)
        : (after[key] as string[]);
    const added = minus(b, a);
    const removed = minus(a, b);
    if (added.length > 0 || removed.length > 0) diffs.push({ what: key, added, removed });
  }
  return diffs;
}

export function describeDifferences(diffs: Difference[]): string {
  return diffs
    .map(
      (d) =>
        `${d.what}: ${[...d.added.map((v) => `+ ${v}`), ...d.removed.map((v) => `- ${v}`)].slice(0, 20).join('; ')}`,
    )
    .join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Restoring

/** Kills every process in the given cgroup directories (and below), then removes the directories. */
export function removeCgroups(dirs: string[], log: (line: string) => void): void {
  const all: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
    }
    all.push(dir);
  };
  for (const dir of dirs) walk(dir);
  // Freeze nothing, kill everything: processes in these cgroups are containers and shims of the cluster.
  for (let round = 0; round < 20; round++) {
    let alive = 0;
    for (const dir of all) {
      let pids: string[] = [];
      try {
        pids = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
      } catch {
        continue;
      }
      for (const pid of pids) {
        alive++;
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    if (alive === 0) break;
    execFileSync('sleep', ['0.25']);
  }
  // Deepest first (the walk lists children before their parent).
  for (const dir of all) {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        rmSync(dir, { recursive: false, force: true });
        break;
      } catch {
        try {
          // cgroupfs directories are removed with rmdir, not unlink
          execFileSync('rmdir', [dir], { stdio: 'ignore' });
          break;
        } catch {
          if (!existsSync(dir)) break;
          execFileSync('sleep', ['0.25']);
        }
      }
    }
    if (existsSync(dir)) log(`cluster: could not remove cgroup ${dir}`);
  }
}

/** Unmounts every mount point below one of the prefixes, deepest first (lazily when busy). */
export function unmountBelow(prefixes: string[], keep: Set<string>, log: (line: string) => void): void {
  const targets = mountPoints()
    .filter((m) => !keep.has(m) && prefixes.some((p) => m === p || m.startsWith(`${p}/`)))
    .sort((a, b) => b.length - a.length);
  for (const target of targets) {
    const r = spawnSync('umount', [target], { stdio: 'ignore', timeout: 30_000 });
    if (r.status !== 0) {
      const lazy = spawnSync('umount', ['-l', target], { stdio: 'ignore', timeout: 30_000 });
      if (lazy.status !== 0) log(`cluster: could not unmount ${target}`);
    }
  }
}

/**
 * Puts iptables back as it was: each table that existed before is restored from its saved dump; a
 * table that did not exist is flushed and its chains deleted.
 */
export function restoreIptables(savedDump: string, binary: 'iptables' | 'ip6tables'): void {
  const tables = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of savedDump.split('\n')) {
    if (line.startsWith('*')) {
      current = [line];
      tables.set(line.slice(1), current);
    } else if (current) current.push(line);
    if (line === 'COMMIT') current = undefined;
  }
  const now = run(`${binary}-save`, []);
  const present = [...now.matchAll(/^\*(\S+)$/gm)].map((m) => m[1] as string);
  for (const table of present) {
    const saved = tables.get(table);
    if (saved) {
      spawnSync(`${binary}-restore`, [], { input: `${saved.join('\n')}\n`, timeout: 60_000 });
    } else {
      spawnSync(binary, ['-t', table, '-F'], { timeout: 60_000 });
      spawnSync(binary, ['-t', table, '-X'], { timeout: 60_000 });
      // iptables-nft keeps the emptied table; nft removes it, so the host is as it was, not merely alike.
      if (/nf_tables/.test(run(binary, ['--version']))) {
        spawnSync('nft', ['delete', 'table', binary === 'iptables' ? 'ip' : 'ip6', table], {
          timeout: 60_000,
        });
      }
    }
  }
}

export function restoreSysctls(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    if (readSysctl(name) === value) continue;
    try {
      writeFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, value);
    } catch {
      // read-only in this kernel namespace: it cannot have been changed either
    }
  }
}

/** The saved state `up` records before it changes anything. */
export interface SavedHost {
  snapshot: HostSnapshot;
  iptablesDump: string;
  ip6tablesDump: string;
}

export function saveHost(): SavedHost {
  return {
    snapshot: takeSnapshot(),
    iptablesDump: run('iptables-save', []),
    ip6tablesDump: run('ip6tables-save', []),
  };
}

/** Undoes everything that is new since `saved`, in dependency order. Safe to run more than once. */
export function restoreHost(saved: SavedHost, log: (line: string) => void): void {
  const before = saved.snapshot;
  // 1. Processes in the cluster's cgroups (containers, and the shims under containerd's cgroup).
  removeCgroups(
    takeSnapshot().cgroups.filter((d) => !before.cgroups.includes(d)),
    log,
  );
  // 2. Every other process of the cluster (a shim outside the cgroups, a component left by a killed run).
  killClusterProcesses();
  // 3. Mounts below the cluster's folders and the network namespaces.
  const keep = new Set(before.mounts);
  unmountBelow(
    [stateRoot, runRoot, '/run/netns', '/var/run/netns', '/var/lib/kubelet', '/run/containerd'],
    keep,
    log,
  );
  // 4. Interfaces: the bridge and every veth the bridge plugin made.
  for (const name of readdirSync('/sys/class/net')) {
    if (before.interfaces.includes(name)) continue;
    spawnSync('ip', ['link', 'delete', name], { stdio: 'ignore', timeout: 30_000 });
  }
  // 5. iptables (rules reference ip sets, so before the sets), then the sets.
  restoreIptables(saved.iptablesDump, 'iptables');
  restoreIptables(saved.ip6tablesDump, 'ip6tables');
  for (const set of run('ipset', ['list', '-n']).split('\n').filter(Boolean)) {
    if (!before.ipsets.includes(set))
      spawnSync('ipset', ['destroy', set], { stdio: 'ignore', timeout: 30_000 });
  }
  // 6. Files and folders that did not exist.
  for (const path of foreignPaths) {
    if (before.files.includes(path) || !existsSync(path)) continue;
    rmSync(path, { recursive: true, force: true, maxRetries: 3 });
    if (existsSync(path)) log(`cluster: could not remove ${path}`);
  }
  // 7. Sysctls.
  restoreSysctls(before.sysctls);
}

function killClusterProcesses(): void {
  for (const { pid } of clusterProcesses()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}
