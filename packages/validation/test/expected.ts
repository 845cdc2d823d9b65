// The expected findings of a rule's failing fixture (policies/fixtures/<id>/expected.json), and a finding in
// the same form: `Kind namespace/name field`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../src/catalogue.ts';
import { describeObject, type Finding } from '../src/findings.ts';

export const asExpected = (f: Finding): string =>
  `${describeObject(f.object)}${f.field ? ` ${f.field}` : ''}`;

export function expectedFindings(id: string): string[] {
  const file = join(fixturesDir, id, 'expected.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { findings: string[] }).findings;
}

/** The distinct findings of one rule, sorted, as expected.json lists them. */
export function foundBy(id: string, findings: Finding[]): string[] {
  return [...new Set(findings.filter((f) => f.rule === id).map(asExpected))].sort();
}
