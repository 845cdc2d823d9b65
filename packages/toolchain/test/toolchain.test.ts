import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseToolVersions, readToolVersions, versionsFile } from '../src/index.ts';

const pins = () => JSON.parse(readFileSync(versionsFile, 'utf8'));

describe('packages/toolchain/versions.json', () => {
  it('is valid and pins at least two Kubernetes minors', () => {
    const minors = new Set(readToolVersions().kubernetes.versions.map((v) => v.split('.')[1]));
    expect(minors.size).toBeGreaterThanOrEqual(2);
  });

  it('rejects an unpinned or malformed version with the path', () => {
    const bad = pins();
    bad.binaries.kustomize.version = 'latest';
    expect(() => parseToolVersions(JSON.stringify(bad))).toThrow(
      /packages\/toolchain\/versions.json: invalid pins:\n {2}\/binaries\/kustomize\/version: must match pattern/,
    );
  });

  it('rejects a single Kubernetes version and an unknown field', () => {
    const bad = pins();
    bad.kubernetes.versions = ['v1.37.2'];
    bad.extra = true;
    const message = (() => {
      try {
        parseToolVersions(JSON.stringify(bad));
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toContain('/kubernetes/versions: must NOT have fewer than 2 items');
    expect(message).toContain('/: must NOT have additional properties');
  });
});
