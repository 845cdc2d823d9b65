// Peer parity (policies/parity.json): every built-in check of kube-score, kube-linter and Polaris with our
// decision — covered by named rules of the catalogue (with a note where we differ), or not adopted with
// the reason. Checked on load: a rule that is not catalogued, a covered check without rules or a check
// not adopted without a reason is an error naming the peer and the check.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { policiesDir, rules } from './catalogue.ts';

export const parityFile = join(policiesDir, 'parity.json');
export const peers = ['kube-score', 'kube-linter', 'polaris'] as const;
export type Peer = (typeof peers)[number];

export type Decision =
  | {
      decision: 'covered';
      rules: string[];
      note?: string;
      what?: string;
      /** kube-score's comment summaries for what we deliberately do not report (the note says why). */
      differsOn?: string[];
      /** Fixture objects kube-score faults and we rightly pass: `<rule-id>/<pass|fail>: <Kind ns/name>`. */
      exceptions?: Record<string, string>;
    }
  | { decision: 'not-adopted'; reason: string; what?: string };

export interface PeerChecks {
  version: string;
  source: string;
  checks: Record<string, Decision>;
}

const decision = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['decision', 'rules'],
      properties: {
        what: { type: 'string', minLength: 10 },
        decision: { const: 'covered' },
        rules: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string' } },
        note: { type: 'string', minLength: 20 },
        differsOn: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 5 } },
        exceptions: {
          type: 'object',
          minProperties: 1,
          propertyNames: { pattern: '^[a-z0-9-]+/(pass|fail): [A-Za-z]+ ' },
          additionalProperties: { type: 'string', minLength: 20 },
        },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['decision', 'reason'],
      properties: {
        what: { type: 'string', minLength: 10 },
        decision: { const: 'not-adopted' },
        reason: { type: 'string', minLength: 20 },
      },
    },
  ],
};

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['peers'],
  properties: {
    $comment: { type: 'string' },
    peers: {
      type: 'object',
      additionalProperties: false,
      required: [...peers],
      properties: Object.fromEntries(
        peers.map((p) => [
          p,
          {
            type: 'object',
            additionalProperties: false,
            required: ['version', 'source', 'checks'],
            properties: {
              version: { type: 'string', pattern: '^v[0-9]' },
              source: { type: 'string', minLength: 10 },
              checks: { type: 'object', minProperties: 1, additionalProperties: decision },
            },
          },
        ]),
      ),
    },
  },
};

const check = new Ajv({ allErrors: true }).compile<{ peers: Record<Peer, PeerChecks> }>(schema);

export function parseParity(text: string, file = 'policies/parity.json'): Record<Peer, PeerChecks> {
  const data: unknown = JSON.parse(text);
  if (!check(data)) {
    const problems = (check.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message}`);
    throw new Error(`${file}: invalid peer parity table:\n  ${[...new Set(problems)].join('\n  ')}`);
  }
  const known = rules();
  for (const peer of peers) {
    for (const [id, d] of Object.entries(data.peers[peer].checks)) {
      if (d.decision !== 'covered') continue;
      for (const r of d.rules) {
        if (!known.has(r))
          throw new Error(`${file}: /peers/${peer}/checks/${id}: rule "${r}" is not in policies/rules.json`);
      }
    }
  }
  return data.peers;
}

let cached: Record<Peer, PeerChecks> | undefined;

export function parity(): Record<Peer, PeerChecks> {
  cached ??= parseParity(readFileSync(parityFile, 'utf8'));
  return cached;
}
