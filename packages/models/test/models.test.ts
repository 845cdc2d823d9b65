import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Canary, MetricTemplate } from '@neurascale/models/flagger';
import { Schedule } from '@neurascale/models/velero';
import { afterAll, describe, expect, it } from 'vitest';
import { compareTrees, generateModels, modelSources, modelsDir, pinOf } from '../src/generate-models.ts';

const scratch = mkdtempSync(join(tmpdir(), 'models-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('generated models', () => {
  it.each(modelSources.map((s) => [s.name, s] as const))(
    '%s: the committed models are what the pinned CRDs generate',
    async (_name, source) => {
      const fresh = join(scratch, `fresh-${source.name}`);
      await generateModels(source, fresh);
      expect(compareTrees(fresh, modelsDir(source), source.name)).toEqual([]);
    },
  );

  it('names a committed file that was edited by hand, a missing one and a stray one', async () => {
    const [source] = modelSources;
    if (!source) throw new Error('no model source');
    const fresh = join(scratch, 'fresh-edited');
    await generateModels(source, fresh);
    const committed = join(scratch, 'committed');
    cpSync(modelsDir(source), committed, { recursive: true });
    writeFileSync(join(committed, 'flagger.app/v1beta1/Canary.ts'), '// edited\n');
    rmSync(join(committed, 'flagger.app/index.ts'));
    writeFileSync(join(committed, 'stray.ts'), '');
    expect(compareTrees(fresh, committed, 'flagger')).toEqual([
      'flagger/flagger.app/index.ts: missing (run generate-models)',
      'flagger/flagger.app/v1beta1/Canary.ts: differs from what the pinned CRD generates (run generate-models)',
      'flagger/stray.ts: not generated any more (run generate-models)',
    ]);
  });

  it('takes the version the toolchain pins and refuses a module it does not pin', () => {
    const [source] = modelSources;
    if (!source) throw new Error('no model source');
    const crds = [{ module: source.module, version: 'v9.9.9', files: ['x.yaml'] }];
    expect(pinOf(source, crds)).toEqual({ module: source.module, version: 'v9.9.9', files: source.files });
    expect(() => pinOf(source, [])).toThrow(/does not pin under "crds"; pin it there first/);
  });
});

describe('Flagger models', () => {
  const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' } as const;

  it('accept a complete canary and reject an analysis without a threshold', () => {
    const analysis = { interval: '1m', threshold: 10, maxWeight: 50, stepWeight: 5 };
    expect(() =>
      new Canary({
        metadata: { name: 'api' },
        spec: { targetRef: target, service: { port: 80 }, analysis },
      }).validate(),
    ).not.toThrow();
    const { threshold: _dropped, ...partial } = analysis;
    expect(() =>
      new Canary({
        metadata: { name: 'api' },
        spec: { targetRef: target, service: { port: 80 }, analysis: partial as typeof analysis },
      }).validate(),
    ).toThrow(/threshold/);
  });

  it('reject a metric provider the CRD does not know', () => {
    const template = (type: string) =>
      new MetricTemplate({
        metadata: { name: 'm' },
        spec: { provider: { type: type as 'prometheus' }, query: 'up' },
      });
    expect(() => template('prometheus').validate()).not.toThrow();
    expect(() => template('bogus').validate()).toThrow(/allowed values|must be equal to one of/);
  });
});

describe('Velero models', () => {
  it('accept a schedule and reject one without its cron', () => {
    const spec = { schedule: '0 * * * *', template: { includedNamespaces: ['app'], ttl: '24h0m0s' } };
    expect(() => new Schedule({ metadata: { name: 'hourly' }, spec }).validate()).not.toThrow();
    const { schedule: _dropped, ...partial } = spec;
    expect(() =>
      new Schedule({ metadata: { name: 'hourly' }, spec: partial as typeof spec }).validate(),
    ).toThrow(/schedule/);
  });
});
