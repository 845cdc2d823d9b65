#!/usr/bin/env node
// cost-report OVERLAY-DIR... [--format text|markdown]: prices what each Kustomize overlay requests with the
// CostModel beside it (cost-model.yaml) and prints one table per environment. Exit 0; 2 on bad input.
import { main } from '../cost-cli.ts';

process.exitCode = main(process.argv.slice(2));
