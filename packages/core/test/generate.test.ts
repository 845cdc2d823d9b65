import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { header, toYaml } from '../src/emitter.ts';
import { EnvConfigError } from '../src/env-config.ts';
import { generate, repoRoot, subtrees } from '../src/generate.ts';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'generate-'));
  cpSync(join(repoRoot, 'overlays'), join(work, 'overlays'), { recursive: true });
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const out = () => join(work, 'generated');
const snapshot = (dir: string): Record<string, string> =>
  Object.fromEntries(
    (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
      .filter((e) => e.isFile())
      .map((e) => {
        const path = join(e.parentPath, e.name);
        return [path.slice(dir.length), readFileSync(path, 'utf8')];
      }),
  );

describe('emitter', () => {
  it('puts apiVersion, kind and metadata first, sorts every other key at every depth, starts with the header', () => {
    const text = toYaml({
      spec: { z: 1, kind: 'Ref', a: 2 },
      metadata: { name: 'b', labels: { z: '1', a: '2' } },
      kind: 'X',
      data: 'd',
      apiVersion: 'v1',
    });
    expect(text).toBe(
      `${header}apiVersion: v1\nkind: X\nmetadata:\n  labels:\n    a: "2"\n    z: "1"\n  name: b\ndata: d\nspec:\n  kind: Ref\n  a: 2\n  z: 1\n`,
    );
    expect(header.split('\n')).toHaveLength(2);
  });
});

describe('generate', () => {
  it('is byte-identical on rerun', () => {
    generate({ out: out(), only: subtrees(work), check: false, root: work });
    const first = snapshot(out());
    generate({ out: out(), only: subtrees(work), check: false, root: work });
    expect(snapshot(out())).toEqual(first);
    expect(Object.keys(first).length).toBeGreaterThan(50);
  });

  it('removes stale files and check mode reports drift', () => {
    generate({ out: out(), only: subtrees(work), check: false, root: work });
    const stale = join(out(), 'overlays', 'dev', 'patches', 'deployment-gone.yaml');
    writeFileSync(stale, 'x');
    const edited = join(out(), 'base', 'neural-engine', 'api-gateway', 'service-api-gateway.yaml');
    writeFileSync(edited, `${readFileSync(edited, 'utf8')}# hand edit\n`);
    expect(generate({ out: out(), only: subtrees(work), check: true, root: work })).toEqual([
      `differs: ${edited}`,
      `stale: ${stale}`,
    ]);
    generate({ out: out(), only: subtrees(work), check: false, root: work });
    expect(existsSync(stale)).toBe(false);
    expect(generate({ out: out(), only: subtrees(work), check: true, root: work })).toEqual([]);
  });

  it('leaves the previous tree untouched when an env config is invalid', () => {
    generate({ out: out(), only: subtrees(work), check: false, root: work });
    const before = snapshot(out());
    const config = join(work, 'overlays', 'staging', 'env.json');
    writeFileSync(config, readFileSync(config, 'utf8').replace('"logLevel": "info"', '"logLevel": "loud"'));
    // base and dev come first in the run, yet nothing may be written when staging is bad.
    writeFileSync(
      join(work, 'overlays', 'dev', 'env.json'),
      readFileSync(join(work, 'overlays', 'dev', 'env.json'), 'utf8').replace('"debug"', '"info"'),
    );
    expect(() => generate({ out: out(), only: subtrees(work), check: false, root: work })).toThrow(
      EnvConfigError,
    );
    expect(snapshot(out())).toEqual(before);
    expect(readdirSync(join(out(), 'overlays')).sort()).toEqual(['dev', 'production', 'staging']);
  });
});

describe('components', () => {
  it('an environment lists the GPU component of each service it runs on a GPU, and one with the GPU off has nothing of it', () => {
    generate({ out: out(), only: subtrees(work), check: false, root: work });
    const production = snapshot(join(out(), 'overlays', 'production'));
    expect(production['/kustomization.yaml']).toContain(
      'components:\n  - ../../components/mesh\n  - ../../components/canary-api-gateway\n' +
        '  - ../../components/gpu-ml-pipeline\n  - ../../components/gpu-neural-processor\n',
    );
    const dev = Object.values(snapshot(join(out(), 'overlays', 'dev'))).join('\n');
    expect(dev).not.toMatch(/components\/gpu-|nvidia/);
    const component = snapshot(join(out(), 'components', 'gpu-ml-pipeline'));
    expect(component['/kustomization.yaml']).toContain('kind: Component\n');
    expect(component['/patches/deployment-ml-pipeline.yaml']).toMatch(
      /nvidia\.com\/gpu: "1"[\s\S]*runtimeClassName: nvidia/,
    );
  });
});

describe('cluster-provides.yaml', () => {
  it("declares the namespaces, the secret operator's identity and (where a GPU runs) the runtime the overlay relies on, outside the kustomization", () => {
    generate({ out: out(), only: subtrees(work), check: false, root: work });
    const production = snapshot(join(out(), 'overlays', 'production'));
    const declared = production['/cluster-provides.yaml'] ?? '';
    expect(declared).toContain('kind: ClusterProvides\n');
    for (const name of ['istio-ingress', 'monitoring', 'velero', 'external-secrets', 'nvidia']) {
      expect(declared).toContain(`name: ${name}\n`);
    }
    expect(production['/kustomization.yaml']).not.toContain('cluster-provides');
    // The secret store and the data stores are generated now (external-secrets/, data-stores/), not assumed.
    expect(declared).not.toContain('ClusterSecretStore');
    expect(declared).not.toContain('name: neural-data\n');
    const dev = snapshot(join(out(), 'overlays', 'dev'))['/cluster-provides.yaml'] ?? '';
    expect(dev).toContain('name: monitoring\n');
    expect(dev).not.toContain('RuntimeClass');
  });
});

describe('committed generated/ (golden)', () => {
  it('equals what the sources produce', () => {
    expect(generate({ out: join(repoRoot, 'generated'), only: subtrees(), check: true })).toEqual([]);
  });
});
