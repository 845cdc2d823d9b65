#!/usr/bin/env node
// validate-server PATH...: see server-cli.ts and docs/validation.md.
import { main } from '../server-cli.ts';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`validate-server: ${(error as Error).message}\n`);
    process.exit(2);
  },
);
