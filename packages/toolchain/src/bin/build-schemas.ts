#!/usr/bin/env node
// build-schemas: builds kubeconform's offline schemas into .tools/schemas.
import { buildSchemas } from '../build-schemas.ts';

try {
  buildSchemas();
} catch (error) {
  console.error(`build-schemas: ${(error as Error).message}`);
  process.exit(1);
}
