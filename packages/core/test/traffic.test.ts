// The mesh, the Gateway, the certificates and the canary: what each builder promises, on the real catalog.
import { describe, expect, it } from 'vitest';
import { buildCanary, buildCanaryComponent, buildMetricTemplates } from '../src/canary.ts';
import { services } from '../src/catalog.ts';
import { buildClusterIssuers, buildGatewayCertificate } from '../src/certificates.ts';
import { clusterProvides } from '../src/cluster-provides.ts';
import { enabledComponents } from '../src/components.ts';
import { type EnvConfig, parseEnvConfig } from '../src/env-config.ts';
import { gatewayObjects } from '../src/gateway.ts';
import { meshObjects } from '../src/mesh.ts';
import { platformDirs } from '../src/overlay.ts';
import { platform } from '../src/platform.ts';

type Json = Record<string, any>;
const plain = (o: unknown) => JSON.parse(JSON.stringify(o)) as Json;

function env(traffic: Partial<EnvConfig['traffic']> = {}): EnvConfig {
  return {
    environment: 'test',
    cluster: { project: 'example-test', region: 'europe-west4', name: 'test', autoscaler: { type: 'gke' } },
    backup: {
      bucket: 'example-test-backups',
      serviceAccount: 'velero@example-test.iam.gserviceaccount.com',
      retentionDays: { daily: 7, hourly: 1 },
    },
    dataStores: { mode: 'in-cluster' },
    tenants: [],
    chaos: false,
    budget: { monthlyUsd: 100, fixed: {} },
    logLevel: 'info',
    zoneSpread: 'preferred',
    traffic: {
      hosts: ['api.example.com', 'api2.example.com'],
      gatewayClass: 'istio',
      mesh: true,
      canary: false,
      certificates: {
        issuer: 'letsencrypt-production',
        email: 'ops@example.com',
        dnsProject: 'example-prod',
      },
      ...traffic,
    },
    observability: { logs: { retentionDays: 7, storage: { type: 'filesystem' } } },
    services: Object.fromEntries(services.map((s) => [s.name, { tag: '1.0.0' }])) as EnvConfig['services'],
  };
}

const mesh = meshObjects(services).map(plain);
const meshFind = (kind: string, name: string) =>
  mesh.find((o) => o.kind === kind && o.metadata.name === name);

describe('mesh', () => {
  it('is STRICT mesh-wide and in the app namespace', () => {
    const peers = mesh.filter((o) => o.kind === 'PeerAuthentication');
    expect(peers.map((p) => [p.metadata.namespace, p.spec.mtls.mode])).toEqual([
      ['istio-system', 'STRICT'],
      ['neural-engine', 'STRICT'],
    ]);
  });

  it('denies by default and allows exactly the service graph, by the caller principal', () => {
    expect(meshFind('AuthorizationPolicy', 'allow-nothing')?.spec).toEqual({});
    const processor = meshFind('AuthorizationPolicy', 'neural-processor') as Json;
    expect(processor.spec.rules).toEqual([
      {
        from: [{ source: { principals: ['cluster.local/ns/neural-engine/sa/api-gateway'] } }],
        to: [{ operation: { ports: ['8080', '50051'] } }],
      },
      {
        from: [{ source: { principals: ['cluster.local/ns/neural-engine/sa/websocket'] } }],
        to: [{ operation: { ports: ['50051'] } }],
      },
    ]);
    // Nothing in the graph calls the websocket or mcp-server: only allow-nothing (and the Gateway) apply.
    expect(meshFind('AuthorizationPolicy', 'websocket')).toBeUndefined();
    // Every edge of the catalog is one rule, and every rule is an edge.
    const rules = mesh
      .filter((o) => o.kind === 'AuthorizationPolicy' && o.spec.rules)
      .flatMap((o) =>
        o.spec.rules.map(
          (r: Json) => `${r.from[0].source.principals[0].split('/').pop()}→${o.metadata.name}`,
        ),
      );
    const edges = [...new Set(services.flatMap((s) => s.calls.map((c) => `${s.name}→${c.service}`)))];
    expect(rules.sort()).toEqual(edges.sort());
  });

  it('gives every service the spec connection pool and outlier detection, and its deadline and retries', () => {
    for (const s of services) {
      const rule = meshFind('DestinationRule', s.name) as Json;
      expect(rule.spec.host).toBe(`${s.name}.neural-engine.svc.cluster.local`);
      expect(rule.spec.trafficPolicy.connectionPool).toMatchObject({
        tcp: { maxConnections: 100 },
        http: { http1MaxPendingRequests: 50, http2MaxRequests: 100 },
      });
      expect(rule.spec.trafficPolicy.outlierDetection.consecutive5xxErrors).toBe(5);
      expect(rule.spec.subsets).toBeUndefined();
      const route = (meshFind('VirtualService', s.name) as Json).spec.http[0];
      if (s.requests.timeout !== '0s') expect(route.timeout).toBe(s.requests.timeout);
      expect(route.retries.attempts).toBe(s.requests.retries);
    }
    const stream = (meshFind('VirtualService', 'websocket') as Json).spec.http[0];
    expect(stream.retries).toEqual({ attempts: 0 });
    expect(stream.timeout).toBeUndefined();
  });

  it('scopes egress and lets the sidecars reach istiod and be scraped', () => {
    expect((meshFind('Sidecar', 'default') as Json).spec).toEqual({
      egress: [{ hosts: ['./*', 'istio-system/*', 'neural-data/*'] }],
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
    });
    const istiod = meshFind('NetworkPolicy', 'allow-istiod-egress') as Json;
    expect(istiod.spec.egress[0].ports).toEqual([{ protocol: 'TCP', port: 15012 }]);
  });
});

describe('gateway', () => {
  const objects = (traffic: Partial<EnvConfig['traffic']> = {}) =>
    gatewayObjects(env(traffic), services).map(plain);
  const find = (list: Json[], kind: string, name: string) =>
    list.find((o) => o.kind === kind && o.metadata.name === name) as Json;

  it('serves each host over HTTPS with the certificate Secret and redirects plain HTTP', () => {
    const list = objects();
    const gateway = find(list, 'Gateway', 'neural-engine');
    expect(gateway.metadata.namespace).toBe('istio-ingress');
    expect(gateway.spec.gatewayClassName).toBe('istio');
    expect(gateway.spec.listeners.map((l: Json) => [l.name, l.protocol, l.port, l.hostname])).toEqual([
      ['http', 'HTTP', 80, undefined],
      ['https-api-example-com', 'HTTPS', 443, 'api.example.com'],
      ['https-api2-example-com', 'HTTPS', 443, 'api2.example.com'],
    ]);
    expect(gateway.spec.listeners[1].tls.certificateRefs).toEqual([
      { kind: 'Secret', name: 'neural-engine-tls' },
    ]);
    const redirect = find(list, 'HTTPRoute', 'https-redirect');
    expect(redirect.spec.parentRefs).toEqual([{ name: 'neural-engine', sectionName: 'http' }]);
    expect(redirect.spec.rules[0].filters[0].requestRedirect).toEqual({ scheme: 'https', statusCode: 301 });
  });

  it('routes each public service by its base path; the stream has no deadline', () => {
    const list = objects();
    const routes = list.filter((o) => o.kind === 'HTTPRoute' && o.metadata.namespace === 'neural-engine');
    expect(routes.map((r) => [r.metadata.name, r.spec.rules[0].matches[0].path.value])).toEqual([
      ['api-gateway', '/api/v2'],
      ['websocket', '/ws'],
      ['mcp-server', '/mcp'],
    ]);
    expect(find(list, 'HTTPRoute', 'websocket').spec.rules[0].timeouts).toEqual({ request: '0s' });
    expect(find(list, 'HTTPRoute', 'api-gateway').spec.parentRefs.map((p: Json) => p.sectionName)).toEqual([
      'https-api-example-com',
      'https-api2-example-com',
    ]);
  });

  it('leaves the canary target route to Flagger and admits the -primary pods too', () => {
    const list = objects({ canary: true });
    expect(find(list, 'HTTPRoute', 'api-gateway')).toBeUndefined();
    expect(
      find(list, 'NetworkPolicy', 'api-gateway-primary-from-gateway').spec.podSelector.matchLabels,
    ).toEqual({
      'app.kubernetes.io/name': 'api-gateway-primary',
      'app.kubernetes.io/instance': 'neural-engine-api-gateway',
    });
    expect(find(list, 'AuthorizationPolicy', 'api-gateway-primary-from-gateway')).toBeDefined();
  });

  it('admits the proxy of the chosen implementation, by its pods and its identity', () => {
    for (const gatewayClass of ['istio', 'traefik'] as const) {
      const proxy = platform.gateway.classes[gatewayClass];
      const list = objects({ gatewayClass });
      const policy = find(list, 'NetworkPolicy', 'websocket-from-gateway');
      expect(policy.spec.ingress[0].from[0]).toEqual({
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': proxy.namespace } },
        podSelector: { matchLabels: proxy.podLabels },
      });
      expect(
        find(list, 'AuthorizationPolicy', 'websocket-from-gateway').spec.rules[0].from[0].source.principals,
      ).toEqual([`cluster.local/ns/${proxy.namespace}/sa/${proxy.serviceAccount}`]);
      expect(find(list, 'Gateway', 'neural-engine').spec.listeners[0].port).toBe(proxy.ports.http);
      // Only Istio's proxy enforces authorization policies at the edge.
      expect(Boolean(find(list, 'AuthorizationPolicy', 'neural-engine'))).toBe(gatewayClass === 'istio');
    }
  });

  it('without the mesh has no authorization for the app namespace', () => {
    const list = objects({ mesh: false });
    expect(
      list.filter((o) => o.kind === 'AuthorizationPolicy' && o.metadata.namespace === 'neural-engine'),
    ).toEqual([]);
  });

  it('admits at the edge only the listener ports and the public base paths', () => {
    const policy = find(objects(), 'AuthorizationPolicy', 'neural-engine');
    expect(policy.spec.rules[1].to[0].operation.paths).toEqual([
      '/api/v2',
      '/api/v2/*',
      '/ws',
      '/ws/*',
      '/mcp',
      '/mcp/*',
    ]);
  });
});

describe('certificates', () => {
  it('uses Let’s Encrypt through Cloud DNS for ACME environments, both directories', () => {
    const issuers = buildClusterIssuers(env().traffic.certificates).map(plain);
    expect(issuers.map((i) => [i.metadata.name, i.spec.acme.server])).toEqual([
      ['letsencrypt-staging', 'https://acme-staging-v02.api.letsencrypt.org/directory'],
      ['letsencrypt-production', 'https://acme-v02.api.letsencrypt.org/directory'],
    ]);
    expect(issuers[0]?.spec.acme.solvers).toEqual([{ dns01: { cloudDNS: { project: 'example-prod' } } }]);
  });

  it('signs its own only where the environment asks for it', () => {
    expect(buildClusterIssuers({ issuer: 'self-signed' }).map(plain)).toMatchObject([
      { metadata: { name: 'self-signed' }, spec: { selfSigned: {} } },
    ]);
  });

  it('issues the Gateway Secret for every host and renews a month ahead of expiry', () => {
    const cert = plain(buildGatewayCertificate(env()));
    expect(cert.metadata.namespace).toBe('istio-ingress');
    expect(cert.spec).toMatchObject({
      secretName: 'neural-engine-tls',
      dnsNames: ['api.example.com', 'api2.example.com'],
      issuerRef: { kind: 'ClusterIssuer', name: 'letsencrypt-production' },
      duration: '2160h',
      renewBefore: '720h',
    });
  });
});

describe('canary', () => {
  it('carries the spec analysis, our metric templates, the load test and the HPA', () => {
    const canary = plain(buildCanary(env({ canary: true })));
    expect(canary.spec.provider).toBe('gatewayapi:v1');
    expect(canary.spec.autoscalerRef).toEqual({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      name: 'api-gateway',
    });
    expect(canary.spec.analysis).toMatchObject({
      interval: '1m',
      threshold: 10,
      maxWeight: 50,
      stepWeight: 5,
    });
    expect(canary.spec.analysis.metrics.map((m: Json) => [m.templateRef.name, m.thresholdRange])).toEqual([
      ['request-success-rate', { min: 99 }],
      ['request-duration-p99', { max: 500 }],
    ]);
    expect(canary.spec.service.match).toEqual([{ uri: { prefix: '/api/v2' } }]);
    expect(canary.spec.service.hosts).toEqual(['api.example.com', 'api2.example.com']);
    expect(canary.spec.analysis.webhooks[0].metadata.cmd).toBe(
      'hey -z 1m -q 10 -c 2 http://api-gateway-canary.neural-engine.svc.cluster.local:80/health/ready',
    );
    expect(() => buildCanary(env({ canary: true })).validate()).not.toThrow();
  });

  it('queries the sidecars’ standard request metrics for the canary workload', () => {
    const [rate, duration] = buildMetricTemplates().map(plain);
    expect(rate?.spec.query).toContain('istio_requests_total{reporter="destination"');
    expect(rate?.spec.query).toContain('response_code!~"5.*"');
    expect(duration?.spec.query).toMatch(
      /^histogram_quantile\(0\.99, .*istio_request_duration_milliseconds_bucket/,
    );
    for (const t of buildMetricTemplates()) expect(() => t.validate()).not.toThrow();
  });

  it('deletes what Flagger owns and covers the -primary pods', () => {
    const component = buildCanaryComponent(
      services.find((s) => s.name === 'api-gateway') as (typeof services)[number],
      services,
    );
    expect(component.patches.map((p) => `${p.kind}/${p.metadata?.name}`)).toEqual([
      'Service/api-gateway',
      'DestinationRule/api-gateway',
      'VirtualService/api-gateway',
      'VerticalPodAutoscaler/api-gateway',
    ]);
    // The VPA follows the pods that serve: Flagger's -primary copy.
    expect(JSON.parse(JSON.stringify(component.patches[3])).spec).toEqual({
      targetRef: { name: 'api-gateway-primary' },
    });
    const names = component.objects.map((o) => `${o.kind}/${o.metadata?.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'NetworkPolicy/api-gateway-primary',
        'AuthorizationPolicy/api-gateway-primary',
        'PodDisruptionBudget/api-gateway-primary',
        'NetworkPolicy/mcp-server-to-api-gateway-primary',
        'NetworkPolicy/api-gateway-from-load-tester',
      ]),
    );
  });
});

describe('switches', () => {
  it('turns the mesh and the canary on as components, the mesh first', () => {
    expect(enabledComponents(env({ canary: true }), services).slice(0, 2)).toEqual([
      'mesh',
      'canary-api-gateway',
    ]);
    expect(enabledComponents(env({ mesh: false }), services)).not.toContain('mesh');
    expect([...platformDirs(env({ canary: true })).keys()]).toEqual([
      'gateway',
      'certificates',
      'monitoring',
      'backup',
      'data-stores',
      'external-secrets',
      'canary',
    ]);
    expect([...platformDirs(env()).keys()]).toEqual([
      'gateway',
      'certificates',
      'monitoring',
      'backup',
      'data-stores',
      'external-secrets',
    ]);
  });

  it('declares what the cluster must provide for the chosen implementation', () => {
    const traefik = clusterProvides(env({ gatewayClass: 'traefik', canary: true }), services);
    expect(traefik.map((p) => `${p.kind}/${p.namespace ?? ''}/${p.name}`)).toEqual(
      expect.arrayContaining([
        'Namespace//traefik',
        'GatewayClass//traefik',
        'Pod/traefik/neural-engine-traefik',
        'Namespace//flagger-system',
        'Pod/neural-engine/api-gateway-primary',
      ]),
    );
  });

  it('refuses a canary without the mesh, and a bad host, naming the field', () => {
    const text = (traffic: Json) =>
      JSON.stringify({ ...env(), environment: 'test', traffic: { ...env().traffic, ...traffic } });
    expect(() => parseEnvConfig('t.json', text({ canary: true, mesh: false }))).toThrow(
      /\/traffic\/canary: a canary needs the mesh/,
    );
    expect(() => parseEnvConfig('t.json', text({ hosts: ['*.example.com'] }))).toThrow(/\/traffic\/hosts\/0/);
    expect(() =>
      parseEnvConfig('t.json', text({ certificates: { issuer: 'letsencrypt-production' } })),
    ).toThrow(/\/traffic\/certificates/);
    expect(() => parseEnvConfig('t.json', text({}))).not.toThrow();
  });
});
