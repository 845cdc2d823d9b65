// Is the toolchain ready? The pinned binaries and the offline schemas are checked against their stamps
// before any work, so a missing or stale tool is one clear line with the command that fixes it, instead
// of a failure halfway through a validation.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { readStamp, schemasHash } from './build-schemas.ts';
import { binaryPath, repoRoot } from './paths.ts';
import { type BinaryName, binaryStamp, readToolVersions } from './pins.ts';

/** What is missing or not the pinned version, each naming the file; empty when ready. */
export function toolchainProblems(binaries: readonly BinaryName[], schemas = true): string[] {
  const pins = readToolVersions().binaries;
  const problems = binaries.flatMap((name) => {
    const pin = pins[name];
    const path = binaryPath(name);
    const inside = relative(repoRoot, path);
    const shown = inside && !inside.startsWith('..') ? inside : path;
    if (!existsSync(path)) return [`${name} ${pin.version} is not built (${shown} is missing)`];
    const stamp = existsSync(`${path}.version`) ? readFileSync(`${path}.version`, 'utf8') : '';
    if (stamp !== binaryStamp(pin)) {
      const built = stamp.trim() || 'an unknown version';
      return [`${shown} is ${built}, not the pinned ${pin.module}@${pin.version}`];
    }
    return [];
  });
  if (schemas && readStamp() !== schemasHash()) {
    problems.push('the offline schemas are missing or were built from other pins');
  }
  return problems;
}

/** Throws one line naming every problem and the command that fixes them all. */
export function assertToolchainReady(binaries: readonly BinaryName[], schemas = true): void {
  const problems = toolchainProblems(binaries, schemas);
  if (problems.length > 0) {
    throw new Error(
      `${problems.join('; ')}: run \`npx nx run-many -t install schemas -p toolchain\` (or \`npx install-tools && npx build-schemas\`)`,
    );
  }
}
