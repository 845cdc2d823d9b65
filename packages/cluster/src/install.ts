// Installs what the cluster needs, each part pinned and stamped so that a warm run does nothing:
// Debian packages (containerd, runc, CNI plugins, iptables, ipset, conntrack) at the versions
// packages/toolchain/versions.json names; the programs of the control plane's Go module (kubenode, double,
// images) from the same go.mod and build cache as the control plane; kube-router and CoreDNS with
// `go install` at their pinned versions; Traefik from its own small module (packages/cluster/traefik).

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStamped, goBuildEnv, goInstall, readToolVersions, timeouts } from '@neurascale/toolchain';
import { buildControlPlane, buildModuleProgram } from '@neurascale/toolchain/controlplane';

export function installedDebianVersion(pkg: string): string | undefined {
  // dpkg-query's own format placeholders, not a template string
  const format = ['-f=$', '{Status}\t$', '{Version}'].join('');
  const r = spawnSync('dpkg-query', ['-W', format, pkg], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const [status, version] = r.stdout.split('\t');
  return status === 'install ok installed' ? version : undefined;
}

/** Installs the pinned Debian packages that are missing or at another version (needs root and apt). */
export function ensureDebianPackages(log: (line: string) => void): void {
  const wanted = readToolVersions().cluster.debian;
  const missing = Object.entries(wanted).filter(([pkg, version]) => installedDebianVersion(pkg) !== version);
  if (missing.length === 0) {
    log(`debian packages: present (${Object.keys(wanted).join(', ')})`);
    return;
  }
  if (process.getuid?.() !== 0) {
    throw new Error(
      `the cluster needs root to install ${missing.map(([p, v]) => `${p}=${v}`).join(' ')} and to run a node`,
    );
  }
  const specs = missing.map(([pkg, version]) => `${pkg}=${version}`);
  log(`debian packages: installing ${specs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...specs], {
      stdio: 'inherit',
      env,
      timeout: timeouts.goBuild,
    });
  if (install().status !== 0) {
    // A fresh machine has no package lists yet.
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env, timeout: timeouts.goBuild });
    if (install().status !== 0) {
      throw new Error(
        `apt-get install ${specs.join(' ')} failed: check that packages/toolchain/versions.json ` +
          'cluster.debian names versions the Debian mirror serves (apt-cache policy PACKAGE)',
      );
    }
  }
}

/** kube-router, CoreDNS and Prometheus, built like the validation tools. */
export function ensureGoBinary(
  name: 'kube-router' | 'coredns' | 'prometheus',
  log: (line: string) => void,
): string {
  return goInstall(name, readToolVersions().cluster.binaries[name], `cluster.binaries.${name}`, log);
}

/** The Go module that pins Traefik (with the replaces its own go.mod needs). */
export const traefikModuleDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'traefik');

/**
 * Traefik, the Gateway API implementation of environments whose Gateway class is traefik: built from the
 * module above into the tools' bin directory, stamped with its go.mod, go.sum and the Go version.
 */
export function ensureTraefik(log: (line: string) => void): string {
  // Without symbol tables the image is a third smaller, and every cluster imports it.
  const flags = ['build', '-trimpath', '-ldflags=-s -w', '-o'];
  const goVersion = execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
  return buildStamped({
    name: 'traefik',
    label: 'traefik',
    source: 'github.com/traefik/traefik/v3/cmd/traefik (packages/cluster/traefik/go.mod)',
    stamp: createHash('sha256')
      .update(flags.join(' '))
      .update(readFileSync(join(traefikModuleDir, 'go.mod')))
      .update(readFileSync(join(traefikModuleDir, 'go.sum')))
      .update(goVersion)
      .digest('hex'),
    log,
    failure:
      'packages/cluster/traefik/go.mod: building Traefik failed; check that every module it requires is served ' +
      'by the Go module proxy (go mod download) and that go.sum is complete (go mod tidy)',
    build: (staging) =>
      execFileSync('go', [...flags, staging, 'github.com/traefik/traefik/v3/cmd/traefik'], {
        cwd: traefikModuleDir,
        timeout: timeouts.goBuild,
        killSignal: 'SIGKILL',
        stdio: 'inherit',
        env: { ...process.env, ...goBuildEnv },
      }),
  });
}

export interface Installed {
  controlplane: string;
  kubenode: string;
  double: string;
  images: string;
  kubeRouter: string;
  coredns: string;
  traefik: string;
  prometheus: string;
  cniBinDir: string;
}

export function installCluster(log: (line: string) => void): Installed {
  ensureDebianPackages(log);
  const cniBinDir = '/usr/lib/cni';
  if (!existsSync(join(cniBinDir, 'bridge'))) {
    throw new Error(`${cniBinDir}/bridge is missing although containernetworking-plugins is installed`);
  }
  return {
    controlplane: buildControlPlane({ log }).binary,
    kubenode: buildModuleProgram('kubenode', { log }).binary,
    double: buildModuleProgram('double', { log }).binary,
    images: buildModuleProgram('images', { log }).binary,
    kubeRouter: ensureGoBinary('kube-router', log),
    coredns: ensureGoBinary('coredns', log),
    traefik: ensureTraefik(log),
    prometheus: ensureGoBinary('prometheus', log),
    cniBinDir,
  };
}
