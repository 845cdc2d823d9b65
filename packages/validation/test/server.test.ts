// The server tier against a real kube-apiserver: the server rules on their fixtures, known-bad objects
// the server must refuse, and the Pod Security checker against the server's own admission (differential).
// One control plane serves the whole file; every case gets its own namespace.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterAutoscalerObjects, environments as environmentsIn, parseEnvConfig } from '@neurascale/core';
import { readToolVersions, repoRoot } from '@neurascale/toolchain';
import { type ControlPlane, startControlPlane } from '@neurascale/toolchain/controlplane';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { fixturePath, rules } from '../src/catalogue.ts';
import type { Finding } from '../src/findings.ts';
import { ManifestGraph } from '../src/graph.ts';
import { type Doc, parseDocuments } from '../src/inputs.ts';
import { kustomizeBuild } from '../src/kustomize.ts';
import { checkPodSecurity } from '../src/pod-security.ts';
import { loadPssFixtures } from '../src/pss-fixtures.ts';
import { accessMatrix, dryRun, prepare } from '../src/server.ts';
import { validateOnServer } from '../src/server-cli.ts';
import { expectedFindings, foundBy } from './expected.ts';

const environments = environmentsIn(repoRoot);

let cp: ControlPlane;

/** A pod's volumes as its controller creates them: a StatefulSet adds one claim per volumeClaimTemplate. */
function podVolumes(workload: Doc): unknown[] {
  const spec = workload.object.spec as {
    template: { spec: { volumes?: unknown[] } };
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
  const claims = (spec.volumeClaimTemplates ?? []).map((t) => ({
    name: t.metadata.name,
    persistentVolumeClaim: { claimName: `${t.metadata.name}-${workload.ref.name}-0` },
  }));
  return [...(spec.template.spec.volumes ?? []), ...claims];
}
let counter = 0;

beforeAll(async () => {
  // The test-server target builds the binary first (dependsOn tools:controlplane).
  cp = await startControlPlane({ build: false });
}, 900_000);
afterAll(async () => {
  await cp?.stop();
});

/** Moves fixture objects from namespace `app` into a fresh one, so cases never see each other. */
function isolated(text: string, source: string): Doc[] {
  const ns = `case-${++counter}`;
  const moved = text
    .replace(/\bnamespace: app\b/g, `namespace: ${ns}`)
    .replace(/\bname: app\b/g, `name: ${ns}`);
  const { docs, findings } = parseDocuments(moved, source);
  expect(findings).toEqual([]);
  return docs;
}

async function serverFindings(docs: Doc[]): Promise<Finding[]> {
  await prepare(cp, docs);
  const rejected = await dryRun(cp, docs);
  const access = await accessMatrix(cp, docs);
  // Back from the case's own namespace to the fixture's, as expected.json names the objects.
  return [...rejected, ...access.findings].map((f) => ({
    ...f,
    object: {
      ...f.object,
      ...(f.object.namespace ? { namespace: f.object.namespace.replace(/^case-\d+$/, 'app') } : {}),
    },
    message: f.message.replace(/case-\d+/g, 'app'),
  }));
}

const serverRuleIds = [...rules().values()].filter((r) => r.engine === 'server').map((r) => r.id);
const fixture = fixturePath;

describe.each(serverRuleIds)('%s', (id) => {
  it('reports exactly the expected findings on its failing fixture', async () => {
    const docs = isolated(readFileSync(fixture(id, 'fail'), 'utf8'), `${id}/fail.yaml`);
    expect(foundBy(id, await serverFindings(docs))).toEqual([...expectedFindings(id)].sort());
  });

  it('passes its passing fixture', async () => {
    const docs = isolated(readFileSync(fixture(id, 'pass'), 'utf8'), `${id}/pass.yaml`);
    expect(foundBy(id, await serverFindings(docs))).toEqual([]);
  });
});

describe('known-bad objects the server refuses', () => {
  const deployment = (ns: string, selector: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: ${selector}}}
  template:
    metadata: {labels: {app.kubernetes.io/name: ${selector}}}
    spec: {containers: [{name: web, image: "web:1.0.0"}]}
`;

  it('an immutable selector change', async () => {
    const ns = `case-${++counter}`;
    await prepare(cp, isolated(`apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n`, 'ns.yaml'));
    const applied = await cp.kubectl(['apply', '--server-side', '-f', '-'], { input: deployment(ns, 'web') });
    expect(applied.code).toBe(0);
    const [changed] = await dryRun(cp, parseDocuments(deployment(ns, 'web-v2'), 'changed.yaml').docs);
    expect(changed).toMatchObject({ rule: 'server-rejected', object: { kind: 'Deployment', name: 'web' } });
    expect(changed?.message).toMatch(/field is immutable/);
  });

  it('a CRD field of the wrong type', async () => {
    const docs = isolated(
      `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: web, namespace: app}
spec:
  refreshInterval: 5
  secretStoreRef: {kind: ClusterSecretStore, name: store}
  data: [{secretKey: a, remoteRef: {key: b}}]
`,
      'externalsecret.yaml',
    );
    await prepare(cp, docs);
    const [rejected] = await dryRun(cp, docs);
    expect(rejected?.rule).toBe('server-rejected');
    expect(rejected?.message).toMatch(/refreshInterval/);
  });
});

describe('Pod Security: our checker against the server admission', () => {
  const newest = readToolVersions().kubernetes.versions.at(-1) as string;
  const minor = newest.split('.')[1];

  it(`agrees with admission on every upstream fixture of v1.${minor}`, async () => {
    const fixtures = loadPssFixtures(newest);
    const namespaces = (['baseline', 'restricted'] as const).map((level) => ({
      level,
      ns: `pss-${level}-${++counter}`,
    }));
    for (const { level, ns } of namespaces) {
      const labels = `{pod-security.kubernetes.io/enforce: ${level}, pod-security.kubernetes.io/enforce-version: v1.${minor}}`;
      await prepare(
        cp,
        parseDocuments(`apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}, labels: ${labels}}\n`, 'ns')
          .docs,
      );
    }
    const cases = fixtures.map((f, i) => {
      const ns = namespaces.find((n) => n.level === f.level)?.ns as string;
      const meta = { ...(f.object.metadata as object), name: `fixture-${i}`, namespace: ns };
      const object = { ...f.object, metadata: meta };
      return {
        f,
        doc: {
          source: f.name,
          object,
          ref: { apiVersion: 'v1', kind: String(f.object.kind), namespace: ns, name: meta.name },
        } as Doc,
      };
    });
    const results = await dryRun(
      cp,
      cases.map((c) => c.doc),
    );
    const disagreements = cases.flatMap(({ f, doc }) => {
      const admitted = !results.some((r) => r.rule === 'server-rejected' && r.object === doc.ref);
      const ours = checkPodSecurity(doc.object, f.level, f.name, `v1.${minor}`).length === 0;
      const expected = f.expect === 'pass';
      return admitted === ours && admitted === expected
        ? []
        : [
            `${f.name}: fixture expects ${f.expect}, server ${admitted ? 'admits' : 'refuses'}, checker ${ours ? 'passes' : 'fails'}`,
          ];
    });
    console.log(
      `PSS differential v1.${minor}: checker and kube-apiserver ${newest} agree on ${fixtures.length - disagreements.length}/${fixtures.length} upstream fixtures`,
    );
    expect(disagreements).toEqual([]);
  }, 600_000);

  it('agrees with admission on the pods of every rendered environment', async () => {
    const ns = `pss-rendered-${++counter}`;
    await prepare(
      cp,
      parseDocuments(
        `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}, labels: {pod-security.kubernetes.io/enforce: restricted}}\n`,
        'ns',
      ).docs,
    );
    const pods = environments.flatMap((env) => {
      const graph = new ManifestGraph(
        parseDocuments(kustomizeBuild(join(repoRoot, 'generated', 'overlays', env)), env).docs,
      );
      return graph.podTemplates.map((p) => {
        const template = p.doc.object.spec as { template: { metadata: object; spec: object } };
        const name = `${env}-${p.doc.ref.name}`;
        const object = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { ...template.template.metadata, name, namespace: ns },
          // The workload's own ServiceAccount lives in the app namespace; admission only needs one to exist.
          spec: { ...template.template.spec, serviceAccountName: 'default', volumes: podVolumes(p.doc) },
        };
        return { source: env, object, ref: { apiVersion: 'v1', kind: 'Pod', namespace: ns, name } } as Doc;
      });
    });
    // Every service of the app tier in every environment, and dev's in-cluster data stores.
    expect(pods.length).toBeGreaterThanOrEqual(environments.length * 6 + 3);
    const results = await dryRun(cp, pods);
    for (const pod of pods) {
      // Only Pod Security decides here; other admission (e.g. the RuntimeClass of GPU pods, which the GPU
      // operator provides on a real cluster) is not what the checker models.
      const admitted = !results.some(
        (r) =>
          r.rule === 'server-rejected' && r.object === pod.ref && r.message.includes('violates PodSecurity'),
      );
      const ours = checkPodSecurity(pod.object, 'restricted', pod.source).length === 0;
      expect({ pod: pod.ref.name, admitted, ours }).toEqual({
        pod: pod.ref.name,
        admitted: true,
        ours: true,
      });
    }
    console.log(
      `PSS differential on rendered pods: ${pods.length}/${pods.length} admitted by the server and passed by the checker`,
    );
  }, 300_000);
});

describe('a fresh control plane and a custom resource (the CRD is installed and served in the same run)', () => {
  it('validate-server on a lone Gateway API HTTPRoute ends with a verdict, never a tool error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lone-route-'));
    try {
      const file = join(dir, 'route.yaml');
      writeFileSync(
        file,
        `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api, namespace: web}
spec:
  parentRefs: [{name: public, namespace: gateways}]
  rules: [{backendRefs: [{name: api, port: 80}]}]
`,
      );
      const result = await validateOnServer(file);
      expect(result.objects).toBe(1);
      expect(result.findings.filter((f) => f.severity === 'error')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tenant isolation on the server (the committed staging tenants)', () => {
  it("each tenant's group may run workloads in its own namespace and do nothing in another's or the app's", async () => {
    const dir = join(repoRoot, 'generated', 'overlays', 'staging', 'tenants');
    // The app namespace too: a tenant's group must reach nothing there either.
    const app = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: neural-engine}\n---\n';
    const docs = parseDocuments(app + kustomizeBuild(dir), 'staging/tenants').docs;
    await prepare(cp, docs);
    expect((await dryRun(cp, docs)).filter((f) => f.severity === 'error')).toEqual([]);
    const { rows, findings } = await accessMatrix(cp, docs);
    expect(findings).toEqual([]);
    const groups = new Map(
      docs
        .filter((d) => d.ref.kind === 'RoleBinding' && d.ref.namespace !== 'neural-engine')
        .map((d) => [String(d.ref.namespace), (d.object.subjects as { name: string }[])[0]?.name]),
    );
    expect(groups.size).toBeGreaterThan(1);
    for (const [own, group] of groups) {
      const mine = rows.filter((r) => r.account === `group ${group} in ${own}`);
      expect(mine.find((r) => r.check.resource === 'deployments')?.actual, `${group} in ${own}`).toBe(true);
      const elsewhere = rows.filter(
        (r) => r.account.startsWith(`group ${group} in `) && !r.account.endsWith(` in ${own}`),
      );
      // Six namespaced checks in each of the other tenant's namespace and the app's.
      expect(elsewhere.filter((r) => !r.check.cluster)).toHaveLength(12);
      expect(
        elsewhere.filter((r) => r.actual).map((r) => `${r.account}: ${r.check.verb} ${r.check.resource}`),
      ).toEqual([]);
    }
  }, 120_000);
});

describe('the self-managed cluster-autoscaler (no committed environment runs it) on the server', () => {
  it('is admitted, and its service account can do on the server exactly what its RBAC in the set grants', async () => {
    const config = JSON.parse(readFileSync(join(repoRoot, 'overlays', 'production', 'env.json'), 'utf8'));
    config.cluster.autoscaler = {
      type: 'self-managed',
      version: 'v1.33.0',
      cloudProvider: 'gce',
      nodeGroupAutoDiscovery: ['mig:namePrefix=neural-engine-,min=1,max=10'],
      expanderPriorities: [{ priority: 10, nodeGroups: ['.*'] }],
    };
    const objects = clusterAutoscalerObjects(parseEnvConfig('variant/env.json', JSON.stringify(config)));
    const priority = {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'neurascale-platform-critical' },
      value: 1000000,
    };
    const text = [priority, ...objects]
      .map((o) => `---\n${stringify(JSON.parse(JSON.stringify(o)), { version: '1.1' })}`)
      .join('');
    const docs = parseDocuments(text, 'cluster-autoscaler.yaml').docs;
    await prepare(cp, docs);
    expect(await dryRun(cp, docs)).toEqual([]);
    const { rows, findings } = await accessMatrix(cp, docs);
    expect(findings).toEqual([]);
    const can = rows
      .filter((r) => r.account === 'kube-system/cluster-autoscaler' && r.actual)
      .map((r) => `${r.check.verb} ${r.check.resource}`);
    expect(can).toEqual(['list pods', 'list namespaces', 'list nodes']);
  }, 120_000);
});
