// The peer parity table refuses a row without a decision, a covered check without a catalogued rule and a
// check not adopted without a reason, naming the peer and the check.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parity, parityFile, parseParity, peers } from '../src/parity.ts';

const valid = () => JSON.parse(readFileSync(parityFile, 'utf8'));

describe('policies/parity.json', () => {
  it('decides on every check of every peer', () => {
    for (const peer of peers) expect(Object.keys(parity()[peer].checks).length).toBeGreaterThan(30);
  });

  it('refuses a rule that is not catalogued, naming the peer and the check', () => {
    const data = valid();
    data.peers.polaris.checks.hostIPCSet.rules = ['pss-basline'];
    expect(() => parseParity(JSON.stringify(data))).toThrow(
      'policies/parity.json: /peers/polaris/checks/hostIPCSet: rule "pss-basline" is not in policies/rules.json',
    );
  });

  it('refuses a check without a decision, without rules or without a reason', () => {
    for (const row of [
      {},
      { decision: 'covered', rules: [] },
      { decision: 'not-adopted' },
      { decision: 'maybe' },
    ]) {
      const data = valid();
      data.peers['kube-linter'].checks['ssh-port'] = row;
      expect(() => parseParity(JSON.stringify(data))).toThrow(
        /invalid peer parity table:\n {2}\/peers\/kube-linter\/checks\/ssh-port/,
      );
    }
  });

  it('refuses an exception that does not name a fixture and an object', () => {
    const data = valid();
    data.peers['kube-score'].checks['service-type'].exceptions = {
      'some object': 'a reason long enough to pass',
    };
    expect(() => parseParity(JSON.stringify(data))).toThrow(/\/peers\/kube-score\/checks\/service-type/);
  });
});
