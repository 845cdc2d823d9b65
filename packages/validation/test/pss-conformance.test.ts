// Our Pod Security checker against upstream Pod Security Admission's own fixtures: for every Kubernetes
// version of the matrix (packages/toolchain/versions.json), the fixtures of k8s.io/pod-security-admission v0.N.M for
// policy version v1.N must agree: a pass fixture gives no finding at its level and version, a fail fixture
// at least one, and one of them from the check the fixture is named after (or the restricted check that
// replaces it). The newest module's fixtures for every older policy version check the version gates too.

import { readToolVersions } from '@neurascale/toolchain';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluatePodSecurity, pssCheckOverrides } from '../src/pod-security.ts';
import {
  kubernetesMinor,
  loadPssFixtures,
  type PssFixture,
  type PssFixtureLevel,
  psaModule,
  psaModuleVersion,
} from '../src/pss-fixtures.ts';

const matrix = [...readToolVersions().kubernetes.versions].sort(
  (a, b) => kubernetesMinor(a) - kubernetesMinor(b),
);
const newest = matrix.at(-1) as string;
const levels: PssFixtureLevel[] = ['baseline', 'restricted'];

/** Lower-case check id → the check ids whose findings count as failing it (itself and its overriders). */
const failedBy = new Map<string, Set<string>>();
for (const [restricted, baselines] of Object.entries(pssCheckOverrides())) {
  for (const id of baselines) {
    const set = failedBy.get(id.toLowerCase()) ?? new Set([id.toLowerCase()]);
    set.add(restricted.toLowerCase());
    failedBy.set(id.toLowerCase(), set);
  }
}

interface Verdict {
  fixture: PssFixture;
  /** Why it disagrees; undefined when it agrees. */
  disagreement?: string;
}

function judge(fixture: PssFixture): Verdict {
  const found = evaluatePodSecurity(fixture.object, fixture.level, fixture.version);
  if (fixture.expect === 'pass') {
    if (found.length === 0) return { fixture };
    const what = found.map((f) => `${f.check} ${f.field}: ${f.message}`).join('; ');
    return { fixture, disagreement: `upstream allows it, we report ${what}` };
  }
  if (found.length === 0) return { fixture, disagreement: 'upstream refuses it, we report nothing' };
  const accepted = failedBy.get(fixture.check) ?? new Set([fixture.check]);
  if (!found.some((f) => accepted.has(f.check.toLowerCase()))) {
    const ids = [...new Set(found.map((f) => f.check))].join(', ');
    return { fixture, disagreement: `upstream refuses it for ${fixture.check}, we only for ${ids}` };
  }
  return { fixture };
}

function report(label: string, fixtures: PssFixture[]): Verdict[] {
  const verdicts = fixtures.map(judge);
  const agree = verdicts.filter((v) => !v.disagreement).length;
  const fails = fixtures.filter((f) => f.expect === 'fail').length;
  console.log(
    `PSS conformance ${label}: ${agree}/${fixtures.length} fixtures agree ` +
      `(${fixtures.length - fails} pass, ${fails} fail)`,
  );
  return verdicts.filter((v) => v.disagreement);
}

function expectAgreement(disagreements: Verdict[]): void {
  const lines = disagreements.map((v) => `${v.fixture.name}: ${v.disagreement}`);
  expect(lines, `fixtures our checker disagrees on:\n${lines.join('\n')}`).toEqual([]);
}

describe.each(matrix)('Pod Security Standards conformance, Kubernetes %s', (kubernetesVersion) => {
  const minor = kubernetesMinor(kubernetesVersion);
  let fixtures: PssFixture[] = [];
  beforeAll(() => {
    fixtures = loadPssFixtures(kubernetesVersion);
  });

  it.each(levels)(
    `agrees with ${psaModule}@${psaModuleVersion(kubernetesVersion)} at %s v1.${minor}`,
    (level) => {
      const mine = fixtures.filter((f) => f.level === level);
      // A fixture set without both outcomes would agree vacuously.
      expect(mine.filter((f) => f.expect === 'pass').length).toBeGreaterThan(0);
      expect(mine.filter((f) => f.expect === 'fail').length).toBeGreaterThan(0);
      expectAgreement(report(`v1.${minor} ${level}`, mine));
    },
  );
});

describe(`Pod Security Standards conformance, every policy version of ${psaModule}@${psaModuleVersion(newest)}`, () => {
  let fixtures: PssFixture[] = [];
  beforeAll(() => {
    fixtures = loadPssFixtures(newest, { minors: 'all' });
  });

  it.each(levels)('agrees at %s for every policy version v1.0 and newer', (level) => {
    const mine = fixtures.filter((f) => f.level === level);
    const versions = [...new Set(mine.map((f) => f.version))];
    expect(versions.length).toBe(kubernetesMinor(newest) + 1);
    expectAgreement(report(`${versions[0]}–${versions.at(-1)} ${level}`, mine));
  });
});
