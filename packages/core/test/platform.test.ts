// The platform builders around the app: priority classes, vertical autoscaling beside the HPAs, the self-managed
// cluster-autoscaler, the secret store, the cloud identities and the tenants.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type ServiceSpec, serviceByName, services } from '../src/catalog.ts';
import { buildChaosSchedule, chaosExperiments } from '../src/chaos.ts';
import { workloadIdentityPatch } from '../src/cloud-identity.ts';
import { clusterAutoscalerObjects, expanderPriorities } from '../src/cluster-autoscaler.ts';
import { enabledComponents } from '../src/components.ts';
import { dataStoreObjects, kafkaClusterId } from '../src/data-stores.ts';
import { type EnvConfig, parseEnvConfig, type TenantConfig } from '../src/env-config.ts';
import { envConfigPath } from '../src/environments.ts';
import { repoRoot } from '../src/generate.ts';
import { primaryLabels, selectorLabels } from '../src/labels.ts';
import { appAlerts, platformAlerts } from '../src/observability/alerts.ts';
import { buildOverlay } from '../src/overlay.ts';
import { platform } from '../src/platform.ts';
import { buildPriorityClasses } from '../src/scheduling.ts';
import { buildClusterSecretStore, externalSecretsValues } from '../src/secret-store.ts';
import { tenantObjects } from '../src/tenancy.ts';
import {
  buildVerticalAutoscaler,
  hpaResources,
  updatableResources,
  verticalAutoscalerPatch,
} from '../src/vertical-autoscaling.ts';
import { buildWorkload } from '../src/workloads.ts';

type Json = Record<string, any>;
const plain = (o: unknown) => JSON.parse(JSON.stringify(o)) as Json;

function envConfig(name = 'production', mutate: (c: Json) => void = () => {}): EnvConfig {
  const config = JSON.parse(readFileSync(envConfigPath(name, repoRoot), 'utf8'));
  mutate(config);
  return parseEnvConfig(`overlays/${name}/env.json`, JSON.stringify(config), name);
}

describe('priority classes', () => {
  const classes = buildPriorityClasses().map(plain);
  const value = (tier: ServiceSpec['priority']) =>
    classes.find((c) => c.metadata.name === platform.priorityClasses[tier].name)?.value;

  it('rank the real-time path above the APIs above batch work, all below the system classes', () => {
    expect(value('realtime')).toBeGreaterThan(value('standard'));
    expect(value('standard')).toBeGreaterThan(value('batch'));
    for (const c of classes) {
      expect(c.value).toBeLessThan(1_000_000_000);
      expect(c.globalDefault).toBe(false);
    }
    const batch = classes.find((c) => c.metadata.name === platform.priorityClasses.batch.name);
    expect(batch?.preemptionPolicy).toBe('Never');
  });

  it.each(services)('$name runs at the class of its catalog tier', (s) => {
    const pod = plain(buildWorkload(s, '1.0.0')).spec.template.spec;
    expect(pod.priorityClassName).toBe(platform.priorityClasses[s.priority].name);
    expect(classes.map((c) => c.metadata.name)).toContain(pod.priorityClassName);
  });

  it('puts the signal path at real-time and training at batch', () => {
    expect(serviceByName('neural-processor').priority).toBe('realtime');
    expect(serviceByName('device-manager').priority).toBe('realtime');
    expect(serviceByName('ml-pipeline').priority).toBe('batch');
  });
});

describe('vertical pod autoscalers', () => {
  it.each(services)(
    '$name: recommendation-only in the base, the app container bounded, sidecars untouched',
    (s) => {
      const vpa = plain(buildVerticalAutoscaler(s));
      expect(vpa.spec.targetRef).toEqual({ apiVersion: 'apps/v1', kind: s.kind, name: s.name });
      expect(vpa.spec.updatePolicy.updateMode).toBe('Off');
      const [app, rest] = vpa.spec.resourcePolicy.containerPolicies;
      expect(app).toMatchObject({ containerName: s.name, minAllowed: s.vertical.minAllowed });
      expect(rest).toEqual({ containerName: '*', mode: 'Off' });
    },
  );

  it('lets an updating VPA act only on what the HPA does not scale on', () => {
    const processor = serviceByName('neural-processor');
    expect(hpaResources(processor)).toEqual(['cpu']);
    const patch = plain(verticalAutoscalerPatch(processor, 'Initial'));
    expect(patch.spec.updatePolicy.updateMode).toBe('Initial');
    expect(patch.spec.resourcePolicy.containerPolicies[0].controlledResources).toEqual(['memory']);
    const fixed = plain(verticalAutoscalerPatch(serviceByName('ml-pipeline'), 'Recreate'));
    expect(fixed.spec.resourcePolicy.containerPolicies[0].controlledResources).toEqual(['cpu', 'memory']);
    expect(verticalAutoscalerPatch(processor, 'Off')).toBeUndefined();
  });

  it('refuses an updating VPA where the HPA scales on both resources, naming the field and the fix', () => {
    const gateway = serviceByName('api-gateway');
    expect(updatableResources(gateway)).toEqual([]);
    expect(() => verticalAutoscalerPatch(gateway, 'Recreate')).toThrow(/can only recommend/);
    expect(() =>
      envConfig('production', (c) => {
        c.services['api-gateway'].vpa = 'InPlaceOrRecreate';
      }),
    ).toThrow(/\/services\/api-gateway\/vpa: its HPA scales on cpu and memory.*set it to "Off"/s);
  });
});

describe('cluster autoscaler', () => {
  const selfManaged = (mutate: (a: Json) => void = () => {}) =>
    envConfig('production', (c) => {
      c.cluster.autoscaler = {
        type: 'self-managed',
        version: 'v1.33.0',
        cloudProvider: 'gce',
        nodeGroupAutoDiscovery: ['mig:namePrefix=neural-engine-,min=1,max=10'],
        expanderPriorities: [
          { priority: 50, nodeGroups: ['.*-spot-.*'] },
          { priority: 10, nodeGroups: ['.*-standard-.*', '.*-highmem-.*'] },
        ],
      };
      mutate(c.cluster.autoscaler);
    });

  it('emits nothing where GKE scales the nodes', () => {
    expect(clusterAutoscalerObjects(envConfig('production'))).toEqual([]);
  });

  it('runs the pinned registry.k8s.io image with the priority expander, its table and the spec scale-down', () => {
    const objects = clusterAutoscalerObjects(selfManaged()).map(plain);
    const deployment = objects.find((o) => o.kind === 'Deployment');
    const container = deployment?.spec.template.spec.containers[0];
    expect(container.image).toBe('registry.k8s.io/autoscaling/cluster-autoscaler:v1.33.0');
    expect(container.args).toEqual(
      expect.arrayContaining([
        '--cloud-provider=gce',
        '--expander=priority',
        '--node-group-auto-discovery=mig:namePrefix=neural-engine-,min=1,max=10',
        '--scale-down-delay-after-add=10m',
        '--scale-down-unneeded-time=10m',
        '--skip-nodes-with-local-storage=false',
      ]),
    );
    expect(deployment?.spec.template.spec.priorityClassName).toBe(
      platform.priorityClasses['platform-critical'].name,
    );
    const table = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name === 'cluster-autoscaler-priority-expander',
    );
    expect(table?.metadata.namespace).toBe('kube-system');
    expect(parse(table?.data.priorities)).toEqual({
      50: ['.*-spot-.*'],
      10: ['.*-standard-.*', '.*-highmem-.*'],
    });
    // The autoscaler may read and update its own ConfigMaps only.
    const role = objects.find((o) => o.kind === 'Role');
    expect(role?.rules[1].resourceNames).toContain('cluster-autoscaler-priority-expander');
  });

  it('merges node groups that share a priority', () => {
    const config = selfManaged((a) => {
      a.expanderPriorities = [
        { priority: 5, nodeGroups: ['a'] },
        { priority: 5, nodeGroups: ['b'] },
      ];
    }).cluster.autoscaler;
    expect(config.type === 'self-managed' && parse(expanderPriorities(config))).toEqual({ 5: ['a', 'b'] });
  });

  it('refuses a malformed version with the field and an example', () => {
    expect(() => selfManaged((a) => (a.version = '1.33'))).toThrow(
      /\/cluster\/autoscaler\/version: "1.33" is not valid: expected a cluster-autoscaler release such as v1.33.0/,
    );
  });
});

describe('secret store and cloud identity', () => {
  const env = envConfig('staging');

  it("reads the environment's own project as the operator's Google identity, for the app and data namespaces only", () => {
    const store = plain(buildClusterSecretStore(env));
    expect(store.metadata.name).toBe(platform.secrets.store);
    expect(store.spec.provider.gcpsm.projectID).toBe('neurascale-staging');
    expect(store.spec.provider.gcpsm.auth.workloadIdentity).toEqual({
      clusterProjectID: 'neurascale-staging',
      clusterLocation: 'europe-west4',
      clusterName: 'neural-engine-staging',
      serviceAccountRef: { name: 'external-secrets', namespace: 'external-secrets' },
    });
    expect(store.spec.conditions).toEqual([{ namespaces: ['neural-engine', 'neural-data'] }]);
    const values = externalSecretsValues(env);
    expect(values.serviceAccount.annotations).toEqual({
      'iam.gke.io/gcp-service-account': 'external-secrets@neurascale-staging.iam.gserviceaccount.com',
    });
  });

  it('pins the operator chart at the version of the CRDs the validator checks against', () => {
    const pins = JSON.parse(readFileSync(join(repoRoot, 'packages', 'toolchain', 'versions.json'), 'utf8'));
    const crds = pins.crds.find((c: Json) => c.module === 'github.com/external-secrets/external-secrets');
    expect(`v${platform.secrets.operator.chart.version}`).toBe(crds.version);
  });

  it('gives a Google identity to exactly the services that say why they call Google Cloud', () => {
    const annotated = services.flatMap((s) => {
      const patch = workloadIdentityPatch(s, env);
      return patch ? [[s.name, plain(patch).metadata.annotations] as const] : [];
    });
    expect(annotated).toEqual([
      [
        'neural-processor',
        { 'iam.gke.io/gcp-service-account': 'neural-processor@neurascale-staging.iam.gserviceaccount.com' },
      ],
      [
        'ml-pipeline',
        { 'iam.gke.io/gcp-service-account': 'ml-pipeline@neurascale-staging.iam.gserviceaccount.com' },
      ],
    ]);
    expect(services.filter((s) => s.cloudAccess).map((s) => s.name)).toEqual(annotated.map(([n]) => n));
  });
});

describe('tenants', () => {
  const env = envConfig('staging');
  const all = tenantObjects(env).map(plain);
  const research = env.tenants.find((t) => t.name === 'research') as TenantConfig;
  const inTenant = (ns: string) => all.filter((o) => o.metadata.namespace === ns);

  it('get a restricted namespace in the mesh, labelled with the tenant, with quota and defaults', () => {
    const ns = all.find((o) => o.kind === 'Namespace' && o.metadata.name === 'tenant-research');
    expect(ns?.metadata.labels).toMatchObject({
      'neurascale.io/tenant': 'research',
      'pod-security.kubernetes.io/enforce': 'restricted',
      'istio-injection': 'enabled',
    });
    const quota = inTenant('tenant-research').find((o) => o.metadata.name === 'tenant-quota');
    expect(quota?.spec.hard).toMatchObject({
      'requests.cpu': research.quota.cpu,
      'requests.memory': research.quota.memory,
      pods: String(research.quota.pods),
      'services.loadbalancers': '0',
      'services.nodeports': '0',
    });
    expect(inTenant('tenant-research').some((o) => o.kind === 'LimitRange')).toBe(true);
  });

  it('start from default deny and open only their own namespace, DNS, istiod and their declared services', () => {
    const policies = inTenant('tenant-research').filter((o) => o.kind === 'NetworkPolicy');
    expect(policies.map((p) => p.metadata.name).sort()).toEqual([
      'allow-dns-egress',
      'allow-istiod-egress',
      'allow-neural-engine-egress',
      'allow-same-namespace',
      'default-deny-all',
    ]);
    const egress = policies.find((p) => p.metadata.name === 'allow-neural-engine-egress');
    expect(egress?.spec.egress).toEqual([
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'neural-engine' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'neural-engine-api-gateway' } },
          },
        ],
        ports: [{ protocol: 'TCP', port: 8080 }],
      },
    ]);
    // The app side admits the tenant to that service only, in the network and in the mesh.
    const admitted = all
      .filter((o) => o.metadata.namespace === 'neural-engine')
      .map((o) => `${o.kind}/${o.metadata.name}`);
    expect(admitted).toEqual(
      expect.arrayContaining([
        'NetworkPolicy/api-gateway-from-tenant-research',
        'AuthorizationPolicy/api-gateway-from-tenant-research',
        'NetworkPolicy/mcp-server-from-tenant-partner-sandbox',
      ]),
    );
    expect(admitted).not.toContain('NetworkPolicy/mcp-server-from-tenant-research');
  });

  it('keep tenant pods from any priority class above batch (PriorityClasses are not guarded by RBAC)', () => {
    const quota = inTenant('tenant-research').find((o) => o.metadata.name === 'tenant-no-priority');
    expect(quota?.spec.hard).toEqual({ pods: '0' });
    expect(quota?.spec.scopeSelector.matchExpressions[0].values).toEqual([
      'neurascale-platform-critical',
      'neurascale-realtime',
      'neurascale-standard',
    ]);
  });

  it("bind the team's group to a Role that cannot touch RBAC, quotas, limits or policies", () => {
    const role = inTenant('tenant-research').find((o) => o.kind === 'Role');
    const writes = ['create', 'delete', 'patch', 'update'];
    for (const rule of role?.rules ?? []) {
      const guarded = ['roles', 'rolebindings', 'resourcequotas', 'limitranges', 'networkpolicies'];
      if (rule.resources.some((r: string) => guarded.includes(r))) {
        expect(
          rule.verbs.filter((v: string) => writes.includes(v)),
          rule.resources.join(),
        ).toEqual([]);
      }
      expect(rule.verbs).not.toContain('*');
      expect(rule.resources).not.toContain('*');
    }
    const binding = inTenant('tenant-research').find((o) => o.kind === 'RoleBinding');
    expect(binding?.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'research@neurascale.com' },
    ]);
  });

  it('leave the mesh out where the environment has none', () => {
    const plainEnv = envConfig('staging', (c) => {
      c.traffic.mesh = false;
      c.traffic.canary = false;
    });
    const objects = tenantObjects(plainEnv).map(plain);
    expect(objects.some((o) => o.kind === 'AuthorizationPolicy')).toBe(false);
    expect(objects.some((o) => o.metadata.name === 'allow-istiod-egress')).toBe(false);
  });

  it('refuses a tenant declared twice, and an unknown service, naming the field', () => {
    expect(() =>
      envConfig('staging', (c) => {
        c.tenants.push({ ...c.tenants[0] });
      }),
    ).toThrow(/\/tenants\/2\/name: "research" is declared twice/);
    expect(() =>
      envConfig('staging', (c) => {
        c.tenants[0].allowedServices = ['billing'];
      }),
    ).toThrow(/\/tenants\/0\/allowedServices\/0: must be one of "neural-processor"/);
  });
});

describe('data stores', () => {
  const dev = envConfig('dev');
  const production = envConfig('production');
  const inCluster = dataStoreObjects(dev).map(plain);
  const managed = dataStoreObjects(production).map(plain);

  it('run in dev from pinned official images, restricted, one StatefulSet each in the data namespace', () => {
    const sets = inCluster.filter((o) => o.kind === 'StatefulSet');
    expect(sets.map((s) => s.spec.template.spec.containers[0].image).sort()).toEqual([
      'docker.io/apache/kafka:4.1.0',
      'docker.io/library/postgres:17.6',
      'docker.io/valkey/valkey:8.1.3',
    ]);
    for (const set of sets) {
      expect(set.metadata.namespace).toBe('neural-data');
      expect(set.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true });
      expect(set.spec.template.spec.priorityClassName).toBe(platform.priorityClasses.realtime.name);
    }
    const ns = inCluster.find((o) => o.kind === 'Namespace');
    expect(ns?.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('admit only the services that use each store, and those services reach only their stores', () => {
    const intoPostgres = inCluster.find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'postgresql',
    );
    const admitted = intoPostgres?.spec.ingress[0].from.map(
      (f: Json) => f.podSelector.matchLabels['app.kubernetes.io/instance'],
    );
    expect(admitted).toEqual(
      services.filter((s) => s.dataStores.includes('postgresql')).map((s) => `neural-engine-${s.name}`),
    );
    const websocket = inCluster.find((o) => o.metadata.name === 'websocket-to-data-stores');
    expect(websocket?.spec.egress.map((e: Json) => e.ports[0].port)).toEqual([6379, 9092]);
    expect(inCluster.some((o) => o.metadata.name === 'mcp-server-to-data-stores')).toBe(false);
  });

  it('are managed in production: nothing in the cluster, egress to their private ranges, entered in the mesh', () => {
    expect(managed.filter((o) => o.metadata.namespace === 'neural-data')).toEqual([]);
    const processor = managed.find((o) => o.metadata.name === 'neural-processor-to-data-stores');
    expect(processor?.spec.egress).toEqual([
      { to: [{ ipBlock: { cidr: '10.20.0.0/24' } }], ports: [{ protocol: 'TCP', port: 5432 }] },
      { to: [{ ipBlock: { cidr: '10.20.1.0/29' } }], ports: [{ protocol: 'TCP', port: 6379 }] },
      { to: [{ ipBlock: { cidr: '10.20.2.0/24' } }], ports: [{ protocol: 'TCP', port: 9092 }] },
    ]);
    const entries = managed.filter((o) => o.kind === 'ServiceEntry');
    expect(entries.map((e) => e.spec.addresses[0])).toEqual(['10.20.0.0/24', '10.20.1.0/29', '10.20.2.0/24']);
    expect(entries.every((e) => e.spec.location === 'MESH_EXTERNAL' && e.spec.exportTo[0] === '.')).toBe(
      true,
    );
  });

  it("reach Flagger's -primary copy of the canary target too, which serves the traffic", () => {
    const gateway = managed.find((o) => o.metadata.name === 'api-gateway-to-data-stores');
    const selector = Object.entries(gateway?.spec.podSelector.matchLabels ?? {});
    expect(selector.length).toBeGreaterThan(0);
    for (const labels of [
      primaryLabels(serviceByName('api-gateway')),
      selectorLabels(serviceByName('api-gateway')),
    ]) {
      for (const [key, value] of selector) expect((labels as Record<string, string>)[key], key).toBe(value);
    }
  });

  it("give Kafka a stable cluster id per environment and the services the managed cluster's bootstrap address", () => {
    expect(kafkaClusterId('dev')).toBe(kafkaClusterId('dev'));
    expect(kafkaClusterId('dev')).not.toBe(kafkaClusterId('staging'));
    expect(Buffer.from(kafkaClusterId('production'), 'base64url')).toHaveLength(16);
    const root = JSON.stringify(
      buildOverlay(production, { base: 'b', components: 'c' }).dataFiles.get(
        'config/api-gateway.application.yaml',
      ),
    );
    expect(root).toContain(
      'bootstrap.neural-engine.europe-west4.managedkafka.neurascale-production.cloud.goog:9092',
    );
  });

  it('refuses a managed store without its range, naming the field', () => {
    expect(() =>
      envConfig('production', (c) => {
        delete c.dataStores.redis.cidr;
      }),
    ).toThrow(/\/dataStores/);
  });
});

describe('chaos experiments', () => {
  const schedules = chaosExperiments.map((e) => plain(buildChaosSchedule(e)));
  const alertNames = new Set([
    ...appAlerts().map((a) => a.rule.alert),
    ...platformAlerts().map((a) => a.rule.alert),
    'ErrorBudgetBurnFast',
    'ErrorBudgetBurnSlow',
  ]);

  it("are the spec's: one core for 60 s, 2000 ms of latency for 60 s, a pod kill, one app pod at a time", () => {
    const [cpu, latency, kill] = schedules;
    expect(cpu?.spec.stressChaos).toMatchObject({
      duration: '60s',
      mode: 'one',
      stressors: { cpu: { workers: 1, load: 100 } },
    });
    expect(latency?.spec.networkChaos).toMatchObject({
      action: 'delay',
      duration: '60s',
      delay: { latency: '2000ms' },
    });
    expect(kill?.spec.podChaos).toMatchObject({ action: 'pod-kill', mode: 'one' });
    for (const s of schedules) {
      expect(s.spec[`${s.spec.type[0].toLowerCase()}${s.spec.type.slice(1)}`].selector).toEqual({
        namespaces: ['neural-engine'],
        labelSelectors: { 'app.kubernetes.io/part-of': 'neural-engine' },
      });
      expect(s.spec.concurrencyPolicy).toBe('Forbid');
    }
    // Never two at once: each starts at its own hour.
    expect(new Set(schedules.map((s) => s.spec.schedule)).size).toBe(schedules.length);
  });

  it.each(chaosExperiments.map((e) => [e.name, e] as const))(
    '%s: its steady state names alerts and an objective that exist',
    (_name, experiment) => {
      for (const alert of experiment.steadyState.silentAlerts) expect(alertNames, alert).toContain(alert);
      const { service, objective } = experiment.steadyState.slo;
      expect(serviceByName(service).telemetry.slos.map((o) => o.name)).toContain(objective);
    },
  );

  it('run where listed, never in production', () => {
    expect(enabledComponents(envConfig('dev'), services)).toContain('chaos');
    expect(enabledComponents(envConfig('production'), services)).not.toContain('chaos');
    expect(() => envConfig('production', (c) => (c.chaos = true))).toThrow(
      /\/chaos: chaos experiments are for non-production environments only/,
    );
  });
});
