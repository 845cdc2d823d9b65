// The ClusterProvides declaration: what it turns into, and every way it can be wrong, each refused with
// the file, the entry, the field and the fix.
import { describe, expect, it } from 'vitest';
import { ManifestGraph } from '../src/graph.ts';
import { providedDocs } from '../src/provided.ts';

const declaration = (provides: unknown[]) => ({
  apiVersion: 'validation.neurascale.io/v1',
  kind: 'ClusterProvides',
  provides,
});
const why = 'a reason long enough';

describe('a ClusterProvides declaration', () => {
  it('becomes objects the graph finds, namespaces with their labels, and keys as data', () => {
    const docs = providedDocs(
      declaration([
        { kind: 'Namespace', name: 'monitoring', labels: { team: 'obs' }, why },
        { kind: 'Secret', namespace: 'app', name: 'token', keys: ['token'], why },
        { kind: 'StorageClass', name: 'fast', apiVersion: 'storage.k8s.io/v1', why },
      ]),
      'c.yaml',
    );
    const g = new ManifestGraph([], docs);
    expect(g.namespaces.get('monitoring')).toEqual({
      'kubernetes.io/metadata.name': 'monitoring',
      team: 'obs',
    });
    expect(g.find('Secret', 'app', 'token')?.object.data).toEqual({ token: '' });
    expect(g.find('StorageClass', '', 'fast')?.ref).toEqual({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      name: 'fast',
    });
    const fast = g.find('StorageClass', '', 'fast');
    expect(fast && g.isProvided(fast)).toBe(true);
    expect(docs[1]?.source).toBe(`c.yaml (provides[1]: ${why})`);
    // The set's own object wins over a declared one of the same identity.
    const own = {
      source: 'set.yaml',
      object: { kind: 'StorageClass', metadata: { name: 'fast' } },
      ref: { kind: 'StorageClass', name: 'fast' },
    };
    expect(new ManifestGraph([own], docs).find('StorageClass', '', 'fast')).toBe(own);
  });

  it.each([
    [
      'a wrong kind of file',
      { ...declaration([]), kind: 'Provides' },
      '/kind: must be equal to constant (ClusterProvides)',
    ],
    [
      'an entry without a reason',
      declaration([{ kind: 'Namespace', name: 'x' }]),
      "/provides/0: must have required property 'why'",
    ],
    [
      'a reason too short',
      declaration([{ kind: 'Namespace', name: 'x', why: 'because' }]),
      '/provides/0/why: must NOT have fewer than 10 characters',
    ],
    [
      'an unknown field',
      declaration([{ kind: 'Namespace', name: 'x', why, label: {} }]),
      '/provides/0: must NOT have additional properties "label"',
    ],
    [
      'a kind that is not a kind',
      declaration([{ kind: 'namespace', name: 'x', why }]),
      '/provides/0/kind: must match pattern',
    ],
    [
      'a namespace on a cluster-scoped kind',
      declaration([{ kind: 'StorageClass', namespace: 'app', name: 'x', why }]),
      '/provides/0/namespace: StorageClass is cluster-scoped; fix: remove the namespace',
    ],
    [
      'a namespaced kind without a namespace',
      declaration([{ kind: 'Secret', name: 'x', why }]),
      '/provides/0/namespace: Secret x is namespaced; fix: add the namespace it lives in',
    ],
    [
      'keys on a kind without keys',
      declaration([{ kind: 'ServiceAccount', namespace: 'a', name: 'x', keys: ['k'], why }]),
      '/provides/0/keys: only a ConfigMap or a Secret has keys; fix: remove keys from ServiceAccount x',
    ],
    [
      'a metric without its type',
      declaration([{ kind: 'PrometheusMetric', name: 'up', why }]),
      '/provides/0/metricType: PrometheusMetric up needs its metricType',
    ],
    [
      'a type on something that is not a metric',
      declaration([{ kind: 'RuntimeClass', name: 'x', metricType: 'gauge', why }]),
      '/provides/0/metricType: only a PrometheusMetric has a metricType',
    ],
    [
      'a metric in a namespace',
      declaration([{ kind: 'PrometheusMetric', name: 'up', namespace: 'a', metricType: 'gauge', why }]),
      '/provides/0/namespace: a PrometheusMetric has no namespace',
    ],
    [
      'an unknown metric type',
      declaration([{ kind: 'PrometheusMetric', name: 'up', metricType: 'timer', why }]),
      '/provides/0/metricType: must be equal to one of the allowed values',
    ],
    [
      'the same object twice',
      declaration([
        { kind: 'RuntimeClass', name: 'x', why },
        { kind: 'RuntimeClass', name: 'x', why },
      ]),
      '/provides/1: RuntimeClass x is declared twice; fix: keep one entry',
    ],
  ])('refuses %s, naming the file, the entry and the fix', (_, data, message) => {
    expect(() => providedDocs(data, 'overlays/x/cluster-provides.yaml')).toThrow(
      expect.objectContaining({ message: expect.stringContaining(message) }),
    );
    expect(() => providedDocs(data, 'overlays/x/cluster-provides.yaml')).toThrow(
      /^overlays\/x\/cluster-provides\.yaml: /,
    );
  });
});
