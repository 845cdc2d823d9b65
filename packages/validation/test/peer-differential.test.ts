// kube-score side by side with this validator, on every fixture of every rule: what each one reports, and
// for every fault kube-score reports (a critical grade), whether a rule of ours that covers that check (as
// policies/parity.json says) reports the same object, or why not. The table is printed; the test fails on a
// kube-score fault that nothing explains, and when the pinned kube-score's check list and parity.json differ.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { binaryPath, readToolVersions } from '@neurascale/toolchain';
import { describe, expect, it } from 'vitest';
import { fixtureOptions, fixturesDir, rules } from '../src/catalogue.ts';
import { describeObject } from '../src/findings.ts';
import { parseDocuments } from '../src/inputs.ts';

const enforceLabel = 'pod-security.kubernetes.io/enforce';

import { parity } from '../src/parity.ts';
import { validatePaths } from '../src/validate.ts';

const kubeScore = binaryPath('kube-score');
const table = parity()['kube-score'];
const serverRules = new Set([...rules().values()].filter((r) => r.engine === 'server').map((r) => r.id));
// kube-score's checks depend on the Kubernetes version it assumes: the oldest of our matrix.
const [oldest = ''] = readToolVersions().kubernetes.versions;
const kubernetesVersion = oldest.split('.').slice(0, 2).join('.');

interface KubeScoreObject {
  object_name: string;
  checks: {
    check: { id: string };
    grade: number;
    skipped: boolean;
    comments: { summary: string }[] | null;
  }[];
}

function score(file: string): KubeScoreObject[] {
  let out: string;
  try {
    out = execFileSync(kubeScore, ['score', '-o', 'json', '--kubernetes-version', kubernetesVersion, file], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    // kube-score exits 1 when it finds a fault; its report is still on stdout.
    out = String((error as { stdout?: string }).stdout ?? '');
  }
  return (JSON.parse(out) as KubeScoreObject[] | null) ?? [];
}

/** `Kind namespace/name` from kube-score's `Kind/group/version/namespace/name` (no group for core kinds). */
function objectOf(name: string): string {
  const parts = name.split('/');
  const namespace = parts.at(-2) ?? '';
  return `${parts[0]} ${namespace ? `${namespace}/` : ''}${parts.at(-1)}`;
}

const fixtures = readdirSync(fixturesDir)
  .sort()
  .flatMap((id) =>
    (['pass', 'fail'] as const)
      .map((kind) => ({ id, kind, file: join(fixturesDir, id, `${kind}.yaml`) }))
      .filter((f) => existsSync(f.file)),
  );

describe('kube-score, the pinned peer', () => {
  it('has exactly the checks policies/parity.json decides on', () => {
    const listed = execFileSync(kubeScore, ['list'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => line.split(',')[0])
      .sort();
    expect(Object.keys(table.checks).sort()).toEqual(listed);
  });

  it('finds no fault on a fixture that a rule of ours covering it misses, unless parity.json says why', () => {
    const rows: string[] = [];
    const unexplained: string[] = [];
    const totals = {
      faults: 0,
      matched: 0,
      notAdopted: 0,
      serverTier: 0,
      differs: 0,
      exceptions: 0,
      oursOnly: 0,
    };
    const used = new Set<string>();
    for (const { id, kind, file } of fixtures) {
      const ours = validatePaths([file], fixtureOptions(id)).findings;
      const privileged = new Set(
        parseDocuments(readFileSync(file, 'utf8'), file)
          .docs.filter((d) => d.ref.kind === 'Namespace')
          .filter((d) => !(d.object.metadata as { labels?: Record<string, string> }).labels?.[enforceLabel])
          .map((d) => String(d.ref.name)),
      );
      const oursByObject = new Map<string, Set<string>>();
      for (const f of ours) {
        const key = describeObject(f.object);
        oursByObject.set(key, (oursByObject.get(key) ?? new Set()).add(f.rule));
      }
      const theirs: string[] = [];
      for (const o of score(file)) {
        const object = objectOf(o.object_name);
        for (const c of o.checks) {
          if (c.skipped || c.grade !== 1) continue;
          totals.faults++;
          const decision = table.checks[c.check.id];
          const found = oursByObject.get(object) ?? new Set<string>();
          let verdict: string;
          if (!decision) {
            verdict = 'no decision';
            unexplained.push(`${id}/${kind}: ${object}: ${c.check.id} has no row in policies/parity.json`);
          } else if (decision.decision === 'not-adopted') {
            verdict = 'not adopted';
            totals.notAdopted++;
          } else if (decision.rules.some((r) => found.has(r))) {
            verdict = `= ${decision.rules.filter((r) => found.has(r)).join(', ')}`;
            totals.matched++;
          } else if (
            decision.rules.every((r) => r.startsWith('pss-')) &&
            privileged.has(object.split(' ')[1]?.split('/')[0] ?? '')
          ) {
            // Pod Security follows the namespace's level; a namespace of the input without one runs privileged.
            verdict = 'namespace runs privileged';
            totals.differs++;
          } else if (decision.rules.some((r) => serverRules.has(r))) {
            verdict = 'server tier';
            totals.serverTier++;
          } else if (
            decision.differsOn &&
            (c.comments ?? []).length > 0 &&
            (c.comments ?? []).every((x) => decision.differsOn?.includes(x.summary))
          ) {
            verdict = `differs on purpose (${(c.comments ?? []).map((x) => x.summary).join('; ')})`;
            totals.differs++;
          } else if (decision.exceptions?.[`${id}/${kind}: ${object}`]) {
            verdict = `exception: ${decision.exceptions[`${id}/${kind}: ${object}`]}`;
            used.add(`${c.check.id} ${id}/${kind}: ${object}`);
            totals.exceptions++;
          } else {
            verdict = 'MISSED';
            unexplained.push(
              `${id}/${kind}: ${object}: kube-score ${c.check.id} (${(c.comments ?? []).map((x) => x.summary).join('; ')}), and none of ${decision.rules.join(', ')} reports it`,
            );
          }
          theirs.push(`${c.check.id} on ${object}: ${verdict}`);
        }
      }
      const mine = [...new Set(ours.filter((f) => f.severity === 'error').map((f) => f.rule))].sort();
      const faulted = new Set(theirs.map((t) => t.split(' on ')[1]?.split(':')[0]));
      totals.oursOnly += new Set(
        ours
          .filter((f) => f.severity === 'error' && !faulted.has(describeObject(f.object)))
          .map((f) => describeObject(f.object)),
      ).size;
      rows.push(
        `${id}/${kind}: kube-score ${theirs.length} fault(s), ours ${mine.length} error rule(s)${mine.length ? ` (${mine.join(', ')})` : ''}`,
        ...theirs.map((t) => `    ${t}`),
      );
    }
    console.log(
      [
        `kube-score ${table.version} beside validate-manifests on ${fixtures.length} fixtures (Kubernetes ${kubernetesVersion}):`,
        ...rows,
        `kube-score faults: ${totals.faults}; reported by a rule of ours on the same object: ${totals.matched}; checks not adopted: ${totals.notAdopted}; left to the server tier: ${totals.serverTier}; where we differ on purpose (parity note, or a namespace that runs privileged): ${totals.differs}; documented exceptions: ${totals.exceptions}; unexplained: ${unexplained.length}. Objects with an error of ours and no kube-score fault: ${totals.oursOnly}`,
      ].join('\n'),
    );
    expect(unexplained).toEqual([]);
    // An exception that no longer happens is stale: remove it.
    const declared = Object.entries(table.checks).flatMap(([check, d]) =>
      d.decision === 'covered' ? Object.keys(d.exceptions ?? {}).map((k) => `${check} ${k}`) : [],
    );
    expect(declared.filter((e) => !used.has(e))).toEqual([]);
  }, 600_000);
});
