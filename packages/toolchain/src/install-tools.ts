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
 * A Go program built once per stamp into .tools/bin/NAME: a present binary whose stamp file matches is
 * reused; otherwise `build(staging)` writes the program to a staging path that is then renamed into place,
 * so a failed build leaves no binary and no stamp. `failure` is the error (naming the pin and what to check)
 * when the build fails; `label` says what is built in the log.
 */
export function buildStamped(options: {
  name: string;
  label: string;
  /** What is built from where, for the log. */
  source: string;
  stamp: string;
  build: (staging: string) => void;
  failure: string;
  log: (line: string) => void;
}): string {
  const { name, label, source, stamp, build, failure, log } = options;
  mkdirSync(binDir, { recursive: true });
  const target = join(binDir, name);
  const stampFile = `${target}.version`;
  if (existsSync(target) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
    log(`${label}: present`);
    return target;
  }
  const staging = join(binDir, `.staging-${name}-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  log(`${label}: building ${source}`);
  const started = Date.now();
  try {
    build(staging);
    renameSync(staging, target);
  } catch {
    throw new Error(failure);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  writeFileSync(stampFile, stamp);
  log(`${label}: built in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return target;
}

/** The environment of every Go build of the tools: no cgo, the installed Go, a writable module cache. */
export const goBuildEnv = { GOFLAGS: '-modcacherw', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' } as const;

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
  return buildStamped({
    name,
    label: `${name} ${pin.version}`,
    source: `${pin.module}@${pin.version}`,
    stamp: binaryStamp(pin),
    log,
    failure:
      `packages/toolchain/versions.json: ${where}: "go install ${pin.module}@${pin.version}" failed; ` +
      'check that the module version is served by the Go module proxy and builds with the installed Go',
    build: (staging) => {
      // go install names the program after the module; it lands in a directory of its own, then moves.
      const gobin = `${staging}.gobin`;
      mkdirSync(gobin, { recursive: true });
      try {
        execFileSync('go', ['install', '-trimpath', `${pin.module}@${pin.version}`], {
          timeout: timeouts.goBuild,
          killSignal: 'SIGKILL',
          cwd: binDir,
          stdio: 'inherit',
          env: { ...process.env, ...goBuildEnv, GOBIN: gobin },
        });
        renameSync(join(gobin, basename(pin.module)), staging);
      } finally {
        rmSync(gobin, { recursive: true, force: true });
      }
    },
  });
}

export function installTools(): void {
  const { binaries } = readToolVersions();
  for (const [name, pin] of Object.entries(binaries) as [BinaryName, (typeof binaries)[BinaryName]][]) {
    goInstall(name, pin, `binaries.${name}`);
  }
}
