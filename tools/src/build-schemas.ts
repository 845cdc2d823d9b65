// Builds kubeconform's offline schemas (.tools/schemas) from the Kubernetes OpenAPI specs and CRDs pinned in
// tools/versions.json, all fetched as Go modules: the Go module proxy (and its checksums) is the one source.
// A stamp over the pins and the converter's source lets a warm run skip the work; the new tree is built
// beside the old one and swapped in whole, so validation never sees half a tree.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { downloadModule } from './go-modules.ts';
import { convertCrd, convertSwagger } from './openapi-schemas.ts';
import { type CrdSourcePin, readToolVersions, schemasDir, toolsDir, versionsFile } from './toolchain.ts';

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

function readStamp(): string | undefined {
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
    throw new Error(`tools/versions.json: kubernetes version "${version}" must look like v1.2.3`);
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

/** The CRDs in one multi-document YAML file; other kinds of documents are skipped. */
function crdsInFile(file: string, source: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`tools/versions.json: ${source} cannot be read`);
  }
  const crds: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    const [problem] = doc.errors;
    if (problem) throw new Error(`${file}: ${problem.message}`);
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
  if (crds.length === 0) throw new Error(`${file}: no CustomResourceDefinition found`);
  return crds;
}

function buildCrdSource(pin: CrdSourcePin, root: string, owners: Map<string, string>): void {
  const started = performance.now();
  const moduleDir = downloadModule(pin.module, pin.version);
  const schemas = new Map<string, object>();
  for (const relative of pin.files) {
    const source = `${pin.module}@${pin.version}/${relative}`;
    const file = join(moduleDir, relative);
    for (const crd of crdsInFile(file, source)) {
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
  }
  writeSchemas(join(root, 'crds'), schemas);
  console.log(`schemas: ${pin.module}@${pin.version}: ${schemas.size} CRD schemas in ${seconds(started)}s`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes staging trees left behind by builds that were killed before they could clean up. */
function removeAbandoned(): void {
  for (const entry of readdirSync(toolsDir)) {
    const match = /^schemas\.(?:tmp|old)-(\d+)$/.exec(entry);
    if (match && !isAlive(Number(match[1]))) rmSync(join(toolsDir, entry), { recursive: true, force: true });
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

if (import.meta.main) {
  try {
    buildSchemas();
  } catch (error) {
    console.error(`build-schemas: ${(error as Error).message}`);
    process.exit(1);
  }
}
