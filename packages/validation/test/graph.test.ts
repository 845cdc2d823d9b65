// The shared graph queries, each asserted on its own: identities, scopes, selectors, service accounts,
// autoscaler targets and RBAC grants. The rules build on these, so a wrong answer here is a wrong verdict
// in several rules at once.
import { describe, expect, it } from 'vitest';
import {
  arr,
  autoscalerFor,
  describe as describeDoc,
  grantsToWorkloads,
  groupOf,
  identityOf,
  isEmptySelector,
  ManifestGraph,
  namespaceOf,
  obj,
  podKinds,
  selectorMatches,
  strings,
  targetOf,
  workloadKinds,
} from '../src/graph.ts';
import type { Doc, Json } from '../src/inputs.ts';

function doc(object: Json): Doc {
  const meta = obj(object.metadata);
  return {
    source: 'graph.yaml',
    object,
    ref: {
      apiVersion: object.apiVersion as string | undefined,
      kind: object.kind as string | undefined,
      name: meta.name as string | undefined,
      namespace: meta.namespace as string | undefined,
    },
  };
}

const deployment = (name: string, namespace: string, labels: Json, serviceAccountName?: string): Json => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace },
  spec: {
    template: {
      metadata: { labels },
      spec: { ...(serviceAccountName ? { serviceAccountName } : {}), containers: [{ name: 'c' }] },
    },
  },
});

describe('value coercions', () => {
  it('obj keeps plain objects and turns everything else into an empty object', () => {
    expect(obj({ a: 1 })).toEqual({ a: 1 });
    for (const v of [null, undefined, 0, 'x', [1], true]) expect(obj(v)).toEqual({});
  });
  it('arr keeps arrays of objects and turns everything else into an empty list', () => {
    expect(arr([{ a: 1 }, 'x'])).toEqual([{ a: 1 }, {}]);
    expect(arr({ a: 1 })).toEqual([]);
  });
  it('strings stringifies array items and ignores non-arrays', () => {
    expect(strings([1, 'a'])).toEqual(['1', 'a']);
    expect(strings('a')).toEqual([]);
  });
});

describe('scopes and identities', () => {
  it.each([
    'Namespace',
    'ClusterRole',
    'ClusterRoleBinding',
    'CustomResourceDefinition',
    'PriorityClass',
    'StorageClass',
    'PersistentVolume',
    'Node',
    'ValidatingWebhookConfiguration',
    'MutatingWebhookConfiguration',
    'RuntimeClass',
    'IngressClass',
    'GatewayClass',
    'ClusterIssuer',
    'ClusterSecretStore',
    'ClusterExternalSecret',
    'APIService',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
    'CSIDriver',
    'VolumeSnapshotClass',
  ])('%s is cluster-scoped even when it names a namespace', (kind) => {
    expect(namespaceOf(doc({ apiVersion: 'v1', kind, metadata: { name: 'x', namespace: 'ns' } }))).toBe('');
  });

  it('a namespaced object without a namespace lands in default', () => {
    expect(namespaceOf(doc({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }))).toBe(
      'default',
    );
    expect(
      namespaceOf(doc({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'a' } })),
    ).toBe('a');
  });

  it('groupOf takes the part before the slash, and nothing for the core group', () => {
    expect(groupOf('apps/v1')).toBe('apps');
    expect(groupOf('v1')).toBe('');
    expect(groupOf(undefined)).toBe('');
  });

  it('identityOf names group, kind, namespace and name, with core for the core group', () => {
    expect(
      identityOf(doc({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'n' } })),
    ).toBe('core/Service/n/s');
    expect(identityOf(doc(deployment('d', 'n', {})))).toBe('apps/Deployment/n/d');
    expect(
      identityOf(
        doc({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } }),
      ),
    ).toBe('rbac.authorization.k8s.io/ClusterRole//r');
  });

  it('describe names namespaced objects with their namespace and cluster-scoped ones without', () => {
    expect(describeDoc(doc(deployment('d', 'n', {})))).toBe('Deployment n/d');
    expect(describeDoc(doc({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } }))).toBe(
      'Namespace n',
    );
  });

  it('lists the workload and pod kinds', () => {
    expect(workloadKinds).toEqual([
      'Deployment',
      'StatefulSet',
      'ReplicaSet',
      'ReplicationController',
      'DaemonSet',
    ]);
    expect(podKinds).toEqual(['Pod', ...workloadKinds, 'Job', 'CronJob']);
  });
});

describe('selectors', () => {
  const labels = { app: 'web', tier: 'front' };
  it.each([
    [{}, true],
    [{ matchLabels: { app: 'web', tier: 'front' } }, true],
    [{ matchLabels: { app: 'web', tier: 'back' } }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['undefined'] }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'In' }] }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['back'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['undefined'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, false],
    [
      {
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'Exists' },
          { key: 'zone', operator: 'DoesNotExist' },
        ],
      },
      true,
    ],
  ])('%j → %s', (selector, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });

  it('a label whose value is the empty string still exists', () => {
    expect(selectorMatches({ matchExpressions: [{ key: 'x', operator: 'Exists' }] }, { x: '' })).toBe(true);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'x', operator: 'In', values: [''] }] }, { x: '' }),
    ).toBe(true);
  });

  it('a selector is empty only with neither labels nor expressions', () => {
    expect(isEmptySelector({})).toBe(true);
    expect(isEmptySelector({ matchLabels: {}, matchExpressions: [] })).toBe(true);
    expect(isEmptySelector({ matchLabels: { a: 'b' } })).toBe(false);
    expect(isEmptySelector({ matchExpressions: [{ key: 'a', operator: 'Exists' }] })).toBe(false);
  });
});

describe('ManifestGraph', () => {
  const g = new ManifestGraph([
    doc({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app', labels: { team: 'core' } } }),
    doc({ apiVersion: 'v1', kind: 'Namespace', metadata: { labels: { nameless: 'yes' } } }),
    doc(deployment('api', 'app', { app: 'api' }, 'api-sa')),
    doc(deployment('web', 'app', { app: 'web' })),
    doc(deployment('api', 'other', { app: 'api' }, 'api-sa')),
    doc({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'app', labels: { app: 'pod' } },
      spec: { serviceAccount: 'legacy' },
    }),
    doc({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'app' } }),
  ]);

  it('knows each pod template with its labels, path and service account', () => {
    expect(
      g.podTemplates.map((p) => [p.doc.ref.name, p.namespace, p.labels, p.podPath, p.serviceAccount]),
    ).toEqual([
      ['api', 'app', { app: 'api' }, 'spec.template.spec', 'api-sa'],
      ['web', 'app', { app: 'web' }, 'spec.template.spec', 'default'],
      ['api', 'other', { app: 'api' }, 'spec.template.spec', 'api-sa'],
      ['p', 'app', { app: 'pod' }, 'spec', 'legacy'],
    ]);
  });

  it('knows named namespaces with their implicit name label', () => {
    expect([...g.namespaces]).toEqual([['app', { 'kubernetes.io/metadata.name': 'app', team: 'core' }]]);
  });

  it('finds by kind, and by kind, namespace and name', () => {
    expect(g.ofKind('ConfigMap', 'Pod').map((d) => d.ref.name)).toEqual(['p', 'cm']);
    expect(g.find('Deployment', 'other', 'api')?.object).toBe(g.docs[4]?.object);
    expect(g.find('Deployment', 'nowhere', 'api')).toBeUndefined();
    expect(g.find('Service', 'app', 'api')).toBeUndefined();
  });

  it('selects pods only in the selector namespace', () => {
    expect(g.podsSelectedBy('app', { matchLabels: { app: 'api' } }).map((p) => p.doc.ref.name)).toEqual([
      'api',
    ]);
    expect(g.podsSelectedBy('app', {}).length).toBe(3);
    expect(g.podsSelectedBy('none', {})).toEqual([]);
  });

  it('finds the pods of a service account only in its namespace', () => {
    expect(g.podsOfServiceAccount('app', 'api-sa').map((p) => p.namespace)).toEqual(['app']);
    expect(g.podsOfServiceAccount('app', 'default').map((p) => p.doc.ref.name)).toEqual(['web']);
    expect(g.podsOfServiceAccount('other', 'default')).toEqual([]);
  });
});

describe('autoscalers', () => {
  const hpa = (name: string, namespace: string, target: Json): Doc =>
    doc({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name, namespace },
      spec: { scaleTargetRef: target, minReplicas: 2, maxReplicas: 3 },
    });
  const vpa = doc({
    apiVersion: 'autoscaling.k8s.io/v1',
    kind: 'VerticalPodAutoscaler',
    metadata: { name: 'v', namespace: 'app' },
    spec: { targetRef: { kind: 'Deployment', name: 'api' } },
  });

  it('targetOf reads scaleTargetRef for an HPA and targetRef for a VPA', () => {
    expect(targetOf(hpa('h', 'app', { kind: 'Deployment', name: 'api' }))).toEqual({
      kind: 'Deployment',
      name: 'api',
      field: 'spec.scaleTargetRef',
    });
    expect(targetOf(vpa)).toEqual({ kind: 'Deployment', name: 'api', field: 'spec.targetRef' });
  });

  it('targetOf refuses a reference without a string kind or name', () => {
    expect(targetOf(hpa('h', 'app', { name: 'api' }))).toBeUndefined();
    expect(targetOf(hpa('h', 'app', { kind: 'Deployment' }))).toBeUndefined();
    expect(targetOf(hpa('h', 'app', { kind: 1, name: 'api' }))).toBeUndefined();
  });

  it('autoscalerFor matches namespace, kind and name', () => {
    const api = doc(deployment('api', 'app', { app: 'api' }));
    const g = new ManifestGraph([
      api,
      hpa('wrong-ns', 'other', { kind: 'Deployment', name: 'api' }),
      hpa('wrong-kind', 'app', { kind: 'StatefulSet', name: 'api' }),
      hpa('wrong-name', 'app', { kind: 'Deployment', name: 'web' }),
      hpa('no-target', 'app', {}),
    ]);
    expect(autoscalerFor(g, api)).toBeUndefined();
    const right = hpa('right', 'app', { kind: 'Deployment', name: 'api' });
    expect(autoscalerFor(new ManifestGraph([...g.docs, right]), api)).toBe(right);
  });
});

describe('grantsToWorkloads', () => {
  const role = (kind: string, name: string, namespace?: string): Doc =>
    doc({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind,
      metadata: { name, ...(namespace ? { namespace } : {}) },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
    });
  const binding = (kind: string, name: string, roleRef: Json, subjects: Json[], namespace?: string): Doc =>
    doc({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind,
      metadata: { name, ...(namespace ? { namespace } : {}) },
      roleRef,
      subjects,
    });
  const sa = (name: string, namespace?: string): Json => ({
    kind: 'ServiceAccount',
    name,
    ...(namespace ? { namespace } : {}),
  });

  it('follows Role and ClusterRole references to the pods of their ServiceAccount subjects', () => {
    const g = new ManifestGraph([
      doc(deployment('api', 'app', { app: 'api' }, 'api-sa')),
      role('Role', 'reader', 'app'),
      role('ClusterRole', 'cluster-reader'),
      binding('RoleBinding', 'b1', { kind: 'Role', name: 'reader' }, [sa('api-sa')], 'app'),
      binding('ClusterRoleBinding', 'b2', { kind: 'ClusterRole', name: 'cluster-reader' }, [
        sa('api-sa', 'app'),
      ]),
      binding('RoleBinding', 'b3', { kind: 'ClusterRole', name: 'cluster-reader' }, [sa('api-sa')], 'app'),
    ]);
    const found = grantsToWorkloads(g).map(({ grant, pods }) => [
      grant.binding.ref.name,
      grant.role.ref.name,
      grant.rules.length,
      pods.map((p) => p.doc.ref.name),
    ]);
    expect(found).toEqual([
      ['b1', 'reader', 1, ['api']],
      ['b2', 'cluster-reader', 1, ['api']],
      ['b3', 'cluster-reader', 1, ['api']],
    ]);
  });

  it('ignores missing roles, roles in another namespace, other subjects and subjects without pods', () => {
    const g = new ManifestGraph([
      doc(deployment('api', 'app', { app: 'api' }, 'api-sa')),
      role('Role', 'reader', 'elsewhere'),
      role('Role', 'local', 'app'),
      binding('RoleBinding', 'missing', { kind: 'Role', name: 'absent' }, [sa('api-sa')], 'app'),
      binding('RoleBinding', 'cross', { kind: 'Role', name: 'reader' }, [sa('api-sa')], 'app'),
      binding(
        'RoleBinding',
        'user',
        { kind: 'Role', name: 'local' },
        [{ kind: 'User', name: 'api-sa' }],
        'app',
      ),
      binding('RoleBinding', 'idle', { kind: 'Role', name: 'local' }, [sa('nobody')], 'app'),
      binding('RoleBinding', 'other-ns', { kind: 'Role', name: 'local' }, [sa('api-sa', 'other')], 'app'),
    ]);
    expect(grantsToWorkloads(g)).toEqual([]);
  });
});

describe('labels controllers add at run time', () => {
  const workload = (kind: string, name: string, spec: Json = {}) =>
    doc({
      apiVersion: 'apps/v1',
      kind,
      metadata: { name, namespace: 'app' },
      spec: { ...spec, template: { metadata: { labels: { app: name } }, spec: {} } },
    });
  const runtimeOf = (g: ManifestGraph, name: string) =>
    g.podTemplates.find((p) => p.doc.ref.name === name)?.runtimeLabels ?? {};

  it('are known per controller: template hash, pod name and index, revision, job name and uid', () => {
    const g = new ManifestGraph([
      workload('Deployment', 'web'),
      workload('ReplicaSet', 'rs'),
      workload('StatefulSet', 'db', { replicas: 2 }),
      workload('DaemonSet', 'agent'),
      workload('Job', 'migrate'),
      workload('CronJob', 'nightly'),
      workload('Pod', 'bare'),
    ]);
    expect(Object.keys(runtimeOf(g, 'web'))).toEqual(['pod-template-hash']);
    expect(Object.keys(runtimeOf(g, 'rs'))).toEqual(['pod-template-hash']);
    expect(Object.keys(runtimeOf(g, 'agent')).sort()).toEqual([
      'controller-revision-hash',
      'pod-template-generation',
    ]);
    expect(runtimeOf(g, 'bare')).toEqual({});
    const db = runtimeOf(g, 'db');
    expect(
      ['db-0', 'db-1', 'db-2', 'db-01', 'web-0', 'db-x'].map((v) =>
        db['statefulset.kubernetes.io/pod-name']?.(v),
      ),
    ).toEqual([true, true, false, false, false, false]);
    expect(['0', '1', '2', '-1'].map((v) => db['apps.kubernetes.io/pod-index']?.(v))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(db['controller-revision-hash']?.('abc')).toBe(true);
    const job = runtimeOf(g, 'migrate');
    expect(['migrate', 'other'].map((v) => job['job-name']?.(v))).toEqual([true, false]);
    expect(job['batch.kubernetes.io/job-name']?.('migrate')).toBe(true);
    expect(job['batch.kubernetes.io/controller-uid']?.('1234')).toBe(true);
    expect(['0', '7', 'a'].map((v) => job['batch.kubernetes.io/job-completion-index']?.(v))).toEqual([
      true,
      true,
      false,
    ]);
    const cron = runtimeOf(g, 'nightly');
    expect(['nightly-29000000', 'nightly', 'other-1'].map((v) => cron['job-name']?.(v))).toEqual([
      true,
      false,
      false,
    ]);
  });

  it('let a StatefulSet scaled by an HPA have any ordinal, one without only those below its replicas', () => {
    const hpa = doc({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'db', namespace: 'app' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db' }, maxReplicas: 5 },
    });
    const scaled = new ManifestGraph([workload('StatefulSet', 'db'), hpa]);
    expect(runtimeOf(scaled, 'db')['statefulset.kubernetes.io/pod-name']?.('db-9')).toBe(true);
    const fixed = new ManifestGraph([workload('StatefulSet', 'db')]);
    expect(runtimeOf(fixed, 'db')['statefulset.kubernetes.io/pod-name']?.('db-0')).toBe(true);
    expect(runtimeOf(fixed, 'db')['statefulset.kubernetes.io/pod-name']?.('db-1')).toBe(false);
  });

  it('match selectors by value, In, NotIn, Exists and DoesNotExist; the template label wins over them', () => {
    const runtime = { hash: () => true, name: (v: string) => v === 'db-0' };
    const labels = { app: 'db' };
    const m = (selector: Parameters<typeof selectorMatches>[0]) => selectorMatches(selector, labels, runtime);
    expect(m({ matchLabels: { name: 'db-0' } })).toBe(true);
    expect(m({ matchLabels: { name: 'db-1' } })).toBe(false);
    expect(m({ matchLabels: { other: 'x' } })).toBe(false);
    expect(m({ matchExpressions: [{ key: 'name', operator: 'In', values: ['db-5', 'db-0'] }] })).toBe(true);
    expect(m({ matchExpressions: [{ key: 'name', operator: 'In', values: ['db-5'] }] })).toBe(false);
    expect(m({ matchExpressions: [{ key: 'hash', operator: 'NotIn', values: ['abc'] }] })).toBe(true);
    expect(m({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['db'] }] })).toBe(false);
    expect(m({ matchExpressions: [{ key: 'hash', operator: 'Exists' }] })).toBe(true);
    expect(m({ matchExpressions: [{ key: 'other', operator: 'Exists' }] })).toBe(false);
    expect(m({ matchExpressions: [{ key: 'hash', operator: 'DoesNotExist' }] })).toBe(false);
    expect(m({ matchExpressions: [{ key: 'other', operator: 'DoesNotExist' }] })).toBe(true);
    // A label of the template is what it is; the controller does not overwrite it.
    expect(selectorMatches({ matchLabels: { name: 'db-0' } }, { name: 'fixed' }, runtime)).toBe(false);
  });
});

describe('provided pods', () => {
  it('count for selectors in their namespace, by their declared labels', () => {
    const pod = {
      source: 'c.yaml',
      object: { kind: 'Pod', metadata: { name: 'w', namespace: 'app', labels: { wf: 'nightly' } } },
      ref: { kind: 'Pod', name: 'w', namespace: 'app' },
    };
    const g = new ManifestGraph([], [pod]);
    expect(g.anyPodSelected('app', { matchLabels: { wf: 'nightly' } })).toBe(true);
    expect(g.anyPodSelected('app', { matchLabels: { wf: 'daily' } })).toBe(false);
    expect(g.anyPodSelected('other', { matchLabels: { wf: 'nightly' } })).toBe(false);
    expect(g.podTemplates).toEqual([]);
  });
});
