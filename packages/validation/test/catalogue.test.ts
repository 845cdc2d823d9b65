import { describe, expect, it } from 'vitest';
import { parseCatalogue, rules } from '../src/catalogue.ts';

const entry = {
  id: 'x-rule',
  engine: 'graph',
  severity: 'error',
  why: 'a reason that is long enough',
  fix: 'do the fix',
};

describe('rule catalogue', () => {
  it('loads the committed catalogue', () => {
    expect(rules().size).toBeGreaterThan(10);
  });

  it('rejects a bad severity, an unknown field and a duplicate id, naming the path', () => {
    expect(() => parseCatalogue(JSON.stringify({ rules: [{ ...entry, severity: 'fatal' }] }))).toThrow(
      /policies\/rules.json: invalid rule catalogue:\n {2}\/rules\/0\/severity: must be equal to one of the allowed values/,
    );
    expect(() => parseCatalogue(JSON.stringify({ rules: [{ ...entry, sevrity: 'error' }] }))).toThrow(
      '/rules/0: must NOT have additional properties',
    );
    expect(() => parseCatalogue(JSON.stringify({ rules: [entry, entry] }))).toThrow(
      '/rules/1/id: duplicate rule id "x-rule"',
    );
  });

  it('accepts a well-formed catalogue', () => {
    expect(parseCatalogue(JSON.stringify({ rules: [entry] })).get('x-rule')).toEqual(entry);
  });
});
