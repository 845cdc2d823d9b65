// The end-to-end suite: each generated environment in turn, on a fresh real cluster, from `kustomize build`
// of the committed tree. Steps follow docs/e2e.md; each prints what it measured.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envConfigPath, environments, loadEnvConfig, platform, services } from '@neurascale/core';
import { repoRoot } from '@neurascale/toolchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apply,
  askPod,
  build,
  catalogService,
  cpuMillis,
  deploy,
  explainEdge,
  httpGet,
  type Json,
  type Kubectl,
  kubectlFor,
  kubectlJson,
  memoryBytes,
  nextRevision,
  outsideNamespace,
  type PodInfo,
  pods,
  rollOut,
  scaleToNode,
  serviceTargets,
  settledReplicas,
  startLoad,
  unsettled,
  waitUntil,
} from '../src/e2e.ts';
import { importImages, prometheusImageEntry, serviceDns } from '../src/images.ts';
import { type ClusterState, down, up } from '../src/lifecycle.ts';
import { nodeName } from '../src/paths.ts';
import { prometheusName, prometheusObjects, prometheusPort } from '../src/prometheus.ts';
import { gatewayRequest } from '../src/traefik.ts';

const log = (line: string) => console.log(line);
const ns = platform.appNamespace;
const settle = 300_000;

/** One edge's calls as a double counts them (`/calls`). */
interface Tally {
  ok?: number;
  refused?: number;
  lastError?: string;
}

interface Report {
  env: string;
  clusterSeconds?: number;
  secondsToReady?: number;
  scaling?: string;
  edges?: { allowed: number; refused: number; outsideRefused: number; dns: number; seconds: number };
  steps: Record<string, { sent: number; failed: number; note?: string }>;
  northSouth?: string;
  metrics?: string;
}
const reports: Report[] = [];

afterAll(() => {
  console.log('\nend-to-end summary');
  for (const r of reports) {
    console.log(
      `  ${r.env}: cluster ready in ${r.clusterSeconds?.toFixed(1)}s; workloads ready in ${r.secondsToReady?.toFixed(1)}s; ${r.scaling}`,
    );
    if (r.edges) {
      console.log(
        `    edges: ${r.edges.allowed} allowed and carrying traffic (measured over ${r.edges.seconds.toFixed(0)} s), ${r.edges.refused} undeclared refused, ` +
          `${r.edges.outsideRefused} refused from ${outsideNamespace}, ${r.edges.dns} DNS names resolved`,
      );
    }
    if (r.northSouth) console.log(`    north-south: ${r.northSouth}`);
    if (r.metrics) console.log(`    metrics: ${r.metrics}`);
    for (const [step, s] of Object.entries(r.steps)) {
      console.log(`    ${step}: ${s.sent} requests sent, ${s.failed} failed${s.note ? ` (${s.note})` : ''}`);
    }
  }
});

async function appPods(kubectl: Kubectl): Promise<PodInfo[]> {
  return (await pods(kubectl, ns)).filter((p) => !p.terminating && p.phase === 'Running');
}

/** Waits until the namespace's workloads settle again and no pod is left terminating. */
async function settled(kubectl: Kubectl, docs: Json[], what: string): Promise<void> {
  await waitUntil(what, settle, async () => {
    const waiting = await unsettled(kubectl, docs);
    const terminating = (await pods(kubectl, ns)).filter((p) => p.terminating);
    return waiting.length === 0 && terminating.length === 0 ? true : undefined;
  });
}

/** Workloads that can lose a pod without losing their Service: more than one replica. */
function multiReplica(docs: Json[]): Set<string> {
  return new Set(
    docs
      .filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet')
      .filter((w) => settledReplicas(docs, w) >= 2)
      .map((w) => String((w.metadata as Json).name)),
  );
}

/** Single-replica StatefulSets cannot roll without a gap (no surge): their load is reported, not held to 0. */
function gapless(docs: Json[]): Set<string> {
  return new Set(
    docs
      .filter((d) => d.kind === 'Deployment' || (d.kind === 'StatefulSet' && settledReplicas(docs, d) >= 2))
      .map((w) => String((w.metadata as Json).name)),
  );
}

function failuresOf(result: Awaited<ReturnType<ReturnType<typeof startLoad>['stop']>>, names: Set<string>) {
  let sent = 0;
  let failed = 0;
  let excludedFailed = 0;
  for (const [name, t] of Object.entries(result.byTarget)) {
    if (names.has(name)) {
      sent += t.sent;
      failed += t.failed;
    } else excludedFailed += t.failed;
  }
  return { sent, failed, excludedFailed };
}

// NEURASCALE_E2E_ENVIRONMENTS=dev,staging narrows the run (a developer's loop); CI runs every environment.
const chosen = process.env.NEURASCALE_E2E_ENVIRONMENTS?.split(',').filter(Boolean);
const envs = environments(repoRoot).filter((e) => !chosen || chosen.includes(e));

describe.each(envs)('environment %s', (env) => {
  const report: Report = { env, steps: {} };
  reports.push(report);
  let state: ClusterState;
  let kubectl: Kubectl;
  let cacheDir: string;
  let revision1: Json[];
  let tools: { images: string; double: string; traefik: string; prometheus: string };

  /** What the node offers to pods, as scaleToNode reads it. */
  const allocatable = async () => {
    const node = await kubectlJson(kubectl, ['get', 'node', nodeName]);
    const alloc = (node.status as Json).allocatable as Record<string, string>;
    return { cpuMillis: cpuMillis(String(alloc.cpu)), memoryBytes: memoryBytes(String(alloc.memory)) };
  };

  /**
   * Makes a change while every Service is under load and waits until the workloads settle; the workloads
   * that can roll without a gap are held to 0 failed requests, the others are reported.
   */
  const rollUnderLoad = async (step: string, docs: Json[], what: string, change: () => Promise<void>) => {
    const load = startLoad(await serviceTargets(kubectl));
    await new Promise((r) => setTimeout(r, 2000));
    try {
      await change();
      await settled(kubectl, docs, what);
    } finally {
      const result = await load.stop();
      const held = failuresOf(result, gapless(docs));
      report.steps[step] = {
        sent: result.sent,
        failed: held.failed,
        note:
          held.excludedFailed > 0
            ? `${held.excludedFailed} failed on a one-replica StatefulSet, which cannot roll without a gap`
            : undefined,
      };
      expect(held.failed, result.errors.join('\n')).toBe(0);
    }
  };

  beforeAll(async () => {
    const started = Date.now();
    state = await up(log);
    report.clusterSeconds = (Date.now() - started) / 1000;
    cacheDir = mkdtempSync(join(tmpdir(), 'e2e-kubectl-'));
    kubectl = kubectlFor(String(state.kubeconfig), cacheDir);
    tools = {
      images: join(repoRoot, '.tools', 'bin', 'images'),
      double: join(repoRoot, '.tools', 'bin', 'double'),
      traefik: join(repoRoot, '.tools', 'bin', 'traefik'),
      prometheus: join(repoRoot, '.tools', 'bin', 'prometheus'),
    };
  }, 30 * 60_000);

  afterAll(async () => {
    rmSync(cacheDir, { recursive: true, force: true });
    await down(log);
  }, 5 * 60_000);

  it(
    '1. every workload is Available and every pod Ready, with no restarts',
    async () => {
      const scaled = scaleToNode(build(join(repoRoot, 'generated', 'overlays', env)), await allocatable());
      report.scaling = `requests scaled to the node: CPU ×${scaled.scaling.cpuFactor.toFixed(3)}, memory ×${scaled.scaling.memoryFactor.toFixed(3)}`;
      revision1 = scaled.docs;
      const deployed = await deploy(kubectl, revision1, tools, `${env}-r1`);
      report.secondsToReady = deployed.secondsToReady;
      const running = await appPods(kubectl);
      const expected = revision1
        .filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet')
        .reduce((n, w) => n + settledReplicas(revision1, w), 0);
      expect(running.length).toBe(expected);
      expect(running.filter((p) => !p.ready).map((p) => p.name)).toEqual([]);
      expect(running.filter((p) => p.restarts > 0).map((p) => `${p.name}: ${p.restarts}`)).toEqual([]);
    },
    15 * 60_000,
  );

  /** Each Service of the app namespace and its ClusterIP. */
  const serviceIPs = async () => {
    const list = await kubectlJson(kubectl, ['-n', ns, 'get', 'services']);
    return new Map(
      ((list.items as Json[]) ?? []).map((s) => [
        String((s.metadata as Json).name),
        String((s.spec as Json).clusterIP),
      ]),
    );
  };

  it(
    '2. every declared edge carries traffic; undeclared calls and other namespaces are refused; DNS works',
    async () => {
      const running = await appPods(kubectl);
      let edgeSeconds = 0;
      const byService = new Map<string, PodInfo>();
      for (const p of running) if (!byService.has(p.service)) byService.set(p.service, p);
      // The doubles call their callees and data stores every second: compare two counts 5 s apart. A pod
      // that has just become Ready may wait for the policy engine to program it, so windows are repeated
      // until every edge carries traffic in one of them (the wait is reported), for at most a minute.
      const count = async () =>
        new Map(
          await Promise.all(running.map(async (p) => [p.name, (await askPod(p, '/calls')) as Json] as const)),
        );
      let allowed = 0;
      let broken: { from: PodInfo; edge: string; text: string }[] = [];
      const converging = Date.now();
      for (let window = 1; ; window++) {
        const first = await count();
        await new Promise((r) => setTimeout(r, 5000));
        const second = await count();
        allowed = 0;
        broken = [];
        for (const p of running) {
          const spec = catalogService(p.service);
          const edges = [...spec.calls.map((c) => `${c.service}/${c.port}`), ...spec.dataStores];
          for (const edge of edges) {
            const a = (first.get(p.name)?.[edge] ?? {}) as Tally;
            const b = (second.get(p.name)?.[edge] ?? {}) as Tally;
            const ok = (b.ok ?? 0) - (a.ok ?? 0);
            const refused = (b.refused ?? 0) - (a.refused ?? 0);
            if (ok > 0 && refused === 0) allowed++;
            else
              broken.push({
                from: p,
                edge,
                text: `${p.name} (${p.ip}) → ${edge}: ${ok} ok, ${refused} refused in 5 s${refused > 0 ? ` (last: ${b.lastError})` : ''}`,
              });
          }
        }
        if (broken.length === 0 || Date.now() - converging > 60_000) break;
        console.log(
          `  ${env}: window ${window}: ${broken.length} edge(s) not yet carrying traffic: ${broken.map((b) => b.text).join('; ')}`,
        );
      }
      edgeSeconds = (Date.now() - converging) / 1000;
      const clusterIPs = await serviceIPs();
      const explained: string[] = [];
      for (const b of broken)
        explained.push(`${b.text}\n${await explainEdge(b.from, b.edge, running, clusterIPs)}`);
      expect(explained).toEqual([]);

      // Every pair the graph does not declare, on every port of the callee, through its Service.
      const refusedOnes: string[] = [];
      const leaked: string[] = [];
      const checks: Promise<void>[] = [];
      for (const caller of services) {
        const from = byService.get(caller.name);
        if (!from) continue;
        for (const callee of services) {
          if (callee.name === caller.name) continue;
          for (const port of callee.ports) {
            if (caller.calls.some((c) => c.service === callee.name && c.port === port.name)) continue;
            const target = `${serviceDns(callee.name)}:${port.servicePort ?? port.containerPort}`;
            checks.push(
              askPod(from, `/probe?target=${encodeURIComponent(target)}`).then((r) => {
                if (r.result === 'ok') leaked.push(`${caller.name} → ${callee.name}/${port.name}`);
                else if (String(r.result).includes('lookup'))
                  leaked.push(`${caller.name}: DNS failed for ${target}: ${r.result}`);
                else refusedOnes.push(`${caller.name} → ${callee.name}/${port.name}`);
              }),
            );
          }
        }
      }
      await Promise.all(checks);
      expect(leaked).toEqual([]);

      // Nothing beyond the node answers a pod: an address outside the cluster (one of TEST-NET-1) is
      // refused at once on the node, whatever the host's network would have done with it.
      const beyond = await askPod(
        running[0] as PodInfo,
        `/probe?target=${encodeURIComponent('192.0.2.1:80')}`,
      );
      expect(String(beyond.result)).toMatch(/^refused/);

      // A pod in a namespace no policy admits reaches no service.
      const [outside] = (await pods(kubectl, outsideNamespace)).filter((p) => p.ready);
      expect(outside).toBeDefined();
      let outsideRefused = 0;
      const outsideLeaks: string[] = [];
      await Promise.all(
        services.flatMap((callee) =>
          callee.ports.map(async (port) => {
            const target = `${serviceDns(callee.name)}:${port.servicePort ?? port.containerPort}`;
            const r = await askPod(
              { ...(outside as PodInfo), service: 'e2e-client' },
              `/probe?target=${encodeURIComponent(target)}`,
              8080,
            );
            if (r.result === 'ok') outsideLeaks.push(`${outsideNamespace} → ${callee.name}/${port.name}`);
            else outsideRefused++;
          }),
        ),
      );
      expect(outsideLeaks).toEqual([]);

      // DNS: every service name resolves, from inside the namespace, to the Service's ClusterIP.
      const from = running[0] as PodInfo;
      let dns = 0;
      for (const spec of services) {
        const answer = await askPod(from, `/resolve?name=${serviceDns(spec.name)}`);
        expect(answer.addresses, `${spec.name}: ${JSON.stringify(answer)}`).toEqual([
          clusterIPs.get(spec.name),
        ]);
        dns++;
      }
      report.edges = { allowed, refused: refusedOnes.length, outsideRefused, dns, seconds: edgeSeconds };
    },
    10 * 60_000,
  );

  it(
    '3. a rolling update with a config change, under load through every Service: 0 failed requests',
    async () => {
      const revision2 = nextRevision(env, 'e2e2');
      const scaled = scaleToNode(revision2, await allocatable());
      await rollUnderLoad('3 rolling update', scaled.docs, 'revision 2 rolled out', () =>
        rollOut(kubectl, scaled.docs, tools, `${env}-r2`),
      );
      // Every pod now serves the new version and the new config.
      for (const p of await appPods(kubectl)) {
        const served = await httpGet(`http://${p.ip}:${catalogService(p.service).ports[0]?.containerPort}/`);
        expect((JSON.parse(served.body) as Json).version).toMatch(/-e2e2$/);
        const config = await askPod(p, '/config');
        expect(String(config.content)).toContain('e2e_revision: "e2e2"');
      }
    },
    20 * 60_000,
  );

  it(
    '4. rollback to the committed revision under load: 0 failed requests, previous version and config served',
    async () => {
      await rollUnderLoad('4 rollback', revision1, 'rolled back to revision 1', () =>
        apply(kubectl, revision1, `${env} revision 1`),
      );
      for (const p of await appPods(kubectl)) {
        const served = await httpGet(`http://${p.ip}:${catalogService(p.service).ports[0]?.containerPort}/`);
        expect((JSON.parse(served.body) as Json).version).not.toMatch(/-e2e2$/);
        const config = await askPod(p, '/config');
        expect(String(config.content)).not.toContain('e2e_revision');
      }
    },
    20 * 60_000,
  );

  it(
    '5. chaos: pod deletes and evictions under load lose no request; the PodDisruptionBudget refuses the eviction beyond it',
    async () => {
      const several = multiReplica(revision1);
      const targets = (await serviceTargets(kubectl)).filter((t) => several.has(t.name));
      if (several.size === 0) {
        report.steps['5 chaos'] = {
          sent: 0,
          failed: 0,
          note: 'every workload has one replica: nothing can be disrupted without downtime',
        };
        return;
      }
      const load = startLoad(targets);
      await new Promise((r) => setTimeout(r, 2000));
      const refusals: string[] = [];
      const allowedEvictions: string[] = [];
      try {
        const running = await appPods(kubectl);
        for (const name of several) {
          const mine = running.filter((p) => p.service === name);
          // Evict every pod at once: the budget lets some go and refuses the rest (HTTP 429).
          const answers = await Promise.all(
            mine.map((p) =>
              kubectl(
                ['create', '--raw', `/api/v1/namespaces/${ns}/pods/${p.name}/eviction`, '-f', '-'],
                JSON.stringify({
                  apiVersion: 'policy/v1',
                  kind: 'Eviction',
                  metadata: { name: p.name, namespace: ns },
                }),
              ),
            ),
          );
          answers.forEach((a, i) => {
            if (a.code === 0) allowedEvictions.push(mine[i]?.name ?? '');
            else if (/429|disruption budget/i.test(a.stderr)) refusals.push(mine[i]?.name ?? '');
            else throw new Error(`eviction of ${mine[i]?.name}: ${a.stderr}`);
          });
        }
        await settled(kubectl, revision1, 'recovered from the evictions');
        // Then a plain delete of one pod per workload (no budget is asked).
        const again = await appPods(kubectl);
        await Promise.all(
          [...several].map(async (name) => {
            const victim = again.find((p) => p.service === name);
            if (!victim) return;
            const r = await kubectl(['-n', ns, 'delete', 'pod', victim.name, '--wait=false']);
            if (r.code !== 0) throw new Error(`deleting ${victim.name}: ${r.stderr}`);
          }),
        );
        await settled(kubectl, revision1, 'recovered from the deletes');
      } finally {
        const result = await load.stop();
        report.steps['5 chaos'] = {
          sent: result.sent,
          failed: result.failed,
          note: `${allowedEvictions.length} evictions allowed, ${refusals.length} refused by the budget, ${several.size} pods deleted`,
        };
        expect(result.failed, result.errors.join('\n')).toBe(0);
      }
      expect(allowedEvictions.length).toBeGreaterThan(0);
      expect(refusals.length).toBeGreaterThan(0);
    },
    20 * 60_000,
  );

  it(
    '6. the workloads run under the restricted Pod Security profile, enforced by the real admission',
    async () => {
      const namespace = await kubectlJson(kubectl, ['get', 'namespace', ns]);
      expect(((namespace.metadata as Json).labels as Json)['pod-security.kubernetes.io/enforce']).toBe(
        'restricted',
      );
      const privileged = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'e2e-privileged', namespace: ns },
        spec: {
          containers: [
            { name: 'c', image: 'localhost/neurascale-e2e/client:1', securityContext: { privileged: true } },
          ],
        },
      };
      const refused = await kubectl(['create', '-f', '-'], JSON.stringify(privileged));
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/violates PodSecurity "restricted/);
      // Every running pod was admitted under that profile (the namespace enforced it when they were created).
      expect((await appPods(kubectl)).length).toBeGreaterThan(0);
    },
    5 * 60_000,
  );

  const gatewayClass = loadEnvConfig(envConfigPath(env, repoRoot), `overlays/${env}/env.json`, env).traffic
    .gatewayClass;

  it.runIf(gatewayClass === 'traefik')(
    '7. north-south through the Gateway (Traefik): each public route reaches its service over HTTPS, the WebSocket upgrade succeeds, plain HTTP redirects, other paths are refused',
    async () => {
      const started = Date.now();
      const proxy = platform.gateway.classes.traefik;
      const gateway = revision1.find((d) => d.kind === 'Gateway') as Json;
      const hosts = ((gateway.spec as Json).listeners as Json[])
        .map((l) => l.hostname)
        .filter((h): h is string => typeof h === 'string');
      const host = hosts[0] as string;
      const pod = await waitUntil('the Traefik proxy ready', 120_000, async () => {
        const [p] = await pods(kubectl, proxy.namespace);
        return p?.ready ? p : undefined;
      });
      const secret = await kubectlJson(kubectl, [
        '-n',
        proxy.namespace,
        'get',
        'secret',
        platform.gateway.tlsSecret,
      ]);
      const ca = Buffer.from(String((secret.data as Json)['tls.crt']), 'base64').toString();
      const https = (path: string, upgrade = false) =>
        gatewayRequest({ address: pod.ip, port: proxy.ports.https, host, path, ca, upgrade });
      const routed = revision1
        .filter((d) => d.kind === 'HTTPRoute' && (d.metadata as Json).namespace === ns)
        .map((d) => services.find((s) => s.name === (d.metadata as Json).name))
        .filter((s): s is (typeof services)[number] => s !== undefined);
      expect(routed.map((s) => s.name).sort()).toEqual(['api-gateway', 'mcp-server', 'websocket']);
      // Traefik programs the routes a moment after it turns ready.
      for (const spec of routed) {
        const answer = await waitUntil(`${spec.basePath} through the Gateway`, 60_000, async () => {
          const a = await https(`${spec.basePath}/`);
          return a.status === 200 ? a : undefined;
        });
        expect(JSON.parse(answer.body).service).toBe(spec.name);
      }
      const ws = await https('/ws/stream', true);
      expect(ws.status).toBe(101);
      expect(ws.headers['sec-websocket-accept']).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
      expect(ws.body).toContain('"service":"websocket"');
      const plain = await gatewayRequest({
        address: pod.ip,
        port: proxy.ports.http,
        host,
        path: '/api/v2/x',
      });
      expect(plain.status).toBe(301);
      expect(plain.headers.location).toBe(`https://${host}/api/v2/x`);
      expect((await https('/admin')).status).toBe(404);
      report.northSouth =
        `through Traefik at ${pod.ip}: ${routed.map((s) => s.basePath).join(', ')} served by their services over ` +
        `TLS for ${host}, WebSocket upgraded (101), HTTP redirected (301), /admin refused (404), in ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`;
    },
    5 * 60_000,
  );
  it(
    '8. Prometheus, configured from the generated monitors and rules, scrapes every pod of the tier through the NetworkPolicies, and every recording rule produces series',
    async () => {
      const started = Date.now();
      await importImages([prometheusImageEntry(tools.prometheus)], {
        images: tools.images,
        label: `${env}-prometheus`,
      });
      await apply(kubectl, prometheusObjects(revision1), 'Prometheus');
      const pod = await waitUntil('Prometheus ready', 120_000, async () => {
        const p = (await pods(kubectl, platform.monitoringNamespace)).find((x) => x.name === prometheusName);
        return p?.ready ? p : undefined;
      });
      const api = async (path: string) => {
        const answer = await httpGet(`http://${pod.ip}:${prometheusPort}${path}`);
        expect(answer.status, `${path}: ${answer.body.slice(0, 300)}`).toBe(200);
        return (JSON.parse(answer.body) as Json).data as Json;
      };
      const query = async (expr: string) =>
        ((await api(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result as Json[]).map(
          (r) => r.metric as Record<string, string>,
        );
      const tier = await appPods(kubectl);
      // Every pod of the tier is a target, and every target is up: the NetworkPolicies admit the monitoring
      // namespace on each service's telemetry port.
      const targets = await waitUntil('every pod of the tier scraped and up', 120_000, async () => {
        const active = ((await api('/api/v1/targets?state=active')).activeTargets as Json[]) ?? [];
        const up = active.filter((t) => t.health === 'up');
        return active.length === tier.length && up.length === tier.length ? active : undefined;
      });
      const labels = targets.map((t) => t.labels as Record<string, string>);
      expect(labels.map((l) => l.pod).sort()).toEqual(tier.map((p) => p.name).sort());
      for (const l of labels) {
        expect(
          services.map((x) => x.name),
          JSON.stringify(l),
        ).toContain(l.service);
        expect(l.namespace).toBe(ns);
        expect(l.component, JSON.stringify(l)).toBe(catalogService(String(l.service)).component);
      }
      // Every recording rule of the set produces series; the request rate has every service, the SLO error
      // ratios every objective.
      const records = [
        ...new Set(
          revision1
            .filter((d) => d.kind === 'PrometheusRule')
            .flatMap((d) => ((d.spec as Json).groups as Json[]).flatMap((g) => (g.rules as Json[]) ?? []))
            .map((r) => r.record)
            .filter((r): r is string => typeof r === 'string'),
        ),
      ].sort();
      // Each rule group evaluates on its own schedule: wait until all of them have.
      const catalogServices = services.map((x) => x.name).sort();
      const objectives = services.flatMap((x) => x.telemetry.slos.map((o) => `${x.name}-${o.name}`)).sort();
      const seen = await waitUntil('every recording rule has series', 120_000, async () => {
        for (const record of records) if ((await query(record)).length === 0) return undefined;
        const rates = [
          ...new Set((await query('service:http_requests:rate5m')).map((m) => m.service)),
        ].sort();
        const slos = (await query('slo:sli_error:ratio_rate5m')).map((m) => m.slo).sort();
        return rates.length === catalogServices.length && slos.length === objectives.length
          ? { rates, slos }
          : undefined;
      });
      expect(seen.rates).toEqual(catalogServices);
      expect(seen.slos).toEqual(objectives);
      // Every rule evaluates without error, and on a healthy tier no alert is even pending.
      const broken = ((await api('/api/v1/rules')).groups as Json[]).flatMap((g) =>
        ((g.rules as Json[]) ?? [])
          .filter((r) => r.health !== 'ok')
          .map((r) => `${g.name}: ${r.name}: ${r.lastError}`),
      );
      expect(broken).toEqual([]);
      expect(await query('ALERTS')).toEqual([]);
      report.metrics =
        `Prometheus scraped ${targets.length} pods (all up) and ${records.length} recording rules produced series, ` +
        `in ${((Date.now() - started) / 1000).toFixed(1)} s`;
    },
    5 * 60_000,
  );
});
