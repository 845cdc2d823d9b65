import { describe, expect, it } from 'vitest';
import { buildAppTierBase } from '../src/base.ts';
import { type ServiceSpec, services } from '../src/catalog.ts';
import { platform } from '../src/platform.ts';
import { ResourceSet } from '../src/resource-set.ts';
import { terminationGracePeriodSeconds } from '../src/workloads.ts';

type Json = Record<string, any>;
const base = buildAppTierBase();
const objects = [...base.values()]
  .flatMap((dir) => dir.objects)
  .map((o) => JSON.parse(JSON.stringify(o)) as Json);
const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const workloadOf = (s: ServiceSpec) => find(s.kind, s.name) as Json;

describe('app tier base layout', () => {
  it('keeps the tier objects at the top and each service in its own folder with its config', () => {
    expect([...base.keys()].sort()).toEqual(['', ...services.map((s) => s.name)].sort());
    const top = base.get('') as NonNullable<ReturnType<typeof base.get>>;
    expect(top.objects.map((o) => o.kind).sort()).toEqual([
      'Namespace',
      'NetworkPolicy',
      'NetworkPolicy',
      ...Array(Object.keys(platform.priorityClasses).length).fill('PriorityClass'),
    ]);
    expect(top.directories).toEqual(services.map((s) => s.name).sort());
    for (const s of services) {
      const dir = base.get(s.name);
      expect(
        dir?.objects.every((o) => JSON.stringify(o).includes(s.name)),
        s.name,
      ).toBe(true);
      expect(dir?.configMapGenerator.map((g) => g.name)).toEqual([`${s.name}-config`]);
      expect([...(dir?.dataFiles.keys() ?? [])]).toEqual(['application.yaml']);
    }
  });
});

describe('service catalog', () => {
  it.each(services)('$name: probes use a declared port, scaling is HPA xor replicas, calls resolve', (s) => {
    expect(s.ports.map((p) => p.name)).toContain(s.health.port);
    expect(Boolean(s.autoscaling) !== (s.replicas !== undefined)).toBe(true);
    for (const call of s.calls) {
      const callee = services.find((c) => c.name === call.service);
      expect(callee?.ports.map((p) => p.name)).toContain(call.port);
    }
  });
});

describe('workloads', () => {
  it.each(services)(
    '$name: restricted security context, probes on exposed ports, drain before SIGTERM',
    (s) => {
      const w = workloadOf(s);
      const pod = w.spec.template.spec;
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.serviceAccountName).toBe(s.name);
      const [c] = pod.containers;
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
      });
      const portNames = c.ports.map((p: Json) => p.name);
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (c[probe]) expect(portNames).toContain(c[probe].httpGet.port);
      }
      expect(c.resources.requests).toHaveProperty('cpu');
      expect(c.resources.requests).toHaveProperty('memory');
      expect(c.resources.limits).toHaveProperty('memory');
      expect(c.image).toMatch(/:[0-9]+\.[0-9]+\.[0-9]+$/);
      expect(c.lifecycle.preStop.sleep.seconds).toBe(platform.preStopSleepSeconds);
      expect(pod.terminationGracePeriodSeconds).toBe(terminationGracePeriodSeconds(s));
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(
        platform.preStopSleepSeconds + s.shutdownSeconds,
      );
      expect(pod.volumes.some((v: Json) => 'hostPath' in v)).toBe(false);
      expect(pod.topologySpreadConstraints.map((t: Json) => t.topologyKey)).toEqual([
        'topology.kubernetes.io/zone',
        'kubernetes.io/hostname',
      ]);
    },
  );

  it.each(services)('$name: selector is name + instance only and matches the pod template', (s) => {
    const w = workloadOf(s);
    const selector = w.spec.selector.matchLabels;
    expect(Object.keys(selector).sort()).toEqual(['app.kubernetes.io/instance', 'app.kubernetes.io/name']);
    expect(w.spec.template.metadata.labels).toMatchObject(selector);
  });

  it('leaves replicas to the HPA where one exists', () => {
    for (const s of services) {
      const w = workloadOf(s);
      expect('replicas' in w.spec).toBe(!s.autoscaling);
      expect(Boolean(find('HorizontalPodAutoscaler', s.name))).toBe(Boolean(s.autoscaling));
    }
  });

  it('rolls Deployments without losing capacity', () => {
    for (const s of services.filter((x) => x.kind === 'Deployment')) {
      expect(workloadOf(s).spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
      expect(workloadOf(s).spec.minReadySeconds).toBeGreaterThan(0);
    }
  });

  it('gives device-manager a StatefulSet with a 10Gi RWO claim and a headless Service', () => {
    const sts = find('StatefulSet', 'device-manager') as Json;
    expect(sts.spec.serviceName).toBe('device-manager-headless');
    expect(sts.spec.volumeClaimTemplates[0]).toMatchObject({
      metadata: { name: 'device-data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
    });
    expect(find('Service', 'device-manager-headless')?.spec.clusterIP).toBe('None');
    const env = sts.spec.template.spec.containers[0].env.map((e: Json) => e.name);
    expect(env).toEqual(expect.arrayContaining(['DEVICE_DISCOVERY_INTERVAL', 'MAX_DEVICES']));
  });

  it('configures the api-gateway HPA from the spec (cpu 70%, memory 80%, 1000 requests/s a pod, slow scale-down)', () => {
    const hpa = find('HorizontalPodAutoscaler', 'api-gateway') as Json;
    expect(
      hpa.spec.metrics.map((m: Json) =>
        m.type === 'Resource'
          ? [m.resource.name, m.resource.target.averageUtilization]
          : [m.pods.metric.name, m.pods.target.averageValue],
      ),
    ).toEqual([
      ['cpu', 70],
      ['memory', 80],
      ['http_requests_per_second', '1000'],
    ]);
    expect(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds).toBe(300);
  });
});

describe('per-service objects', () => {
  it.each(services)(
    '$name: ServiceAccount, Service, PDB allowing one eviction, ExternalSecret for its keys',
    (s) => {
      expect(find('ServiceAccount', s.name)?.automountServiceAccountToken).toBe(false);
      expect(find('Service', s.name)?.spec.selector).toEqual(workloadOf(s).spec.selector.matchLabels);
      expect(find('PodDisruptionBudget', s.name)?.spec.maxUnavailable).toBe(1);
      const es = find('ExternalSecret', `${s.name}-secrets`) as Json;
      expect(es.spec.data.map((d: Json) => d.secretKey)).toEqual(s.secretKeys);
      expect(es.spec.target.name).toBe(`${s.name}-secrets`);
    },
  );

  it('never puts a Secret value in the output', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });
});

describe('namespace and network policies', () => {
  it('enforces the restricted Pod Security profile on the app namespace', () => {
    const ns = find('Namespace', platform.appNamespace) as Json;
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('starts from default-deny and allows DNS egress', () => {
    expect(find('NetworkPolicy', 'default-deny-all')?.spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    });
    const dns = find('NetworkPolicy', 'allow-dns-egress') as Json;
    expect(dns.spec.egress[0].ports).toEqual([
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ]);
  });

  it('selects namespaces only by kubernetes.io/metadata.name', () => {
    const selectors =
      JSON.stringify(objects.filter((o) => o.kind === 'NetworkPolicy')).match(
        /"namespaceSelector":\{[^}]*\}/g,
      ) ?? [];
    expect(selectors.length).toBeGreaterThan(0);
    for (const s of selectors)
      expect(s).toMatch(/"matchLabels":\{"kubernetes\.io\/metadata\.name":"[a-z-]+"/);
  });

  it('lets api-gateway reach neural-processor on http and grpc, and nothing reach mcp-server in the base but monitoring', () => {
    const np = find('NetworkPolicy', 'neural-processor') as Json;
    const fromGateway = np.spec.ingress.find(
      (r: Json) => r.from[0].podSelector?.matchLabels['app.kubernetes.io/name'] === 'api-gateway',
    );
    expect(fromGateway.ports.map((p: Json) => p.port)).toEqual([8080, 50051]);
    const mcp = find('NetworkPolicy', 'mcp-server') as Json;
    expect(
      mcp.spec.ingress.map(
        (r: Json) => r.from[0].namespaceSelector?.matchLabels['kubernetes.io/metadata.name'],
      ),
    ).toEqual([platform.monitoringNamespace]);
  });

  it.each(services)(
    '$name: monitoring reaches only the metrics port (the health port when there is none)',
    (s) => {
      const policy = find('NetworkPolicy', s.name) as Json;
      const fromMonitoring = policy.spec.ingress.filter(
        (r: Json) =>
          r.from[0].namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] ===
          platform.monitoringNamespace,
      );
      const metrics =
        s.ports.find((p) => p.name === 'metrics') ?? s.ports.find((p) => p.name === s.health.port);
      expect(fromMonitoring.map((r: Json) => r.ports)).toEqual([
        [{ protocol: 'TCP', port: metrics?.containerPort }],
      ]);
    },
  );

  it('device-manager is scraped on 9090, not on its http port', () => {
    const policy = find('NetworkPolicy', 'device-manager') as Json;
    const ports = policy.spec.ingress.flatMap((r: Json) =>
      r.from[0].namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === platform.monitoringNamespace
        ? r.ports.map((p: Json) => p.port)
        : [],
    );
    expect(ports).toEqual([9090]);
  });

  it.each(services)(
    '$name: every flow the catalog declares is allowed out of the caller and into the callee, and no other',
    (s) => {
      const egress = (find('NetworkPolicy', s.name) as Json).spec.egress ?? [];
      const toServices = egress
        .filter((r: Json) => r.to[0].podSelector && !r.to[0].namespaceSelector)
        .flatMap((r: Json) =>
          r.ports.map((p: Json) => `${r.to[0].podSelector.matchLabels['app.kubernetes.io/name']}:${p.port}`),
        )
        .sort();
      const declared = s.calls
        .map((c) => {
          const callee = services.find((x) => x.name === c.service);
          return `${c.service}:${callee?.ports.find((p) => p.name === c.port)?.containerPort}`;
        })
        .sort();
      expect(toServices).toEqual([...new Set(declared)]);
    },
  );
});

describe('ResourceSet', () => {
  it('rejects a duplicate identity and names it', () => {
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a', namespace: 'n' } };
    expect(() => new ResourceSet().add(sa, { ...sa })).toThrow('duplicate object core/ServiceAccount/n/a');
  });

  it('accepts the same name in another namespace or kind', () => {
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a', namespace: 'n' } };
    const set = new ResourceSet().add(
      sa,
      { ...sa, metadata: { name: 'a', namespace: 'm' } },
      { ...sa, kind: 'Service' },
    );
    expect(set.size).toBe(3);
  });
});
