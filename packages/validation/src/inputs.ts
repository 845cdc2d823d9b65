// Turns paths into documents: files, directories (walked for YAML/JSON) and Kustomize directories
// (rendered with the pinned kustomize). Garbage never throws: each bad file or document becomes a
// finding, and the good documents of the same file are still validated.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '@neurascale/toolchain';
import { LineCounter, parseAllDocuments } from 'yaml';
import { catalogued } from './catalogue.ts';
import type { Finding, ObjectRef } from './findings.ts';
import { kustomizeBuild } from './kustomize.ts';
import { ToolError } from './run-tool.ts';

export type Json = Record<string, unknown>;

export interface Doc {
  /** File (or Kustomize directory) the document came from, relative to the working directory. */
  source: string;
  /** 1-based line of the document's start within its source, when known. */
  line?: number;
  object: Json;
  ref: ObjectRef;
}

export interface LoadResult {
  docs: Doc[];
  findings: Finding[];
}

/** Files larger than this are refused with a finding rather than parsed. */
export const maxFileBytes = 32 * 1024 * 1024;
const manifestFile = /\.(ya?ml|json)$/i;
const kustomizationFiles = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export function refOf(object: Json): ObjectRef {
  const meta = (object.metadata && typeof object.metadata === 'object' ? object.metadata : {}) as Json;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const ref: ObjectRef = {};
  const apiVersion = str(object.apiVersion);
  const kind = str(object.kind);
  const namespace = str(meta.namespace);
  const name = str(meta.name) ?? str(meta.generateName);
  if (apiVersion) ref.apiVersion = apiVersion;
  if (kind) ref.kind = kind;
  if (namespace) ref.namespace = namespace;
  if (name) ref.name = name;
  return ref;
}

function inputFinding(source: string, message: string, object: ObjectRef = {}): Finding {
  return catalogued({ source, object, rule: 'input-invalid', message });
}

function emptyFinding(source: string, message: string): Finding {
  return catalogued({ source, object: {}, rule: 'input-empty', message });
}

/**
 * The dotted path of the first key or string that is not well-formed Unicode (a YAML "\ud800" escape can
 * write one), or undefined. Such text cannot reach the API server, nor the tools that read JSON.
 */
export function illFormedAt(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.isWellFormed() ? undefined : path;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = illFormedAt(item, `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (!key.isWellFormed()) return path ? `a key under ${path}` : 'a top-level key';
      const found = illFormedAt(item, at);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The path of a value that contains itself (a YAML alias to its own anchor), or undefined. */
export function cyclicAt(value: unknown, path = '', open = new Set<unknown>()): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  if (open.has(value)) return path;
  open.add(value);
  const entries = Array.isArray(value)
    ? value.map((item, i) => [`${path}[${i}]`, item] as const)
    : Object.entries(value).map(([key, item]) => [path ? `${path}.${key}` : key, item] as const);
  for (const [at, item] of entries) {
    const found = cyclicAt(item, at, open);
    if (found !== undefined) return found;
  }
  open.delete(value);
  return undefined;
}

/** Parses a YAML (or JSON) stream; every document that is not a Kubernetes object becomes a finding. */
export function parseDocuments(text: string, source: string): LoadResult {
  const docs: Doc[] = [];
  const findings: Finding[] = [];
  const lines = new LineCounter();
  let parsed: ReturnType<typeof parseAllDocuments>;
  try {
    parsed = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  } catch (error) {
    return {
      docs,
      findings: [inputFinding(source, `cannot parse: ${(error as Error).message}`)],
    };
  }
  const all = Array.isArray(parsed) ? parsed : [];
  if (!Array.isArray(parsed)) {
    findings.push(inputFinding(source, 'cannot parse the YAML stream'));
  }
  all.forEach((document, index) => {
    const line = lines.linePos(document.range?.[0] ?? 0).line;
    const where = `document ${index + 1} (line ${line})`;
    if (document.errors.length > 0) {
      const first = document.errors[0];
      findings.push(inputFinding(source, `${where}: not valid YAML: ${first?.message.split('\n')[0]}`));
      return;
    }
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: 100 });
    } catch (error) {
      findings.push(inputFinding(source, `${where}: ${(error as Error).message}`));
      return;
    }
    if (value === null || value === undefined) return; // empty document between separators
    const cycle = cyclicAt(value);
    if (cycle !== undefined) {
      findings.push(
        inputFinding(
          source,
          `${where}: ${cycle || 'the document'} refers to itself through a YAML alias, which no Kubernetes object can`,
        ),
      );
      return;
    }
    const illFormed = illFormedAt(value);
    if (illFormed !== undefined) {
      findings.push(
        inputFinding(
          source,
          `${where}: ${illFormed || 'the document'} holds an unpaired UTF-16 surrogate, which is not valid Unicode`,
        ),
      );
      return;
    }
    const accept = (item: unknown, what: string) => {
      if (!item || typeof item !== 'object' || Array.isArray(item)) {
        findings.push(
          inputFinding(
            source,
            `${what}: is ${item === null ? 'null' : Array.isArray(item) ? 'a list' : `a ${typeof item}`}, not an object`,
          ),
        );
        return;
      }
      const ref = refOf(item as Json);
      const missing = (['apiVersion', 'kind'] as const).filter((k) => !ref[k]);
      if (missing.length > 0 || !ref.name) {
        const fields = [...missing, ...(ref.name ? [] : ['metadata.name'])];
        findings.push(inputFinding(source, `${what}: missing ${fields.join(', ')}`, ref));
        return;
      }
      docs.push({ source, line, object: item as Json, ref });
    };
    const list = value as Json;
    if (list.kind === 'List' && Array.isArray(list.items)) {
      for (const [i, item] of list.items.entries()) accept(item, `${where} items[${i}]`);
      return;
    }
    accept(value, where);
  });
  if (docs.length === 0 && findings.length === 0) {
    findings.push(emptyFinding(source, 'contains no Kubernetes objects'));
  }
  return { docs, findings };
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : relative(repoRoot, path) || path;
}

function loadFile(path: string): LoadResult {
  const source = displayPath(path);
  const size = statSync(path).size;
  if (size > maxFileBytes) {
    return {
      docs: [],
      findings: [inputFinding(source, `is ${size} bytes, larger than the ${maxFileBytes}-byte limit`)],
    };
  }
  const bytes = readFileSync(path);
  if (bytes.includes(0)) {
    return {
      docs: [],
      findings: [inputFinding(source, 'is a binary file, not YAML or JSON')],
    };
  }
  const text = bytes.toString('utf8');
  if (text.includes('\uFFFD')) {
    return {
      docs: [],
      findings: [inputFinding(source, 'is not valid UTF-8 text')],
    };
  }
  return parseDocuments(text, source);
}

function isKustomization(dir: string): boolean {
  return kustomizationFiles.some((f) => existsSync(join(dir, f)));
}

/** A Kustomize Component only applies inside an overlay that lists it; it cannot be built alone. */
function isComponent(dir: string): boolean {
  const file = kustomizationFiles.map((f) => join(dir, f)).find((f) => existsSync(f));
  return file !== undefined && /^kind:\s*Component\s*$/m.test(readFileSync(file, 'utf8'));
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.name.startsWith('.')) return [];
      if (entry.isDirectory()) {
        if (isComponent(path)) return [];
        return isKustomization(path) ? [path] : walk(path);
      }
      return manifestFile.test(entry.name) ? [path] : [];
    });
}

export function loadPaths(paths: string[]): LoadResult {
  const result: LoadResult = { docs: [], findings: [] };
  const add = (r: LoadResult) => {
    result.docs.push(...r.docs);
    result.findings.push(...r.findings);
  };
  for (const path of paths) {
    if (!existsSync(path)) {
      result.findings.push(inputFinding(path, 'does not exist'));
      continue;
    }
    const targets = statSync(path).isDirectory() ? (isKustomization(path) ? [path] : walk(path)) : [path];
    if (targets.length === 0) {
      result.findings.push(emptyFinding(displayPath(path), 'contains no YAML or JSON files'));
    }
    for (const target of targets) {
      if (statSync(target).isDirectory()) {
        try {
          add(parseDocuments(kustomizeBuild(target), displayPath(target)));
        } catch (error) {
          if (!(error instanceof ToolError)) throw error;
          result.findings.push(inputFinding(displayPath(target), error.message));
        }
      } else {
        add(loadFile(target));
      }
    }
  }
  return result;
}
