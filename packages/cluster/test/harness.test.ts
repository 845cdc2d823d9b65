// The harness's pure parts: the doubles' specs from the catalog, image names, scaling to the node, the
// stand-ins for External Secrets and volumes. No cluster needed.
import { join } from 'node:path';
import { platform, services } from '@neurascale/core';
import { repoRoot } from '@neurascale/toolchain';
import { describe, expect, it } from 'vitest';
import {
  build,
  canaryStandIns,
  cpuMillis,
  externalSecretTargets,
  type Json,
  memoryBytes,
  providedNamespaces,
  scaleToNode,
  settledReplicas,
  standInForManagedStores,
  volumesFor,
} from '../src/e2e.ts';
import { doubleSpec, serviceImageEntries, serviceOfImage } from '../src/images.ts';
import { kubeYaml } from '../src/json.ts';
import { prometheusObjects, scrapeConfigs, toPrometheusRelabel } from '../src/prometheus.ts';

const byName = (name: string) => {
  const s = services.find((x) => x.name === name);
  if (!s) throw new Error(name);
  return s;
};

describe('doubleSpec', () => {
  it('serves the catalog ports, probes and metrics port, and calls what the catalog says through Services', () => {
    const gateway = doubleSpec(byName('api-gateway'), '1.2.3');
    expect(gateway.version).toBe('1.2.3');
    expect(gateway.ports).toEqual([{ name: 'http', port: 8080 }]);
    expect(gateway.calls).toEqual([
      { name: 'neural-processor/http', url: 'http://neural-processor.neural-engine.svc.cluster.local:80/' },
      {
        name: 'neural-processor/grpc',
        url: 'http://neural-processor.neural-engine.svc.cluster.local:50051/',
      },
      { name: 'device-manager/http', url: 'http://device-manager.neural-engine.svc.cluster.local:80/' },
      { name: 'ml-pipeline/http', url: 'http://ml-pipeline.neural-engine.svc.cluster.local:80/' },
    ]);
    const device = doubleSpec(byName('device-manager'), '1');
    expect(device.metricsPort).toBe('metrics');
    expect(device.secretEnv).toEqual(['DATABASE_URL']);
    expect(device.stores).toEqual([
      { name: 'postgresql', env: 'DATABASE_URL' },
      { name: 'kafka', configKey: 'kafka.bootstrap_servers' },
    ]);
  });

  it('reaches Kafka through the bootstrap servers of the mounted config', () => {
    expect(doubleSpec(byName('neural-processor'), '1').stores).toEqual([
      { name: 'postgresql', env: 'DATABASE_URL' },
      { name: 'redis', env: 'REDIS_URL' },
      { name: 'kafka', configKey: 'kafka.bootstrap_servers' },
    ]);
  });
});

describe('images', () => {
  it('maps each platform image to its catalog service and tag', () => {
    const { spec, tag } = serviceOfImage(`${platform.imageRegistry}/ml-pipeline:1.0.2`);
    expect([spec.name, tag]).toEqual(['ml-pipeline', '1.0.2']);
  });

  it('refuses an image the catalog has no double for, naming it', () => {
    expect(() => serviceOfImage('docker.io/library/nginx:1')).toThrow(
      /docker.io\/library\/nginx:1.*no double/,
    );
    expect(() => serviceOfImage(`${platform.imageRegistry}/unknown:1`)).toThrow(
      /no catalog service has imageRepository "unknown"/,
    );
  });

  it('bakes the spec of the right version into each image, once per reference', () => {
    const ref = `${platform.imageRegistry}/websocket:2.0.0`;
    const entries = serviceImageEntries([ref, ref], '/bin/double');
    expect(entries).toHaveLength(1);
    const spec = JSON.parse(String(entries[0]?.files[1]?.content)) as Json;
    expect([spec.service, spec.version]).toEqual(['websocket', '2.0.0']);
    expect(entries[0]?.user).toBe(String(platform.runAsUser));
  });
});

describe('quantities', () => {
  it('reads CPU and memory quantities', () => {
    expect(cpuMillis('500m')).toBe(500);
    expect(cpuMillis('2')).toBe(2000);
    expect(memoryBytes('1Gi')).toBe(1024 ** 3);
    expect(memoryBytes('512Mi')).toBe(512 * 1024 ** 2);
    expect(memoryBytes('1G')).toBe(1e9);
    expect(() => memoryBytes('lots')).toThrow(/memory quantity "lots"/);
  });
});

const deployment = (name: string, replicas: number | undefined, cpu: string, memory: string): Json => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'neural-engine' },
  spec: {
    ...(replicas === undefined ? {} : { replicas }),
    template: {
      spec: { containers: [{ name: 'c', resources: { requests: { cpu, memory }, limits: { memory } } }] },
    },
  },
});

describe('scaleToNode', () => {
  const hpa: Json = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'a' },
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'a' }, minReplicas: 3 },
  };

  it('counts an autoscaled workload at its minimum replicas', () => {
    const docs = [deployment('a', undefined, '100m', '100Mi'), hpa, deployment('b', 2, '100m', '100Mi')];
    expect(settledReplicas(docs, docs[0] as Json)).toBe(3);
    expect(settledReplicas(docs, docs[2] as Json)).toBe(2);
  });

  it('scales requests and limits so the settled replicas take the given share of the node', () => {
    const docs = [deployment('a', undefined, '1000m', '1Gi'), hpa];
    const { docs: scaled, scaling } = scaleToNode(
      docs,
      { cpuMillis: 2000, memoryBytes: 30 * 1024 ** 3 },
      0.5,
    );
    expect(scaling.requestedCpuMillis).toBe(3000);
    expect(scaling.cpuFactor).toBeCloseTo(1000 / 3000);
    expect(scaling.memoryFactor).toBe(1);
    const c = ((((scaled[0] as Json).spec as Json).template as Json).spec as { containers: Json[] })
      .containers[0] as Json;
    expect(c.resources).toEqual({
      requests: { cpu: '333m', memory: '1024Mi' },
      limits: { memory: '1024Mi' },
    });
    // the input is not changed
    expect(JSON.stringify(docs)).toContain('"1000m"');
  });
});

describe('stand-ins', () => {
  it('writes the Secret each ExternalSecret targets, with values pointing at the data-store doubles', () => {
    const es: Json = {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'x-secrets', namespace: 'neural-engine' },
      spec: {
        target: { name: 'x-secrets' },
        data: [{ secretKey: 'database-url' }, { secretKey: 'redis-url' }],
      },
    };
    const secret = externalSecretTargets([es])[0] as Json;
    expect((secret.metadata as Json).name).toBe('x-secrets');
    expect(secret.stringData).toEqual({
      'database-url': 'postgres://neural:e2e@postgresql.neural-data.svc.cluster.local:5432/neural',
      'redis-url': 'redis://redis.neural-data.svc.cluster.local:6379/0',
    });
    expect(String(((secret.metadata as Json).annotations as Json)['neurascale.io/e2e'])).toContain(
      'External Secrets',
    );
  });

  it('refuses a secret key it has no stand-in for', () => {
    const es: Json = {
      kind: 'ExternalSecret',
      metadata: { name: 'y' },
      spec: { data: [{ secretKey: 'api-token' }] },
    };
    expect(() => externalSecretTargets([es])).toThrow(/no stand-in value for "api-token"/);
  });

  it('pre-binds one volume per StatefulSet claim and replica', () => {
    const sts: Json = {
      kind: 'StatefulSet',
      metadata: { name: 'dm', namespace: 'neural-engine' },
      spec: {
        replicas: 2,
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      },
    };
    const pvs = volumesFor([sts]);
    expect(pvs.map((pv) => (pv.spec as Json).claimRef)).toEqual([
      { namespace: 'neural-engine', name: 'data-dm-0' },
      { namespace: 'neural-engine', name: 'data-dm-1' },
    ]);
    expect(((pvs[0] as Json).spec as Json).storageClassName).toBe('');
  });

  it('creates the namespaces objects live in without declaring them, and no declared one', () => {
    const docs: Json[] = [
      { kind: 'Namespace', metadata: { name: 'neural-engine' } },
      { kind: 'Service', metadata: { name: 'a', namespace: 'neural-engine' } },
      { kind: 'Gateway', metadata: { name: 'g', namespace: 'istio-ingress' } },
      { kind: 'PeerAuthentication', metadata: { name: 'p', namespace: 'istio-system' } },
      { kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'istio-ingress' } },
      { kind: 'ClusterIssuer', metadata: { name: 'c' } },
    ];
    expect(providedNamespaces(docs).map((n) => (n.metadata as Json).name)).toEqual([
      'istio-ingress',
      'istio-system',
    ]);
  });

  it("stands in for the apex Service Flagger creates for a Canary, selecting the target's pods", () => {
    const selector = { 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/instance': 'x-api' };
    const deployment: Json = {
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'ns' },
      spec: { selector: { matchLabels: selector } },
    };
    const canary: Json = {
      kind: 'Canary',
      metadata: { name: 'api', namespace: 'ns' },
      spec: { targetRef: { name: 'api' }, service: { port: 80, targetPort: 'http', portName: 'http' } },
    };
    const [service, ...rest] = canaryStandIns([deployment, canary]);
    expect(rest).toEqual([]);
    expect(service?.metadata).toMatchObject({ name: 'api', namespace: 'ns' });
    expect(service?.spec).toEqual({
      selector,
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    });
    expect(() => canaryStandIns([canary])).toThrow(
      /Canary ns\/api: its target Deployment api is not in the set/,
    );
  });
});

describe('Prometheus from the monitors', () => {
  const podMonitor = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name: 'mesh', namespace: 'app' },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/part-of': 'neural-engine' } },
      podMetricsEndpoints: [
        {
          path: '/stats/prometheus',
          relabelings: [
            { action: 'keep', sourceLabels: ['__meta_kubernetes_pod_container_name'], regex: 'istio-proxy' },
            {
              action: 'replace',
              sourceLabels: ['__address__'],
              regex: '([^:]+)(?::\\d+)?',
              replacement: '$1:15020',
              targetLabel: '__address__',
            },
            {
              action: 'replace',
              sourceLabels: ['__meta_kubernetes_pod_label_app_kubernetes_io_component'],
              targetLabel: 'component',
            },
          ],
        },
      ],
    },
  };
  const serviceMonitor = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: 'api', namespace: 'app' },
    spec: {
      selector: {
        matchLabels: { 'app.kubernetes.io/name': 'api' },
        matchExpressions: [{ key: 'neurascale.io/headless', operator: 'DoesNotExist' }],
      },
      endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s' }],
    },
  };

  it('translates a ServiceMonitor as the operator does: the service selector, the port, the standard labels', () => {
    const [config] = scrapeConfigs([serviceMonitor], '5s') as Json[];
    expect(config).toMatchObject({
      job_name: 'serviceMonitor/app/api/0',
      metrics_path: '/metrics',
      kubernetes_sd_configs: [{ role: 'endpointslice', namespaces: { names: ['app'] } }],
    });
    const relabel = (config?.relabel_configs ?? []) as Json[];
    expect(relabel).toEqual(
      expect.arrayContaining([
        {
          action: 'keep',
          source_labels: [
            '__meta_kubernetes_service_label_app_kubernetes_io_name',
            '__meta_kubernetes_service_labelpresent_app_kubernetes_io_name',
          ],
          regex: '(api);true',
        },
        {
          action: 'drop',
          source_labels: ['__meta_kubernetes_service_labelpresent_neurascale_io_headless'],
          regex: 'true',
        },
        { action: 'keep', source_labels: ['__meta_kubernetes_endpointslice_port_name'], regex: 'metrics' },
        { action: 'replace', source_labels: ['__meta_kubernetes_service_name'], target_label: 'service' },
        { action: 'replace', source_labels: ['__meta_kubernetes_service_name'], target_label: 'job' },
      ]),
    );
  });

  it('stands in for the sidecar: the annotated port and path instead of 15020, the monitor own labels kept', () => {
    const [config] = scrapeConfigs([podMonitor], '5s') as Json[];
    const relabel = (config?.relabel_configs ?? []) as Json[];
    expect(relabel.some((r) => r.regex === 'istio-proxy' || r.target_label === '__address__')).toBe(false);
    expect(relabel).toEqual(
      expect.arrayContaining([
        {
          action: 'keepequal',
          source_labels: ['__meta_kubernetes_pod_container_port_number'],
          target_label: '__tmp_port',
        },
        {
          action: 'replace',
          source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'],
          target_label: '__metrics_path__',
        },
        {
          action: 'replace',
          source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_component'],
          target_label: 'component',
        },
      ]),
    );
  });

  it('refuses what it cannot translate rather than scraping something else', () => {
    const odd = {
      ...serviceMonitor,
      spec: { ...serviceMonitor.spec, selector: { matchExpressions: [{ key: 'a', operator: 'Gt' }] } },
    };
    expect(() => scrapeConfigs([odd], '5s')).toThrow(/operator "Gt"/);
    expect(() => toPrometheusRelabel({ sourceLabels: ['a'], bogus: 1 })).toThrow(/"bogus"/);
  });

  it('runs the set rules every interval, and the generated environment gives one pod and its rights', () => {
    const docs = build(join(repoRoot, 'generated', 'overlays', 'staging'));
    const objects = prometheusObjects(docs, '5s');
    expect(objects.map((o) => o.kind)).toEqual([
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'ConfigMap',
      'Pod',
    ]);
    const data = (objects[3]?.data ?? {}) as Record<string, string>;
    const rules = Object.keys(data).filter((k) => k.endsWith('.rules.yaml'));
    expect(rules).toContain('neural-engine__neural-engine-recording.rules.yaml');
    expect(data['neural-engine__neural-engine-recording.rules.yaml']).toContain('interval: 5s');
    expect(data['prometheus.yml']).toContain('job_name: podMonitor/neural-engine/neural-engine-mesh/0');
  });
});

describe('kubeYaml', () => {
  it('quotes what kubectl (YAML 1.1) would read as a boolean, and nothing else', () => {
    const text = kubeYaml({
      spec: { updatePolicy: { updateMode: 'Off' }, mode: 'Initial', on: 'yes', count: 1 },
    });
    expect(text).toContain('updateMode: "Off"');
    expect(text).toContain('mode: Initial');
    expect(text).toContain('"on": "yes"');
    expect(text).toContain('count: 1');
  });
});

describe('standInForManagedStores', () => {
  it("points a managed store's range at the stand-in with its port, and the Kafka bootstrap at its Service", () => {
    const policy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'api-gateway-to-data-stores', namespace: 'neural-engine' },
      spec: {
        podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'neural-engine-api-gateway' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '10.20.0.0/24' } }], ports: [{ protocol: 'TCP', port: 5432 }] }],
      },
    };
    const moved = standInForManagedStores(policy) as any;
    expect(moved.spec.egress[0].to).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'neural-data' } },
        podSelector: { matchLabels: platform.dataStores.postgresql.podLabels },
      },
    ]);
    expect(moved.spec.podSelector).toEqual(policy.spec.podSelector);
    expect(moved.metadata.annotations['neurascale.io/e2e']).toMatch(/managed data store/);
    const config = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'api-gateway-config-abc' },
      data: {
        'application.yaml':
          'kafka:\n  bootstrap_servers: bootstrap.example.cloud.goog:9092\n  consumer_group: x\n',
      },
    };
    expect((standInForManagedStores(config) as any).data['application.yaml']).toBe(
      'kafka:\n  bootstrap_servers: kafka.neural-data.svc:9092\n  consumer_group: x\n',
    );
    // In-cluster stores are left alone.
    const inCluster = {
      ...policy,
      spec: { ...policy.spec, egress: [{ to: [{ podSelector: {} }], ports: [{ port: 5432 }] }] },
    };
    expect(standInForManagedStores(inCluster)).toBe(inCluster);
  });
});
