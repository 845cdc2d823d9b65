// The end-to-end harness: deploys one generated environment (kustomize build of the committed tree) on the
// running cluster with the doubles and the stand-ins for what lives outside the repository (data stores,
// the secrets External Secrets would write, volumes), puts it under load, and measures what the steps of
// the suite assert. Nothing in generated/ changes: scaling to the node and the revisions for the rolling
// update are transformations of the built stream, made here and named in the output.
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platform, type ServiceSpec, services } from '@neurascale/core';
import { binaryPath, loadCrdSource, readToolVersions, repoRoot, timeouts } from '@neurascale/toolchain';
import { controlPlaneBinary, type KubectlResult } from '@neurascale/toolchain/controlplane';
import { crdsFor, parseDocuments, waitUntilServed } from '@neurascale/validation';
import { parseAllDocuments } from 'yaml';
import { importImages, serviceImageEntries, traefikImageEntry } from './images.ts';
import { arr, type Json, kubeYaml, obj } from './json.ts';
import { clusterImages, paths } from './paths.ts';
import { listenerSecretObjects, traefikGateways, traefikInstall } from './traefik.ts';

export type { Json } from './json.ts';
export type Kubectl = (args: string[], input?: string) => Promise<KubectlResult>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const appNamespace = platform.appNamespace;
export const outsideNamespace = 'e2e-outside';
const harnessNote = 'created by the end-to-end harness in place of';

// ---------------------------------------------------------------------------------------------------------
// Building and transforming the environment

/** `kustomize build` of an overlay directory, parsed. */
/**
 * The overlay as kustomize renders it, without the in-cluster data stores (dev's `neural-data`): their
 * official images cannot be fetched here, so the stand-ins of `dataStores()` take their place, with the same
 * pod labels, Service names and ports, and the services' policies to them apply unchanged.
 */
export function build(dir: string): Json[] {
  const out = execFileSync(binaryPath('kustomize'), ['build', dir], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: timeouts.tool,
  });
  const dataNamespace = platform.dataStoreNamespace;
  return parseAllDocuments(out)
    .map((d) => d.toJSON() as Json)
    .filter((d) => d && typeof d === 'object')
    .filter(
      (d) =>
        obj(d.metadata).namespace !== dataNamespace &&
        !(d.kind === 'Namespace' && obj(d.metadata).name === dataNamespace),
    )
    .map(standInForManagedStores);
}

const storeAtPort = (port: unknown) =>
  Object.values(platform.dataStores).find((s) => s.port === Number(port));

/**
 * Where an environment's data stores are managed (outside the cluster, at private address ranges), the
 * stand-ins in `neural-data` take their place: each service's egress to a store's range is pointed at the
 * stand-in with that port, and the Kafka bootstrap address in the services' config at the stand-in's
 * Service. Everything else of the policy (which pods, which ports) stays as generated. In-cluster stores
 * are left as they are (their policies already name the stand-ins' labels).
 */
export function standInForManagedStores(doc: Json): Json {
  const meta = obj(doc.metadata);
  const note = {
    'neurascale.io/e2e': `${harnessNote} a managed data store: its address range points at the stand-in`,
  };
  if (doc.kind === 'NetworkPolicy' && String(meta.name).endsWith('-to-data-stores')) {
    const egress = arr(obj(doc.spec).egress);
    if (!egress.some((rule) => arr(rule.to).some((peer) => peer.ipBlock))) return doc;
    const rules = egress.map((rule) => {
      const store = storeAtPort(arr(rule.ports)[0]?.port);
      if (!store)
        throw new Error(
          `NetworkPolicy ${String(meta.name)}: no data-store stand-in listens on ${JSON.stringify(rule.ports)}`,
        );
      return {
        ...rule,
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': store.namespace } },
            podSelector: { matchLabels: { ...store.podLabels } },
          },
        ],
      };
    });
    return {
      ...doc,
      metadata: { ...meta, annotations: { ...obj(meta.annotations), ...note } },
      spec: { ...obj(doc.spec), egress: rules },
    };
  }
  if (doc.kind === 'ConfigMap') {
    const data = obj(doc.data);
    const config = data['application.yaml'];
    const kafka = platform.dataStores.kafka;
    const standIn = `${kafka.service}.${kafka.namespace}.svc:${kafka.port}`;
    if (
      typeof config !== 'string' ||
      !/bootstrap_servers: /.test(config) ||
      config.includes(`bootstrap_servers: ${standIn}`)
    )
      return doc;
    return {
      ...doc,
      metadata: { ...meta, annotations: { ...obj(meta.annotations), ...note } },
      data: {
        ...data,
        'application.yaml': config.replace(/bootstrap_servers: .*/, `bootstrap_servers: ${standIn}`),
      },
    };
  }
  return doc;
}

export function cpuMillis(q: string): number {
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000;
}

const memoryUnits: Record<string, number> = {
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  '': 1,
};
export function memoryBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(q);
  const unit = memoryUnits[m?.[2] ?? 'x'];
  if (!m || unit === undefined) throw new Error(`cannot read the memory quantity "${q}"`);
  return Number(m[1]) * unit;
}

const workloadKinds = new Set(['Deployment', 'StatefulSet']);
const podSpecOf = (w: Json): Json => obj(obj(obj(w.spec).template).spec);

/** Replicas a workload settles at: its HPA's minimum when one scales it, else spec.replicas (default 1). */
export function settledReplicas(docs: Json[], w: Json): number {
  const name = obj(w.metadata).name;
  const hpa = docs.find(
    (d) => d.kind === 'HorizontalPodAutoscaler' && obj(obj(d.spec).scaleTargetRef).name === name,
  );
  if (hpa) return Number(obj(hpa.spec).minReplicas ?? 1);
  return Number(obj(w.spec).replicas ?? 1);
}

export interface Scaling {
  cpuFactor: number;
  memoryFactor: number;
  requestedCpuMillis: number;
  requestedMemoryBytes: number;
}

/**
 * Scales every container's CPU and memory requests and limits by one factor each, so that the settled
 * replicas take at most `share` of the node's allocatable resources (the rest is for surge pods during
 * rolling updates, CoreDNS and the stand-ins). Replica counts, probes and everything else stay as built.
 */
export function scaleToNode(
  docs: Json[],
  allocatable: { cpuMillis: number; memoryBytes: number },
  share = 0.4,
): { docs: Json[]; scaling: Scaling } {
  const copy = structuredClone(docs);
  let cpu = 0;
  let memory = 0;
  for (const w of copy.filter((d) => workloadKinds.has(String(d.kind)))) {
    const replicas = settledReplicas(copy, w);
    for (const c of arr(podSpecOf(w).containers)) {
      const requests = obj(obj(c.resources).requests);
      cpu += replicas * cpuMillis(String(requests.cpu ?? '0'));
      memory += replicas * memoryBytes(String(requests.memory ?? '0'));
    }
  }
  const cpuFactor = Math.min(1, (share * allocatable.cpuMillis) / Math.max(cpu, 1));
  const memoryFactor = Math.min(1, (share * allocatable.memoryBytes) / Math.max(memory, 1));
  for (const w of copy.filter((d) => workloadKinds.has(String(d.kind)))) {
    for (const c of [...arr(podSpecOf(w).containers), ...arr(podSpecOf(w).initContainers)]) {
      const resources = obj(c.resources);
      for (const key of ['requests', 'limits'] as const) {
        const r = obj(resources[key]);
        if (typeof r.cpu === 'string') r.cpu = `${Math.max(5, Math.floor(cpuMillis(r.cpu) * cpuFactor))}m`;
        if (typeof r.memory === 'string') {
          r.memory = `${Math.max(16, Math.floor((memoryBytes(r.memory) * memoryFactor) / 1024 ** 2))}Mi`;
        }
      }
    }
  }
  return {
    docs: copy,
    scaling: { cpuFactor, memoryFactor, requestedCpuMillis: cpu, requestedMemoryBytes: memory },
  };
}

/** Every container image the stream uses. */
export function imagesOf(docs: Json[]): string[] {
  const refs = new Set<string>();
  for (const w of docs.filter((d) => workloadKinds.has(String(d.kind)))) {
    for (const c of [...arr(podSpecOf(w).containers), ...arr(podSpecOf(w).initContainers)])
      refs.add(String(c.image));
  }
  return [...refs].sort();
}

/**
 * A second revision of the committed overlay, for the rolling update: every service's config file gets one
 * more key and every image tag a suffix, in a scratch copy of generated/ built with kustomize, the way a
 * real change arrives (new ConfigMap hash, new tags).
 */
export function nextRevision(env: string, suffix: string): Json[] {
  const scratch = mkdtempSync(join(tmpdir(), 'e2e-revision-'));
  try {
    cpSync(join(repoRoot, 'generated'), scratch, { recursive: true });
    const overlay = join(scratch, 'overlays', env);
    for (const spec of services) {
      const file = join(overlay, 'config', `${spec.name}.application.yaml`);
      try {
        writeFileSync(file, `${readFileSync(file, 'utf8')}e2e_revision: "${suffix}"\n`);
      } catch {
        // a service without an overlay config file keeps the base one
      }
    }
    const kustomization = join(overlay, 'kustomization.yaml');
    writeFileSync(
      kustomization,
      readFileSync(kustomization, 'utf8').replace(
        /^(\s+newTag: )(.+)$/gm,
        (_, lead: string, tag: string) => `${lead}${tag}-${suffix}`,
      ),
    );
    return build(overlay);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------
// The stand-ins for what lives outside the repository

const storeServices = {
  postgresql: { service: platform.dataStores.postgresql.service, port: platform.dataStores.postgresql.port },
  redis: { service: platform.dataStores.redis.service, port: platform.dataStores.redis.port },
  kafka: { service: platform.dataStores.kafka.service, port: platform.dataStores.kafka.port },
} as const;

const restrictedPod = (uid: number) => ({
  runAsNonRoot: true,
  runAsUser: uid,
  runAsGroup: uid,
  seccompProfile: { type: 'RuntimeDefault' },
});
const restrictedContainer = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

function restrictedNamespace(name: string): Json {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: { 'pod-security.kubernetes.io/enforce': 'restricted' },
      annotations: { 'neurascale.io/e2e': `${harnessNote} infrastructure outside this repository` },
    },
  };
}

/**
 * Every standard Gateway API CRD beside the ones the set's objects need, where Traefik implements a
 * Gateway: its provider watches all of them and waits, silently, for any that is missing.
 */
export function withGatewayApi(crds: Json[], traefik: boolean): Json[] {
  if (!traefik) return crds;
  const pin = readToolVersions().crds.find((c) => c.module === 'sigs.k8s.io/gateway-api');
  if (!pin)
    throw new Error('packages/toolchain/versions.json pins no Gateway API CRDs (sigs.k8s.io/gateway-api)');
  const all = [...crds, ...loadCrdSource(pin).map((l) => l.crd as Json)];
  const byName = new Map(all.map((crd) => [String(obj(crd.metadata).name), crd]));
  return [...byName.values()];
}

/**
 * The namespaces the environment's objects live in without declaring them (the Gateway's, Istio's root
 * namespace): on a real cluster the platform's installs create them.
 */
export function providedNamespaces(docs: Json[]): Json[] {
  const declared = new Set(
    docs.filter((d) => d.kind === 'Namespace').map((d) => String(obj(d.metadata).name)),
  );
  const used = docs
    .map((d) => obj(d.metadata).namespace)
    .filter((n): n is string => typeof n === 'string' && !declared.has(n));
  return [...new Set(used)].sort().map(restrictedNamespace);
}

/**
 * What Flagger creates for a Canary before any analysis and the environment's objects leave to it: the
 * apex Service of the target. No Flagger runs here, so the stand-in selects the target's own pods (Flagger
 * would point it at its -primary copy), and the service graph's calls to the target keep a way in.
 */
export function canaryStandIns(docs: Json[]): Json[] {
  return docs
    .filter((d) => d.kind === 'Canary')
    .map((canary) => {
      const meta = obj(canary.metadata);
      const spec = obj(canary.spec);
      const target = String(obj(spec.targetRef).name);
      const workload = docs.find(
        (d) =>
          d.kind === 'Deployment' &&
          obj(d.metadata).name === target &&
          obj(d.metadata).namespace === meta.namespace,
      );
      if (!workload)
        throw new Error(
          `Canary ${meta.namespace}/${meta.name}: its target Deployment ${target} is not in the set`,
        );
      const service = obj(spec.service);
      return {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: target,
          namespace: meta.namespace,
          annotations: {
            'neurascale.io/e2e': `${harnessNote} Flagger (the apex Service of Canary ${meta.name})`,
          },
        },
        spec: {
          selector: obj(obj(workload.spec).selector).matchLabels,
          ports: [
            {
              name: service.portName ?? 'http',
              port: service.port,
              targetPort: service.targetPort ?? service.port,
              protocol: 'TCP',
            },
          ],
        },
      };
    });
}

/** Data-store doubles in their namespace, with the labels and ports the NetworkPolicies name. */
export function dataStores(): Json[] {
  const ns = platform.dataStores.postgresql.namespace;
  const objects: Json[] = [restrictedNamespace(ns)];
  for (const [store, { service, port }] of Object.entries(storeServices)) {
    const labels = {
      ...platform.dataStores[store as keyof typeof storeServices].podLabels,
      'neurascale.io/e2e-store': store,
    };
    objects.push(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: `${store}-double`, namespace: ns },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              automountServiceAccountToken: false,
              securityContext: restrictedPod(10001),
              containers: [
                {
                  name: 'store',
                  image: clusterImages.store,
                  imagePullPolicy: 'Never',
                  args: [store, String(port)],
                  ports: [{ containerPort: port }],
                  readinessProbe: { tcpSocket: { port }, periodSeconds: 1 },
                  securityContext: restrictedContainer,
                  resources: { requests: { cpu: '5m', memory: '16Mi' }, limits: { memory: '64Mi' } },
                },
              ],
            },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: service, namespace: ns },
        spec: { selector: labels, ports: [{ port, targetPort: port }] },
      },
    );
  }
  return objects;
}

/** The Secrets the environment's ExternalSecrets would write, with values that point at the doubles. */
export function externalSecretTargets(docs: Json[]): Json[] {
  const values: Record<string, string> = {
    'database-url': `postgres://neural:e2e@${storeServices.postgresql.service}.neural-data.svc.cluster.local:${storeServices.postgresql.port}/neural`,
    'redis-url': `redis://${storeServices.redis.service}.neural-data.svc.cluster.local:${storeServices.redis.port}/0`,
    'jwt-secret': 'e2e-jwt-secret-not-a-real-one',
  };
  return docs
    .filter((d) => d.kind === 'ExternalSecret')
    .map((es) => {
      const spec = obj(es.spec);
      const name = String(obj(spec.target).name ?? obj(es.metadata).name);
      const data: Record<string, string> = {};
      for (const item of arr(spec.data)) {
        const key = String(item.secretKey);
        const value = values[key];
        if (value === undefined)
          throw new Error(`ExternalSecret ${name}: the harness has no stand-in value for "${key}"`);
        data[key] = value;
      }
      return {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: {
          name,
          namespace: obj(es.metadata).namespace,
          annotations: { 'neurascale.io/e2e': `${harnessNote} External Secrets (ExternalSecret ${name})` },
        },
        stringData: data,
      };
    });
}

/** Pre-bound local volumes for every claim the StatefulSets will make (no provisioner runs here). */
export function volumesFor(docs: Json[]): Json[] {
  const pvs: Json[] = [];
  for (const sts of docs.filter((d) => d.kind === 'StatefulSet')) {
    const name = String(obj(sts.metadata).name);
    const ns = String(obj(sts.metadata).namespace);
    for (const claim of arr(obj(sts.spec).volumeClaimTemplates)) {
      const cspec = obj(claim.spec);
      for (let i = 0; i < Number(obj(sts.spec).replicas ?? 1); i++) {
        const claimName = `${obj(claim.metadata).name}-${name}-${i}`;
        pvs.push({
          apiVersion: 'v1',
          kind: 'PersistentVolume',
          metadata: {
            name: `e2e-${ns}-${claimName}`,
            annotations: { 'neurascale.io/e2e': `${harnessNote} a provisioner` },
          },
          spec: {
            capacity: { storage: obj(obj(cspec.resources).requests).storage },
            accessModes: cspec.accessModes,
            persistentVolumeReclaimPolicy: 'Retain',
            storageClassName: cspec.storageClassName ?? '',
            claimRef: { namespace: ns, name: claimName },
            hostPath: { path: join(paths.volumes, ns, claimName), type: 'DirectoryOrCreate' },
          },
        });
      }
    }
  }
  return pvs;
}

/** A pod in a namespace no policy admits, to show that it reaches nothing. */
export function outsideClient(): Json[] {
  const labels = { 'app.kubernetes.io/name': 'e2e-client' };
  return [
    restrictedNamespace(outsideNamespace),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'client', namespace: outsideNamespace },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPod(10001),
            containers: [
              {
                name: 'client',
                image: clusterImages.client,
                imagePullPolicy: 'Never',
                ports: [{ containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/health/ready', port: 8080 }, periodSeconds: 1 },
                securityContext: restrictedContainer,
                resources: { requests: { cpu: '5m', memory: '16Mi' }, limits: { memory: '64Mi' } },
              },
            ],
          },
        },
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Talking to the cluster

export async function kubectlJson(kubectl: Kubectl, args: string[]): Promise<Json> {
  const r = await kubectl([...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as Json;
}

export async function apply(kubectl: Kubectl, objects: Json[], what: string): Promise<void> {
  if (objects.length === 0) return;
  const r = await kubectl(
    ['apply', '--server-side', '--force-conflicts', '--field-manager=neurascale-e2e', '-f', '-'],
    objects.map((o) => `---\n${kubeYaml(o)}`).join(''),
  );
  if (r.code !== 0) throw new Error(`applying ${what} failed:\n${r.stderr.trim()}`);
}

export async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs / 1000}s${last ? ` (${last})` : ''}`);
    await sleep(500);
  }
}

export interface PodInfo {
  name: string;
  namespace: string;
  service: string;
  ip: string;
  ready: boolean;
  restarts: number;
  phase: string;
  terminating: boolean;
}

export async function pods(kubectl: Kubectl, namespace: string): Promise<PodInfo[]> {
  const list = await kubectlJson(kubectl, ['-n', namespace, 'get', 'pods']);
  return arr(list.items).map((p) => {
    const status = obj(p.status);
    const statuses = arr(status.containerStatuses);
    return {
      name: String(obj(p.metadata).name),
      namespace,
      service: String(obj(obj(p.metadata).labels)['app.kubernetes.io/name'] ?? ''),
      ip: String(status.podIP ?? ''),
      ready: arr(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True'),
      restarts: statuses.reduce((n, c) => n + Number(c.restartCount ?? 0), 0),
      phase: String(status.phase ?? ''),
      terminating: Boolean(obj(p.metadata).deletionTimestamp),
    };
  });
}

/** Workloads of the namespace that are not yet settled: replicas updated, ready and available. */
export async function unsettled(kubectl: Kubectl, docs: Json[]): Promise<string[]> {
  const list = await kubectlJson(kubectl, ['-n', appNamespace, 'get', 'deployments,statefulsets']);
  const waiting: string[] = [];
  for (const w of arr(list.items)) {
    const name = String(obj(w.metadata).name);
    const spec = obj(w.spec);
    const status = obj(w.status);
    const want = Math.max(Number(spec.replicas ?? 1), settledReplicas(docs, w));
    const generationSeen = Number(status.observedGeneration ?? 0) >= Number(obj(w.metadata).generation ?? 0);
    const ok =
      generationSeen &&
      Number(spec.replicas ?? 1) >= want &&
      Number(status.updatedReplicas ?? 0) === want &&
      Number(status.readyReplicas ?? 0) === want &&
      Number(status.availableReplicas ?? 0) === want &&
      Number(status.replicas ?? 0) === want;
    if (!ok) waiting.push(`${w.kind} ${name} (${status.readyReplicas ?? 0}/${want} ready)`);
  }
  return waiting;
}

// ---------------------------------------------------------------------------------------------------------
// HTTP from the node

export function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface LoadTarget {
  name: string;
  url: string;
}

export interface LoadResult {
  sent: number;
  failed: number;
  byTarget: Record<string, { sent: number; failed: number; versions: Record<string, number> }>;
  errors: string[];
}

/**
 * Steady load: each target gets one request at a time, each on a new connection, started every
 * `intervalMs` (40 per second per Service by default; a slow answer delays the next one). Paced rather than
 * back to back, so that the node's two cores go to the rollout under test, not to the load generator.
 */
export function startLoad(targets: LoadTarget[], intervalMs = 25): { stop(): Promise<LoadResult> } {
  let running = true;
  const started = Date.now();
  const result: LoadResult = { sent: 0, failed: 0, byTarget: {}, errors: [] };
  const loops = targets.map(async (t) => {
    const mine = { sent: 0, failed: 0, versions: {} as Record<string, number> };
    result.byTarget[t.name] = mine;
    let next = Date.now();
    while (running) {
      next += intervalMs;
      mine.sent++;
      result.sent++;
      try {
        const r = await httpGet(t.url);
        if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
        const version = String((JSON.parse(r.body) as Json).version);
        mine.versions[version] = (mine.versions[version] ?? 0) + 1;
      } catch (error) {
        mine.failed++;
        result.failed++;
        if (result.errors.length < 20) {
          result.errors.push(
            `${t.name} at +${((Date.now() - started) / 1000).toFixed(1)}s: ${(error as Error).message}`,
          );
        }
      }
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      else next = Date.now();
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}

/** Load targets: each service's first port through its ClusterIP, as a client in the cluster sees it. */
export async function serviceTargets(kubectl: Kubectl): Promise<LoadTarget[]> {
  const list = await kubectlJson(kubectl, ['-n', appNamespace, 'get', 'services']);
  return arr(list.items)
    .filter((s) => services.some((c) => c.name === obj(s.metadata).name))
    .map((s) => {
      const spec = obj(s.spec);
      const port = arr(spec.ports)[0] ?? {};
      return { name: String(obj(s.metadata).name), url: `http://${spec.clusterIP}:${port.port}/` };
    });
}

export function catalogService(name: string): ServiceSpec {
  const spec = services.find((s) => s.name === name);
  if (!spec) throw new Error(`no catalog service "${name}"`);
  return spec;
}

export function healthPort(spec: ServiceSpec): number {
  const port = spec.ports.find((p) => p.name === spec.health.port);
  if (!port) throw new Error(`catalog: ${spec.name} has no port "${spec.health.port}"`);
  return port.containerPort;
}

/** Asks a pod's double something on its health port. */
export async function askPod(pod: PodInfo, path: string, port?: number): Promise<Json> {
  const p = port ?? healthPort(catalogService(pod.service));
  const r = await httpGet(`http://${pod.ip}:${p}${path}`, 8000);
  return JSON.parse(r.body) as Json;
}

/**
 * Why an edge carries no traffic, narrowed down from inside the calling pod: a connection to the Service's
 * ClusterIP and one straight to each callee pod on the container port, and the packet-filter rules that
 * name the caller's address or reject new connections to Services. The host's whole filter state is
 * written to reports/cluster/edge-failure.txt for the full picture.
 */
export async function explainEdge(
  from: PodInfo,
  edge: string,
  calleePods: PodInfo[],
  clusterIPs: Map<string, string>,
): Promise<string> {
  const [service = '', portName] = edge.split('/');
  const spec = services.find((s) => s.name === service);
  const port = spec?.ports.find((p) => p.name === portName);
  if (!spec || !port) return `${edge}: a data store (no Service of the catalog)`;
  const viaService = `${clusterIPs.get(service)}:${port.servicePort ?? port.containerPort}`;
  const probe = async (target: string) =>
    String(
      (
        await askPod(from, `/probe?target=${encodeURIComponent(target)}`).catch((e) => ({
          result: String(e),
        }))
      ).result,
    );
  const lines = [`  via the Service ${viaService}: ${await probe(viaService)}`];
  for (const p of calleePods.filter((c) => c.service === service)) {
    lines.push(
      `  straight to ${p.name} ${p.ip}:${port.containerPort}: ${await probe(`${p.ip}:${port.containerPort}`)}`,
    );
  }
  const run = (cmd: string, args: string[]) =>
    new Promise<string>((resolve) =>
      execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
        resolve(err ? `${cmd} ${args.join(' ')}: ${stderr || err.message}` : stdout),
      ),
    );
  const filter = await run('iptables-save', ['-c']);
  const sets = await run('ipset', ['list']);
  writeFileSync(
    join(paths.logs, 'edge-failure.txt'),
    `# ${from.name} (${from.ip}) → ${edge}\n${lines.join('\n')}\n\n# iptables-save -c\n${filter}\n# ipset list\n${sets}`,
  );
  const rules = filter
    .split('\n')
    .filter(
      (l) =>
        l.includes(`${from.ip}/32`) ||
        l.includes('has no endpoints') ||
        (l.includes('REJECT') && l.includes(`POD name:${from.name} `)),
    )
    .slice(0, 40);
  const memberOf = sets
    .split(/\n(?=Name: )/)
    .filter((block) => block.split('\n').some((l) => l.trim().split(' ')[0] === from.ip))
    .map((block) => block.split('\n')[0]?.replace('Name: ', ''));
  return [
    ...lines,
    `  ipsets holding ${from.ip}: ${memberOf.join(', ') || 'none'}`,
    '  rules naming it or rejecting:',
    ...rules.map((r) => `    ${r}`),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Deploying an environment

/** A new revision of an environment already deployed: its images, then its objects (async throughout, so a
 * load generator in this process is never starved). */
export async function rollOut(
  kubectl: Kubectl,
  docs: Json[],
  tools: { images: string; double: string },
  label: string,
): Promise<void> {
  await importImages(serviceImageEntries(imagesOf(docs), tools.double), { images: tools.images, label });
  await apply(kubectl, docs, label);
}

export async function deploy(
  kubectl: Kubectl,
  docs: Json[],
  tools: { images: string; double: string; traefik: string },
  label: string,
): Promise<{ docs: Json[]; secondsToReady: number }> {
  const started = Date.now();
  const traefik = traefikGateways(docs).length > 0;
  await importImages(
    [
      ...serviceImageEntries(imagesOf(docs), tools.double),
      ...(traefik ? [traefikImageEntry(tools.traefik)] : []),
    ],
    { images: tools.images, label },
  );
  const parsed = parseDocuments(docs.map((d) => `---\n${kubeYaml(d)}`).join(''), `${label}.yaml`).docs;
  const crds = withGatewayApi(crdsFor(parsed) as Json[], traefik);
  await apply(kubectl, crds, 'CustomResourceDefinitions');
  await waitUntilServed(
    { kubectl: (args: string[], o: { input?: string } = {}) => kubectl(args, o.input) } as never,
    crds,
  );
  await apply(
    kubectl,
    [
      ...docs.filter((d) => d.kind === 'Namespace'),
      ...providedNamespaces(docs),
      ...dataStores(),
      ...outsideClient(),
    ],
    'namespaces and stand-ins',
  );
  await apply(kubectl, [...externalSecretTargets(docs), ...volumesFor(docs)], 'secrets and volumes');
  await apply(kubectl, docs, label);
  await apply(kubectl, canaryStandIns(docs), 'the Services Flagger would create');
  await apply(
    kubectl,
    [...traefikInstall(docs), ...(await listenerSecretObjects(docs, tools.double))],
    'the Gateway implementation',
  );
  await waitUntil(`${label}: every workload available`, 300_000, async () => {
    const waiting = await unsettled(kubectl, docs);
    return waiting.length === 0 ? true : undefined;
  });
  await waitUntil(`${label}: the stand-ins ready`, 120_000, async () => {
    const all = [
      ...(await pods(kubectl, platform.dataStores.postgresql.namespace)),
      ...(await pods(kubectl, outsideNamespace)),
    ];
    return all.length === 4 && all.every((p) => p.ready) ? true : undefined;
  });
  return { docs, secondsToReady: (Date.now() - started) / 1000 };
}

/** kubectl (the pinned one, from the control plane binary) against a kubeconfig. */
export function kubectlFor(kubeconfig: string, cacheDir: string): Kubectl {
  return (args, input) =>
    new Promise((resolve) => {
      const child = execFile(
        controlPlaneBinary,
        ['kubectl', `--kubeconfig=${kubeconfig}`, ...args],
        {
          maxBuffer: 64 * 1024 * 1024,
          env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cacheDir, KUBERC: 'off' },
          timeout: timeouts.kubectl,
          killSignal: 'SIGKILL',
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      child.stdin?.end(input ?? '');
    });
}
