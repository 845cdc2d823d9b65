// Builds kubeconform's offline schemas (.tools/schemas) from the Kubernetes OpenAPI specs and CRDs pinned in
// packages/toolchain/versions.json, all fetched as Go modules: the Go module proxy (and its checksums) is the one source.
// A stamp over the pins and the converter's source lets a warm run skip the work; the new tree is built
// beside the old one and swapped in whole, so validation never sees half a tree.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { downloadModule } from './go-modules.ts';
import { convertCrd, convertSwagger } from './openapi-schemas.ts';
import { schemasDir, toolsDir, versionsFile } from './paths.ts';
import { type CrdSourcePin, readToolVersions } from './pins.ts';
import { processAlive } from './processes.ts';

const here = dirname(fileURLToPath(import.meta.url));
const stampFile = join(schemasDir, 'stamp');

/** Everything the output depends on besides immutable (checksummed) Go modules. */
export function schemasHash(): string {
  const hash = createHash('sha256');
  for (const file of [versionsFile, join(here, 'openapi-schemas.ts'), join(here, 'build-schemas.ts')]) {
    const content = readFileSync(file);
    hash.update(`${basename(file)}\0${content.length}\0`).update(content);
  }
  return hash.digest('hex');
}

export function readStamp(): string | undefined {
  try {
    return readFileSync(stampFile, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Writes each schema as `<root>/<name>`; names come from CRDs we do not control, so keep them inside. */
function writeSchemas(root: string, schemas: Map<string, object>): void {
  for (const [name, schema] of schemas) {
    if (name.split('/').some((part) => part === '' || part === '.' || part === '..')) {
      throw new Error(`refusing to write schema with unsafe name ${JSON.stringify(name)}`);
    }
    const file = join(root, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
  }
}

function seconds(started: number): string {
  return ((performance.now() - started) / 1000).toFixed(1);
}

function buildKubernetes(module: string, version: string, root: string): void {
  // kubeconform looks under "v" + the -kubernetes-version it is given.
  if (!/^v\d+\.\d+\.\d+$/.test(version)) {
    throw new Error(
      `packages/toolchain/versions.json: kubernetes version "${version}" must look like v1.2.3`,
    );
  }
  const started = performance.now();
  const swaggerFile = join(downloadModule(module, version), 'api', 'openapi-spec', 'swagger.json');
  let schemas: Map<string, object>;
  try {
    schemas = convertSwagger(JSON.parse(readFileSync(swaggerFile, 'utf8')));
  } catch (error) {
    throw new Error(`${swaggerFile}: ${(error as Error).message}`);
  }
  writeSchemas(join(root, 'kubernetes', `${version}-standalone-strict`), schemas);
  console.log(`schemas: ${module}@${version}: ${schemas.size} schemas in ${seconds(started)}s`);
}

/** Where a quoted scalar that opens in `line` at `start` closes, or -1 when it goes on to the next line. */
function closingQuote(line: string, start: number, quote: string): number {
  for (let i = start; i < line.length; i++) {
    if (quote === '"' && line[i] === '\\') i++;
    else if (line[i] === quote) {
      if (quote === "'" && line[i + 1] === "'") i++;
      else return i;
    }
  }
  return -1;
}

const BLOCK_SCALAR = /^( *)(?:- +)?(?:[^\s#'"][^#]*?: +)?[|>][-+0-9]*(?: +#.*)?$/;
const QUOTED_VALUE = /^( *)((?:- +)?)[^\s#'"\-[{](?:[^#'":]|:(?=\S))*: +(['"])/;

/**
 * go-yaml, and so kubectl, reads a quoted scalar whose continuation lines are indented no deeper than its key;
 * YAML 1.2 and the yaml package do not ("Missing closing quote"). Flagger's CRDs are written that way. A quoted
 * scalar folds its continuation lines' leading spaces away, so indenting them under the key keeps the value.
 * Block scalars are left as they are.
 */
export function indentQuotedContinuations(text: string): string {
  const lines = text.split('\n');
  let blockParent = -1; // indentation of the line that opened a block scalar, while inside one
  let quote: { char: string; keyColumn: number } | undefined; // an unclosed quoted scalar and its key
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] as string;
    const indent = line.length - line.trimStart().length;
    if (quote) {
      if (line.trim() !== '' && indent <= quote.keyColumn) {
        lines[n] = ' '.repeat(quote.keyColumn + 2 - indent) + line;
      }
      if (closingQuote(line, 0, quote.char) >= 0) quote = undefined;
      continue;
    }
    if (blockParent >= 0) {
      if (line.trim() === '' || indent > blockParent) continue;
      blockParent = -1;
    }
    if (BLOCK_SCALAR.test(line)) {
      blockParent = indent;
      continue;
    }
    const match = QUOTED_VALUE.exec(line);
    if (match) {
      const [opening, spaces, dash, char] = match as unknown as [string, string, string, string];
      if (closingQuote(line, opening.length, char) < 0) {
        quote = { char, keyColumn: spaces.length + dash.length };
      }
    }
  }
  return lines.join('\n');
}

function parseYaml(text: string, file: string): ReturnType<typeof parseAllDocuments> {
  const docs = parseAllDocuments(text);
  const failed = docs.find((doc) => doc.errors.length > 0);
  if (!failed) return docs;
  const repaired = parseAllDocuments(indentQuotedContinuations(text));
  if (repaired.every((doc) => doc.errors.length === 0)) return repaired;
  throw new Error(`${file}: ${failed.errors[0]?.message}`);
}

/** The CRDs in one multi-document YAML file; other kinds of documents are skipped. */
function crdsInFile(file: string, source: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`packages/toolchain/versions.json: ${source} cannot be read`);
  }
  const crds: unknown[] = [];
  for (const doc of parseYaml(text, file)) {
    const value: unknown = doc.toJS();
    if (
      typeof value === 'object' &&
      value !== null &&
      'kind' in value &&
      value.kind === 'CustomResourceDefinition'
    ) {
      crds.push(value);
    }
  }
  return crds;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The names that a file-name pattern selects, sorted by code unit so that the order never depends on the file
 * system: `*` stands for any run of characters, everything else for itself.
 */
export function matchFileNames(pattern: string, names: readonly string[]): string[] {
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 's');
  return names.filter((name) => regex.test(name)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Checks one `files` entry: a relative path inside the module, without `.` or `..` segments, whose last segment
 * may hold `*` (directories may not). Returns its directory and file-name pattern.
 */
export function parseFileEntry(entry: unknown, where: string): { dir: string; name: string } {
  const segments = typeof entry === 'string' ? entry.split('/') : [];
  if (
    segments.length === 0 ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..')
  ) {
    throw new Error(
      `${where}: files entry ${JSON.stringify(entry)} must be a relative path inside the module`,
    );
  }
  const name = segments.pop() as string;
  if (segments.some((segment) => segment.includes('*'))) {
    throw new Error(`${where}: files entry ${JSON.stringify(entry)} may use "*" only in its file name`);
  }
  return { dir: segments.join('/'), name };
}

function checkPin(pin: unknown, index: number): asserts pin is CrdSourcePin {
  const where = `packages/toolchain/versions.json: crds[${index}]`;
  const record = typeof pin === 'object' && pin !== null ? (pin as Record<string, unknown>) : {};
  if (typeof record.module !== 'string' || typeof record.version !== 'string') {
    throw new Error(`${where}: "module" and "version" must be strings`);
  }
  if (!Array.isArray(record.files) || record.files.length === 0) {
    throw new Error(`${where}: "files" must list at least one path`);
  }
}

/** The module files that one `files` entry selects; a pattern must select at least one file. */
function filesOfEntry(moduleDir: string, entry: string, where: string): string[] {
  const { dir, name } = parseFileEntry(entry, where);
  if (!name.includes('*')) return [entry];
  let names: string[];
  try {
    names = readdirSync(join(moduleDir, dir), { withFileTypes: true })
      .filter((dirent) => dirent.isFile())
      .map((dirent) => dirent.name);
  } catch {
    throw new Error(`${where}: directory of files entry "${entry}" cannot be read`);
  }
  const matched = matchFileNames(name, names);
  if (matched.length === 0) throw new Error(`${where}: files entry "${entry}" matches no file`);
  return matched.map((file) => (dir === '' ? file : `${dir}/${file}`));
}

export interface LoadedCrd {
  /** module@version/path of the file that holds it */
  source: string;
  file: string;
  crd: unknown;
}

/** Downloads a pinned CRD source and reads the CRDs its `files` entries select, in a fixed order. */
export function loadCrdSource(pin: CrdSourcePin): LoadedCrd[] {
  const where = `packages/toolchain/versions.json: ${pin.module}@${pin.version}`;
  const moduleDir = downloadModule(pin.module, pin.version);
  const loaded: LoadedCrd[] = [];
  for (const entry of pin.files) {
    // A named file must hold CRDs; a pattern may also select other files (kustomizations, policies).
    const isPattern = parseFileEntry(entry, where).name.includes('*');
    let found = 0;
    for (const relative of filesOfEntry(moduleDir, entry, where)) {
      const source = `${pin.module}@${pin.version}/${relative}`;
      const file = join(moduleDir, relative);
      const crds = crdsInFile(file, source);
      if (crds.length === 0 && !isPattern) throw new Error(`${file}: no CustomResourceDefinition found`);
      found += crds.length;
      for (const crd of crds) loaded.push({ source, file, crd });
    }
    if (found === 0) throw new Error(`${where}: files entry "${entry}" matches no CustomResourceDefinition`);
  }
  return loaded;
}

function buildCrdSource(pin: CrdSourcePin, root: string, owners: Map<string, string>): void {
  const started = performance.now();
  const loaded = loadCrdSource(pin);
  const schemas = new Map<string, object>();
  for (const { source, file, crd } of loaded) {
    let converted: Map<string, object>;
    try {
      converted = convertCrd(crd);
    } catch (error) {
      throw new Error(`${file}: ${(error as Error).message}`);
    }
    for (const [name, schema] of converted) {
      const previous = owners.get(name);
      if (previous !== undefined) {
        throw new Error(`schema crds/${name} comes from both ${previous} and ${source}`);
      }
      owners.set(name, source);
      schemas.set(name, schema);
    }
  }
  writeSchemas(join(root, 'crds'), schemas);
  const count = `${loaded.length} CRDs, ${schemas.size} schemas`;
  console.log(`schemas: ${pin.module}@${pin.version}: ${count} in ${seconds(started)}s`);
}

/** Removes staging trees left behind by builds that were killed before they could clean up. */
function removeAbandoned(): void {
  for (const entry of readdirSync(toolsDir)) {
    const match = /^schemas\.(?:tmp|old)-(\d+)$/.exec(entry);
    if (match && !processAlive(Number(match[1])))
      rmSync(join(toolsDir, entry), { recursive: true, force: true });
  }
}

/** Moves the old tree aside before swapping the new one in, so a failed swap can restore it. */
function swapIn(staging: string): void {
  const old = join(toolsDir, `schemas.old-${process.pid}`);
  try {
    renameSync(schemasDir, old);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    renameSync(staging, schemasDir);
  } catch (error) {
    try {
      renameSync(old, schemasDir);
    } catch {
      // nothing to restore
    }
    throw error;
  }
  rmSync(old, { recursive: true, force: true });
}

export function buildSchemas(): void {
  const stamp = schemasHash();
  if (readStamp() === stamp) {
    console.log('schemas: up to date');
    return;
  }
  mkdirSync(toolsDir, { recursive: true });
  removeAbandoned();
  const staging = join(toolsDir, `schemas.tmp-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    const { kubernetes, crds } = readToolVersions();
    if (!Array.isArray(crds)) throw new Error('packages/toolchain/versions.json: "crds" must be an array');
    crds.forEach(checkPin);
    for (const version of kubernetes.versions) buildKubernetes(kubernetes.module, version, staging);
    const owners = new Map<string, string>();
    for (const pin of crds) buildCrdSource(pin, staging, owners);
    writeFileSync(join(staging, 'stamp'), `${stamp}\n`); // last: only a complete tree carries the stamp
    swapIn(staging);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
