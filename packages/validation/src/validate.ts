// Library entry points over the engine: validate paths (files, directories, Kustomize directories) or
// a YAML text. The CLI (cli.ts) and the tests use these.
import type { EngineOptions, EngineResult } from './engine.ts';
import { runEngine } from './engine.ts';
import { type LoadResult, loadPaths, parseDocuments } from './inputs.ts';

/** Input problems come first, then what the engine finds in the documents that loaded. */
function validateLoaded(loaded: LoadResult, inputs: string[], options: EngineOptions): EngineResult {
  const result = runEngine(loaded.docs, options);
  return { ...result, findings: [...loaded.findings, ...result.findings], inputs };
}

export function validatePaths(paths: string[], options: EngineOptions = {}): EngineResult {
  return validateLoaded(loadPaths(paths), paths, options);
}

export function validateText(text: string, source: string, options: EngineOptions = {}): EngineResult {
  return validateLoaded(parseDocuments(text, source), [source], options);
}
