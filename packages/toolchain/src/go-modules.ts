// Go modules as a data source: `go mod download` fetches a pinned module version through the Go module
// proxy (checked against the checksum database) into the module cache and tells us where it is.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { toolsDir } from './paths.ts';
import { timeouts } from './processes.ts';

/** What `go mod download -json` reports: paths in the module cache (Info carries the release time). */
export interface ModuleDownload {
  Dir?: string;
  GoMod?: string;
  Info?: string;
  Error?: string;
}

/** Downloads module@version if needed and returns go's record of it; errors name where it is pinned. */
export function goModDownload(
  module: string,
  version: string,
  pinnedIn = 'packages/toolchain/versions.json',
): ModuleDownload {
  const where = `${pinnedIn}: ${module}@${version}`;
  // Outside any go.mod, so that no module of ours changes what is resolved.
  mkdirSync(toolsDir, { recursive: true });
  let stdout: string;
  try {
    stdout = execFileSync('go', ['mod', 'download', '-json', `${module}@${version}`], {
      timeout: timeouts.goQuery,
      cwd: toolsDir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GOFLAGS: '-modcacherw -mod=mod', GOTOOLCHAIN: 'local' },
    });
  } catch (error) {
    // On failure go still prints the JSON record, whose Error field says why.
    stdout = String((error as { stdout?: unknown }).stdout ?? '');
    if (stdout.trim() === '') {
      throw new Error(`${where}: go mod download failed: ${(error as Error).message}`);
    }
  }
  let info: ModuleDownload;
  try {
    info = JSON.parse(stdout) as ModuleDownload;
  } catch {
    throw new Error(`${where}: unexpected output from go mod download: ${stdout.slice(0, 200)}`);
  }
  if (info.Error) throw new Error(`${where}: cannot download: ${info.Error}`);
  return info;
}

/** Returns the module's directory in the module cache, downloading it if needed. */
export function downloadModule(
  module: string,
  version: string,
  pinnedIn = 'packages/toolchain/versions.json',
): string {
  const { Dir } = goModDownload(module, version, pinnedIn);
  if (!Dir) throw new Error(`${pinnedIn}: ${module}@${version}: go mod download reported no directory`);
  return Dir;
}
