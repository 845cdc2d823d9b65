// Library entry points over the engine: validate paths (files, directories, Kustomize directories) or
// a YAML text. The CLI (cli.ts) and the tests use these.
import type { EngineOptions, EngineResult } from './engine.ts';
import { runEngine } from './engine.ts';
import type { Finding } from './findings.ts';
import { clusterScopedKinds } from './graph.ts';
import { type LoadResult, loadPaths, parseDocuments } from './inputs.ts';
import { applySeverity, type Override, type RuleSettings, settingsFor } from './overrides.ts';

export interface ValidateOptions extends EngineOptions {
  /** An overrides file, read: each input path is validated with the settings of the overrides holding it. */
  overrides?: { file: string; overrides: Override[] };
  /** The namespace of namespaced objects that name none, as `kubectl apply -n` would put them. */
  namespace?: string;
}

/** Puts namespaced objects without a namespace into `namespace`, as `kubectl apply -n` does. */
function intoNamespace(loaded: LoadResult, namespace: string | undefined): LoadResult {
  if (!namespace) return loaded;
  const docs = loaded.docs.map((doc) => {
    if (doc.ref.namespace || !doc.ref.kind || clusterScopedKinds.has(doc.ref.kind)) return doc;
    const metadata = { ...(doc.object.metadata as Record<string, unknown>), namespace };
    return { ...doc, object: { ...doc.object, metadata }, ref: { ...doc.ref, namespace } };
  });
  return { ...loaded, docs };
}

/** Input problems come first, then what the engine finds in the documents that loaded. */
function validateLoaded(loaded: LoadResult, inputs: string[], options: EngineOptions): EngineResult {
  const result = runEngine(loaded.docs, options);
  const inputFindings = loaded.findings.map((f) => applySeverity(f, options.settings));
  return { ...result, findings: [...inputFindings, ...result.findings], inputs };
}

export function validatePaths(paths: string[], options: ValidateOptions = {}): EngineResult {
  const { overrides, namespace, ...engine } = options;
  const load = (inputs: string[]) => intoNamespace(loadPaths(inputs), namespace);
  if (!overrides) return validateLoaded(load(paths), paths, engine);
  // One set for the cross-resource rules whatever the severities: only inputs whose parameters differ are
  // validated apart. Each finding then takes the severity the overrides give the file it came from, so a
  // parent directory (generated/overlays) gets production's severities on production's objects.
  const groups = new Map<string, { params: RuleSettings['params']; paths: string[] }>();
  for (const path of paths) {
    const { params } = settingsFor(path, overrides.overrides, overrides.file);
    const key = JSON.stringify(params);
    groups.set(key, { params, paths: [...(groups.get(key)?.paths ?? []), path] });
  }
  const results = [...groups.values()].map((g) =>
    validateLoaded(load(g.paths), g.paths, { ...engine, settings: { severity: {}, params: g.params } }),
  );
  const steer = (f: Finding) =>
    applySeverity(f, settingsFor(f.source.replace(/:\d+$/, ''), overrides.overrides, overrides.file));
  return {
    findings: results.flatMap((r) => r.findings).map(steer),
    suppressed: results.flatMap((r) => r.suppressed).map(steer),
    objects: results.reduce((n, r) => n + r.objects, 0),
    inputs: paths,
    engines: results[0]?.engines ?? [],
  };
}

export function validateText(text: string, source: string, options: EngineOptions = {}): EngineResult {
  return validateLoaded(parseDocuments(text, source), [source], options);
}
