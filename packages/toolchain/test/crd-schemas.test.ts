// The generated CRD schemas with the real pinned kubeconform: every schema compiles (kubeconform reports a
// schema that does not compile as "could not find schema", so a broken one would silently skip validation),
// every served version of every pinned CRD has one, realistic objects of the kinds we emit validate, and a
// misspelled field in each of them is rejected by name.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchemas, type LoadedCrd, loadCrdSource } from '../src/build-schemas.ts';
import { binaryPath, readToolVersions, schemaLocations, schemasDir } from '../src/index.ts';
import { installTools } from '../src/install-tools.ts';

type Json = Record<string, any>;

interface Result {
  name: string;
  kind: string;
  version: string;
  status: 'statusValid' | 'statusInvalid' | 'statusError' | 'statusSkipped' | 'statusEmpty';
  msg: string;
  validationErrors?: { path: string; msg: string }[] | null;
}

const crdLocation = schemaLocations()[1] as string;
let work: string;
let loaded: LoadedCrd[];

beforeAll(() => {
  if (!existsSync(binaryPath('kubeconform'))) installTools();
  buildSchemas();
  loaded = readToolVersions().crds.flatMap(loadCrdSource);
  work = mkdtempSync(join(tmpdir(), 'crd-schemas-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Validates the objects (one YAML stream) against the CRD schemas only; one result per object, in order. */
function kubeconform(objects: Json[], label: string): Result[] {
  const file = join(work, `${label}.yaml`);
  writeFileSync(file, objects.map((object) => `${JSON.stringify(object)}\n`).join('---\n'));
  const run = spawnSync(
    binaryPath('kubeconform'),
    ['-strict', '-verbose', '-output', 'json', '-schema-location', crdLocation, file],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (run.error) throw run.error;
  const { resources } = JSON.parse(run.stdout) as { resources: Result[] };
  return objects.map((object) => {
    const found = resources.filter((r) => r.name === object.metadata.name && r.kind === object.kind);
    expect(found, `${object.kind} ${object.metadata.name}: one result`).toHaveLength(1);
    return found[0] as Result;
  });
}

interface Served {
  group: string;
  version: string;
  kind: string;
  source: string;
}

function servedVersions(crd: Json, source: string): Served[] {
  const { group, names, versions } = crd.spec;
  return versions
    .filter((v: Json) => v.served === true)
    .map((v: Json) => ({ group, version: v.name, kind: names.kind, source }));
}

describe('generated CRD schemas', () => {
  it('exist for every served version of every pinned CRD, and nothing else', () => {
    const served = loaded.flatMap(({ crd, source }) => servedVersions(crd as Json, source));
    const expected = served.map((s) => `${s.group}/${s.kind.toLowerCase()}_${s.version}.json`).sort();
    const crdsDir = join(schemasDir, 'crds');
    const written = readdirSync(crdsDir)
      .flatMap((group) => readdirSync(join(crdsDir, group)).map((file) => `${group}/${file}`))
      .sort();
    expect(written).toEqual(expected);
    expect(written.length).toBeGreaterThan(100);
  });

  it('all compile: a minimal object of every kind and version is valid or lacks only required fields', () => {
    const served = loaded.flatMap(({ crd, source }) => servedVersions(crd as Json, source));
    const objects = served.map((s, i) => ({
      apiVersion: `${s.group}/${s.version}`,
      kind: s.kind,
      metadata: { name: `x${i}` },
    }));
    const results = kubeconform(objects, 'minimal');
    const broken = results
      .map((r, i) => ({ ...r, source: served[i]?.source }))
      .filter(
        (r) =>
          r.status !== 'statusValid' &&
          !(
            r.status === 'statusInvalid' &&
            r.validationErrors?.length &&
            r.validationErrors.every((e) => /^missing propert/.test(e.msg))
          ),
      );
    expect(broken).toEqual([]);
    const counts = { valid: 0, invalid: 0 };
    for (const r of results) counts[r.status === 'statusValid' ? 'valid' : 'invalid']++;
    console.log(
      `crd-schemas: ${results.length} minimal objects: ${counts.valid} valid, ${counts.invalid} lack spec`,
    );
  });
});

interface Case {
  object: Json;
  /** A property path whose last key is misspelled to `typo` in the negative test. */
  path: (string | number)[];
  typo: string;
}

const ns = 'neural-engine';

const cases: Case[] = [
  {
    object: {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'neural-api', namespace: ns },
      spec: {
        hosts: ['neural-api.neural-engine.svc.cluster.local'],
        gateways: ['mesh'],
        http: [
          {
            name: 'primary',
            match: [{ uri: { prefix: '/v1/' }, headers: { 'x-canary': { exact: 'true' } } }],
            route: [
              { destination: { host: 'neural-api', subset: 'stable', port: { number: 8080 } }, weight: 90 },
              { destination: { host: 'neural-api', subset: 'canary', port: { number: 8080 } }, weight: 10 },
            ],
            timeout: '10s',
            retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,connect-failure' },
          },
        ],
      },
    },
    path: ['spec', 'http', 0, 'retries', 'perTryTimeout'],
    typo: 'perTryTimout',
  },
  {
    object: {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: {
        name: 'neural-engine-dev',
        namespace: 'argocd',
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
      },
      spec: {
        project: 'neurascale',
        sources: [
          {
            repoURL: 'https://git.example.com/neurascale/deploy.git',
            targetRevision: 'main',
            path: 'overlays/dev',
          },
          {
            repoURL: 'https://charts.example.com',
            chart: 'redis',
            targetRevision: '20.1.0',
            helm: {
              releaseName: 'cache',
              valuesObject: { architecture: 'standalone', auth: { enabled: true } },
            },
          },
        ],
        destination: { server: 'https://kubernetes.default.svc', namespace: ns },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'],
          retry: { limit: 5, backoff: { duration: '5s', factor: 2, maxDuration: '3m' } },
        },
        ignoreDifferences: [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }],
      },
    },
    path: ['spec', 'syncPolicy', 'automated', 'selfHeal'],
    typo: 'selfHael',
  },
  {
    object: {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'neural-api', namespace: ns, labels: { release: 'prometheus' } },
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/name': 'neural-api' } },
        namespaceSelector: { matchNames: [ns] },
        endpoints: [
          {
            port: 'metrics',
            path: '/metrics',
            interval: '30s',
            scrapeTimeout: '10s',
            relabelings: [
              { sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node', action: 'replace' },
            ],
          },
        ],
      },
    },
    path: ['spec', 'endpoints', 0, 'scrapeTimeout'],
    typo: 'scrapeTimout',
  },
  {
    object: {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'neural-api-tls', namespace: ns },
      spec: {
        secretName: 'neural-api-tls',
        dnsNames: ['api.neurascale.example'],
        duration: '2160h',
        renewBefore: '360h',
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' },
      },
    },
    path: ['spec', 'dnsNames'],
    typo: 'dnsName',
  },
  {
    object: {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'neural-api', namespace: ns },
      spec: {
        parentRefs: [{ name: 'public', namespace: 'gateway-system', sectionName: 'https' }],
        hostnames: ['api.neurascale.example'],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: '/v1' } }],
            filters: [
              {
                type: 'RequestHeaderModifier',
                requestHeaderModifier: { add: [{ name: 'x-env', value: 'dev' }] },
              },
            ],
            backendRefs: [{ name: 'neural-api', port: 8080, weight: 100 }],
            timeouts: { request: '10s' },
          },
        ],
      },
    },
    path: ['spec', 'rules', 0, 'backendRefs'],
    typo: 'backendRef',
  },
  {
    object: {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: 'neural-api', namespace: ns },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'neural-api' },
        progressDeadlineSeconds: 600,
        service: { port: 8080, targetPort: 'http', gateways: ['mesh'], hosts: ['neural-api'] },
        analysis: {
          interval: '1m',
          threshold: 5,
          maxWeight: 50,
          stepWeight: 10,
          metrics: [
            { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' },
            { name: 'request-duration', thresholdRange: { max: 500 }, interval: '1m' },
          ],
          webhooks: [
            {
              name: 'load-test',
              url: 'http://flagger-loadtester.test/',
              timeout: '5s',
              metadata: { cmd: 'hey -z 1m -q 10 -c 2 http://neural-api-canary:8080/' },
            },
          ],
        },
      },
    },
    path: ['spec', 'analysis', 'stepWeight'],
    typo: 'stepWieght',
  },
  {
    object: {
      apiVersion: 'autoscaling.k8s.io/v1',
      kind: 'VerticalPodAutoscaler',
      metadata: { name: 'neural-api', namespace: ns },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'neural-api' },
        updatePolicy: { updateMode: 'Recreate', minReplicas: 2 },
        resourcePolicy: {
          containerPolicies: [
            {
              containerName: '*',
              minAllowed: { cpu: '100m', memory: '128Mi' },
              maxAllowed: { cpu: 2, memory: '4Gi' },
              controlledResources: ['cpu', 'memory'],
              controlledValues: 'RequestsAndLimits',
            },
          ],
        },
      },
    },
    path: ['spec', 'resourcePolicy', 'containerPolicies', 0, 'containerName'],
    typo: 'containerNmae',
  },
  {
    object: {
      apiVersion: 'velero.io/v1',
      kind: 'Schedule',
      metadata: { name: 'neural-engine-daily', namespace: 'velero' },
      spec: {
        schedule: '0 3 * * *',
        useOwnerReferencesInBackup: false,
        template: {
          includedNamespaces: [ns],
          snapshotVolumes: true,
          ttl: '720h0m0s',
          storageLocation: 'default',
          labelSelector: { matchLabels: { backup: 'daily' } },
        },
      },
    },
    path: ['spec', 'template', 'includedNamespaces'],
    typo: 'includeNamespaces',
  },
  {
    object: {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'neural-api-db', namespace: ns },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { name: 'gcp', kind: 'ClusterSecretStore' },
        target: { name: 'neural-api-db', creationPolicy: 'Owner' },
        data: [{ secretKey: 'password', remoteRef: { key: 'neural-api-db-password' } }],
      },
    },
    path: ['spec', 'secretStoreRef'],
    typo: 'secretStoreReff',
  },
];

/** A copy of the object with the last key of `path` renamed to `typo`. */
function misspell({ object, path, typo }: Case): Json {
  const copy = structuredClone(object);
  let parent: any = copy;
  for (const step of path.slice(0, -1)) parent = parent[step];
  const key = path.at(-1) as string;
  expect(parent, `${object.kind}: ${path.join('.')}`).toHaveProperty([key]);
  parent[typo] = parent[key];
  delete parent[key];
  return copy;
}

describe('realistic custom resources', () => {
  const label = (c: Case) => `${c.object.apiVersion} ${c.object.kind}`;

  it('validate', () => {
    const results = kubeconform(
      cases.map((c) => c.object),
      'realistic',
    );
    const summary = results.map((r, i) => [
      label(cases[i] as Case),
      r.status,
      r.msg,
      r.validationErrors ?? null,
    ]);
    expect(summary).toEqual(cases.map((c) => [label(c), 'statusValid', '', null]));
  });

  it('keep the constraints of the CRD: oneOf, enums, int-or-string', () => {
    const object = (kind: string): Json =>
      structuredClone(cases.find((c) => c.object.kind === kind)?.object ?? {});
    const virtualService = object('VirtualService');
    const certificate = object('Certificate');
    const vpa = object('VerticalPodAutoscaler');
    virtualService.spec.http[0].match[0].uri = { exact: '/v1/', prefix: '/v1/' };
    certificate.spec.privateKey.algorithm = 'DSA';
    vpa.spec.resourcePolicy.containerPolicies[0].maxAllowed.cpu = true;
    const results = kubeconform([virtualService, certificate, vpa], 'constraints');
    expect(results.map((r) => [r.kind, r.status, r.validationErrors?.map((e) => e.path)])).toEqual([
      ['VirtualService', 'statusInvalid', ['/spec/http/0/match/0/uri']],
      ['Certificate', 'statusInvalid', ['/spec/privateKey/algorithm']],
      ['VerticalPodAutoscaler', 'statusInvalid', ['/spec/resourcePolicy/containerPolicies/0/maxAllowed/cpu']],
    ]);
  });

  it('are rejected with the misspelled field named', () => {
    const results = kubeconform(cases.map(misspell), 'misspelled');
    results.forEach((r, i) => {
      const c = cases[i] as Case;
      const parentPath = `/${c.path.slice(0, -1).join('/')}`;
      expect([label(c), r.status]).toEqual([label(c), 'statusInvalid']);
      expect(r.validationErrors, label(c)).toContainEqual({
        path: parentPath,
        msg: expect.stringContaining(`'${c.typo}'`),
      });
    });
  });
});
