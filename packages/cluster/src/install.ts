// Installs what the cluster needs, each part pinned and stamped so that a warm run does nothing:
// Debian packages (containerd, runc, CNI plugins, iptables, ipset, conntrack) at the versions
// packages/toolchain/versions.json names; the programs of the control plane's Go module (kubenode, double,
// images) from the same go.mod and build cache as the control plane; kube-router and CoreDNS with
// `go install` at their pinned versions.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binDir, readToolVersions, timeouts } from '@neurascale/toolchain';
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

/** `go install module@version` into .tools/bin/NAME with a stamp, like the validation tools. */
export function ensureGoBinary(name: 'kube-router' | 'coredns', log: (line: string) => void): string {
  const pin = readToolVersions().cluster.binaries[name];
  const target = join(binDir, name);
  const stampFile = `${target}.version`;
  const stamp = `${pin.module}@${pin.version}\n`;
  if (existsSync(target) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
    log(`${name} ${pin.version}: present`);
    return target;
  }
  const staging = join(binDir, `.staging-${name}-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  log(`${name} ${pin.version}: building ${pin.module}@${pin.version}`);
  const started = Date.now();
  try {
    execFileSync('go', ['install', '-trimpath', `${pin.module}@${pin.version}`], {
      timeout: timeouts.goBuild,
      killSignal: 'SIGKILL',
      cwd: binDir,
      stdio: 'inherit',
      env: { ...process.env, GOBIN: staging, GOFLAGS: '-modcacherw', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' },
    });
    renameSync(
      join(
        staging,
        pin.module
          .split('/')
          .filter((p) => !/^v\d+$/.test(p))
          .at(-1) ?? name,
      ),
      target,
    );
  } catch {
    throw new Error(
      `packages/toolchain/versions.json: cluster.binaries.${name}: "go install ${pin.module}@${pin.version}" failed`,
    );
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  writeFileSync(stampFile, stamp);
  log(`${name} ${pin.version}: built in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return target;
}

export interface Installed {
  controlplane: string;
  kubenode: string;
  double: string;
  images: string;
  kubeRouter: string;
  coredns: string;
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
    cniBinDir,
  };
}
