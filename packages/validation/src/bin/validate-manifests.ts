#!/usr/bin/env node
// validate-manifests PATH...: see cli.ts and docs/validation.md.
import { main } from '../cli.ts';

process.exit(main(process.argv.slice(2)));
