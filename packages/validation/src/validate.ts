// Library entry points over the engine: validate paths (files, directories, Kustomize directories) or
// a YAML text. The CLI (cli.ts) and the tests use these.
import type { EngineOptions, EngineResult } from './engine.ts';
import { runEngine } from './engine.ts';
import { loadPaths, parseDocuments } from './inputs.ts';

export function validatePaths(paths: string[], options: EngineOptions = {}): EngineResult {
  const loaded = loadPaths(paths);
  const result = runEngine(loaded.docs, options);
  return { ...result, findings: [...loaded.findings, ...result.findings] };
}

export function validateText(text: string, source: string, options: EngineOptions = {}): EngineResult {
  const loaded = parseDocuments(text, source);
  const result = runEngine(loaded.docs, options);
  return { ...result, findings: [...loaded.findings, ...result.findings] };
}
