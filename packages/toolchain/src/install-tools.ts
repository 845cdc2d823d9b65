// Builds the pinned Go tools (kustomize, kubeconform, conftest) from the Go module proxy into .tools/bin.
// A binary whose stamp names the pinned module@version is reused, so a warm run costs nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binDir } from './paths.ts';
import { type BinaryName, binaryStamp, type GoBinaryPin, readToolVersions } from './pins.ts';
import { timeouts } from './processes.ts';

function basename(modulePath: string): string {
  const parts = modulePath.split('/').filter((p) => !/^v\d+$/.test(p));
  const last = parts.at(-1);
  if (!last)
    throw new Error(
      `packages/toolchain/versions.json: cannot derive a binary name from module "${modulePath}"`,
    );
  return last;
}

/**
 * `go install module@version` into .tools/bin/NAME, with a stamp naming module@version; a present binary
 * with a matching stamp is reused. `where` names the pin in versions.json for the error message.
 */
export function goInstall(
  name: string,
  pin: GoBinaryPin,
  where: string,
  log: (line: string) => void = (line) => console.log(line),
): string {
  mkdirSync(binDir, { recursive: true });
  const target = join(binDir, name);
  const stampFile = `${target}.version`;
  const stamp = binaryStamp(pin);
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
      env: {
        ...process.env,
        GOBIN: staging,
        GOFLAGS: '-modcacherw',
        GOTOOLCHAIN: 'local',
        CGO_ENABLED: '0',
      },
    });
    renameSync(join(staging, basename(pin.module)), target);
  } catch {
    throw new Error(
      `packages/toolchain/versions.json: ${where}: "go install ${pin.module}@${pin.version}" failed; ` +
        'check that the module version is served by the Go module proxy and builds with the installed Go',
    );
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  writeFileSync(stampFile, stamp);
  log(`${name} ${pin.version}: built in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return target;
}

export function installTools(): void {
  const { binaries } = readToolVersions();
  for (const [name, pin] of Object.entries(binaries) as [BinaryName, (typeof binaries)[BinaryName]][]) {
    goInstall(name, pin, `binaries.${name}`);
  }
}
