#!/usr/bin/env node
// install-tools: builds the pinned Go tools (kustomize, kubeconform, conftest) into .tools/bin.
import { installTools } from '../install-tools.ts';

try {
  installTools();
} catch (error) {
  console.error(`install-tools: ${(error as Error).message}`);
  process.exit(1);
}
