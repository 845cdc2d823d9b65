import { describe, expect, it } from 'vitest';
import { catalogued, paramsOf, parseCatalogue, rule, rules } from '../src/catalogue.ts';
import { suppressPrefix } from '../src/engine.ts';
import { pssCheckLevels } from '../src/pod-security.ts';

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

  it('rejects a parameter without a description and an empty per-check fix', () => {
    const bad = { ...entry, params: { limit: { value: 3 } }, checks: { one: '' } };
    const message = (() => {
      try {
        parseCatalogue(JSON.stringify({ rules: [bad] }));
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toContain("/rules/0/params/limit: must have required property 'description'");
    expect(message).toContain('/rules/0/checks/one: must NOT have fewer than 10 characters');
  });
});

describe('catalogued findings', () => {
  const violation = {
    source: 's.yaml:3',
    object: { kind: 'Pod', name: 'p' },
    rule: 'pss-restricted',
    message: 'm',
  };

  it('take severity and fix from the catalogue only', () => {
    expect(catalogued(violation)).toEqual({
      ...violation,
      severity: 'error',
      fix: rule('pss-restricted').fix,
    });
  });

  it("take a check's own fix when the rule catalogues one, and drop the check", () => {
    const found = catalogued({ ...violation, check: 'allowPrivilegeEscalation' });
    expect(found.fix).toBe(rule('pss-restricted').checks?.allowPrivilegeEscalation);
    expect(found).not.toHaveProperty('check');
  });

  it('refuse an uncatalogued rule id and a rule reported by the wrong engine', () => {
    expect(() => catalogued({ ...violation, rule: 'no-such-rule' })).toThrow('no rule "no-such-rule"');
    expect(() => catalogued(violation, 'rego')).toThrow('catalogued for engine pss, not rego');
  });

  it('every Pod Security check has a fix in the rule of its profile', () => {
    for (const [check, level] of Object.entries(pssCheckLevels())) {
      expect(rule(`pss-${level}`).checks?.[check], check).toBeTruthy();
    }
    const catalogued = ['pss-baseline', 'pss-restricted'].flatMap((id) => Object.keys(rule(id).checks ?? {}));
    expect(catalogued.sort()).toEqual(Object.keys(pssCheckLevels()).sort());
  });

  it('the suppression annotation the docs give is the one the engine reads', () => {
    expect(rule('suppression-without-reason').fix).toContain(`${suppressPrefix}<rule-id>`);
  });

  it('parameters are values by name', () => {
    expect(paramsOf('startup-probe-missing')).toEqual({ maxLivenessInitialDelaySeconds: 30 });
    expect(paramsOf('duplicate-identity')).toEqual({});
  });
});
