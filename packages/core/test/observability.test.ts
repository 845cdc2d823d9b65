// Observability builders: what is scraped, the rules and their arithmetic, the runbook every alert links,
// the dashboards' stability, and the autoscaler, adapter and recording rule that must agree.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildAutoscaler } from '../src/autoscaling.ts';
import { type ServiceSpec, services } from '../src/catalog.ts';
import { loadEnvConfig } from '../src/env-config.ts';
import { repoRoot } from '../src/generate.ts';
import { headlessLabel } from '../src/labels.ts';
import { buildMeshComponent } from '../src/mesh.ts';
import { adapterRules, podRateMetric } from '../src/observability/adapter.ts';
import { appAlerts, isAlert, platformAlerts } from '../src/observability/alerts.ts';
import { buildDashboardConfigMaps, dashboards } from '../src/observability/dashboards.ts';
import { monitoringObjects, prometheusRules, ruleTestFiles } from '../src/observability/index.ts';
import {
  type AlloyBlock,
  alloyPipeline,
  alloyValues,
  buildAlloyConfig,
  lokiValues,
  renderAlloy,
} from '../src/observability/logging.ts';
import { declaredMetrics } from '../src/observability/metrics.ts';
import { expand } from '../src/observability/rule-tests.ts';
import { burnFactor, records, sliErrorExpr, sloGroups } from '../src/observability/rules.ts';
import { buildServices } from '../src/services.ts';

type Json = any;
const plain = (o: unknown): Json => JSON.parse(JSON.stringify(o));
const env = (name: string) =>
  loadEnvConfig(join(repoRoot, 'overlays', name, 'env.json'), `overlays/${name}/env.json`, name);
const withMesh = (mesh: boolean) => {
  const e = env('staging');
  return { ...e, traffic: { ...e.traffic, mesh, canary: mesh && e.traffic.canary } };
};

describe('scrape targets', () => {
  it('without the mesh: one ServiceMonitor per service on its telemetry port, never the headless Service', () => {
    const monitors = monitoringObjects(withMesh(false), services)
      .map(plain)
      .filter((o) => o.kind === 'ServiceMonitor');
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual(services.map((s) => s.name).sort());
    for (const spec of services) {
      const monitor = monitors.find((m) => m.metadata.name === spec.name);
      expect(monitor.spec.endpoints.map((e: Json) => [e.port, e.path])).toEqual([
        [spec.telemetry.port, spec.telemetry.path],
      ]);
      expect(monitor.spec.selector.matchExpressions).toEqual([
        { key: headlessLabel, operator: 'DoesNotExist' },
      ]);
      expect(monitor.metadata.labels['monitoring.neurascale.io/prometheus']).toBe('platform');
      // Every Service of the service but the headless one is selected; the port exists on it.
      for (const svc of buildServices(spec).map(plain)) {
        const headless = svc.metadata.labels[headlessLabel] === 'true';
        expect(headless, svc.metadata.name).toBe(svc.spec.clusterIP === 'None');
        if (!headless) expect(svc.spec.ports.map((p: Json) => p.name)).toContain(spec.telemetry.port);
      }
    }
  });

  it('with the mesh: one PodMonitor on the sidecar agent, and the pods say where the app metrics are', () => {
    const objects = monitoringObjects(withMesh(true), services).map(plain);
    expect(objects.filter((o) => o.kind === 'ServiceMonitor')).toEqual([]);
    const [pod] = objects.filter((o) => o.kind === 'PodMonitor');
    const relabel = pod.spec.podMetricsEndpoints[0].relabelings;
    expect(relabel[0]).toMatchObject({ action: 'keep', regex: 'istio-proxy' });
    expect(relabel[1].replacement).toBe('$1:15020');
    const patches = buildMeshComponent(services).patches.map(plain);
    for (const spec of services) {
      const patch = patches.find((p) => p.kind === spec.kind && p.metadata.name === spec.name);
      const port = spec.ports.find((p) => p.name === spec.telemetry.port)?.containerPort;
      expect(patch.spec.template.metadata.annotations).toEqual({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(port),
        'prometheus.io/path': '/metrics',
      });
    }
  });

  it('relabels every target to the service it belongs to, from the instance label Flagger keeps', () => {
    const [pod] = monitoringObjects(withMesh(true), services)
      .map(plain)
      .filter((o) => o.kind === 'PodMonitor');
    const service = pod.spec.podMetricsEndpoints[0].relabelings.find(
      (r: Json) => r.targetLabel === 'service',
    );
    const match = new RegExp(`^${service.regex}$`).exec('neural-engine-api-gateway');
    expect(match?.[1]).toBe('api-gateway');
  });
});

describe('declared metrics', () => {
  it('lists every service metric once, the exporters, and Istio only with the mesh', () => {
    const names = (mesh: boolean) => declaredMetrics(withMesh(mesh), services).map((m) => m.name);
    expect(names(true)).toContain('istio_requests_total');
    expect(names(false)).not.toContain('istio_requests_total');
    expect(names(true).filter((n) => n === 'http_requests_total')).toHaveLength(1);
    expect(names(true)).toEqual([...names(true)].sort());
  });

  it('refuses one name with two types', () => {
    const [first, second] = services as [ServiceSpec, ServiceSpec];
    const clash: ServiceSpec = {
      ...second,
      telemetry: {
        ...second.telemetry,
        metrics: [{ name: 'http_requests_total', type: 'gauge', help: 'oops', labels: [] }],
      },
    };
    expect(() => declaredMetrics(withMesh(true), [first, clash])).toThrow(
      /"http_requests_total" is a gauge in "device-manager" but a counter in "neural-processor"/,
    );
  });
});

describe('SLO rules', () => {
  it('uses the SRE workbook burn rates for a 30-day window', () => {
    const slo = services[0]?.telemetry.slos[0];
    if (!slo) throw new Error('no objective');
    expect([burnFactor(slo, '1h', 0.02), burnFactor(slo, '6h', 0.05)]).toEqual([14.4, 6]);
    expect([burnFactor(slo, '1d', 0.1), burnFactor(slo, '3d', 0.1)]).toEqual([3, 1]);
  });

  it('records every window per objective and one fast and one slow alert each', () => {
    const groups = sloGroups(services);
    const objectives = services.flatMap((s) => s.telemetry.slos);
    const rules = groups.flatMap((g) => g.group.rules);
    expect(
      rules
        .filter(isAlert)
        .map((a) => a.alert)
        .sort(),
    ).toEqual(objectives.flatMap(() => ['ErrorBudgetBurnFast', 'ErrorBudgetBurnSlow']).sort());
    expect(rules.filter((r) => !isAlert(r) && r.record === records.sloError('1h'))).toHaveLength(
      objectives.length,
    );
  });

  it('refuses a latency threshold that is not a bucket bound, naming the fix', () => {
    const spec = services.find((s) => s.name === 'api-gateway') as ServiceSpec;
    const slo = {
      ...spec.telemetry.slos[1],
      sli: { kind: 'latency', histogram: 'http_request_duration_seconds', thresholdSeconds: 0.3 },
    } as const;
    expect(() => sliErrorExpr(spec, slo as never, '5m')).toThrow(
      /no bucket at 0.3.*use one of its bucket bounds/,
    );
  });

  it('refuses an objective on a metric the service does not declare', () => {
    const spec = services.find((s) => s.name === 'websocket') as ServiceSpec;
    const slo = {
      name: 'latency',
      description: 'x',
      objectivePercent: 99,
      window: '30d',
      sli: { kind: 'latency', histogram: 'nope_seconds', thresholdSeconds: 1 },
    } as const;
    expect(() => sliErrorExpr(spec, slo, '5m')).toThrow(
      /histogram "nope_seconds", which its telemetry.metrics does not declare/,
    );
  });
});

describe('alerts and the runbook', () => {
  const runbook = readFileSync(join(repoRoot, 'docs', 'runbook.md'), 'utf8');
  // GitHub's anchor of a heading: lower case, spaces to dashes, punctuation dropped.
  const anchors = new Set(
    [...runbook.matchAll(/^#{2,3} (.+)$/gm)].map((m) =>
      (m[1] ?? '')
        .trim()
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    ),
  );
  const all = [
    ...appAlerts().map((a) => a.rule),
    ...platformAlerts().map((a) => a.rule),
    ...sloGroups(services).flatMap((g) => g.group.rules.filter(isAlert)),
  ];

  it.each([...new Set(all.map((a) => a.alert))])('%s has its runbook section with every part', (name) => {
    const rule = all.find((a) => a.alert === name);
    expect(rule?.annotations.runbook_url).toMatch(new RegExp(`/docs/runbook\\.md#${name.toLowerCase()}$`));
    expect(anchors.has(name.toLowerCase()), `docs/runbook.md has no "## ${name}"`).toBe(true);
    const section = runbook.split(/^## /m).find((s) => s.startsWith(`${name}\n`)) ?? '';
    for (const part of ['Meaning', 'Impact', 'First commands', 'Mitigation', 'Escalation']) {
      expect(section, `${name}: ${part}`).toContain(`**${part}**`);
    }
  });

  it('every alert has a severity, a summary and a description', () => {
    for (const rule of all) {
      expect(['critical', 'warning']).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(10);
      expect(rule.annotations.description.length).toBeGreaterThan(20);
    }
  });

  it('the runbook has no section for an alert that does not exist', () => {
    const names = new Set(all.map((a) => a.alert));
    const sections = [...runbook.matchAll(/^## (\S+)$/gm)].map((m) => m[1] ?? '');
    expect(sections.filter((s) => /^[A-Z][A-Za-z]+$/.test(s) && !names.has(s))).toEqual([]);
  });

  it('expands the annotations as promtool will, and refuses a label the alert lacks', () => {
    expect(expand('{{ $labels.pod }} is down', { pod: 'a' })).toBe('a is down');
    expect(() => expand('{{ $labels.node }}', { pod: 'a' })).toThrow(/reads label "node"/);
  });
});

describe('rule tests', () => {
  it('test every alert firing and silent, each file loading only the rule objects it names', () => {
    const files = ruleTestFiles(services);
    const rules = prometheusRules(services);
    const known = new Set(
      [rules.recording, ...rules.slos.map((x) => x.rule), rules.app, rules.platform].map(
        (r) => `${r.metadata?.namespace}/${r.metadata?.name}.yaml`,
      ),
    );
    const seen = new Map<string, Set<boolean>>();
    for (const [path, text] of files) {
      const file = parse(text);
      for (const f of file.rule_files) expect(known.has(f), `${path}: ${f}`).toBe(true);
      for (const test of file.tests) {
        for (const a of test.alert_rule_test ?? []) {
          seen.set(a.alertname, (seen.get(a.alertname) ?? new Set()).add(a.exp_alerts.length > 0));
        }
      }
    }
    const alerts = [rules.app, rules.platform, ...rules.slos.map((x) => x.rule)].flatMap((r) =>
      (r.spec.groups ?? []).flatMap((g) => (g.rules ?? []).flatMap((x) => (x.alert ? [x.alert] : []))),
    );
    for (const alert of alerts) expect([...(seen.get(alert) ?? [])].sort(), alert).toEqual([false, true]);
  });
});

describe('custom-metric autoscaling', () => {
  it('the HPA asks for what the adapter serves, from the recording rule that computes it', () => {
    const gateway = services.find((s) => s.name === 'api-gateway') as ServiceSpec;
    const hpa = plain(buildAutoscaler(gateway));
    const pods = hpa.spec.metrics.find((m: Json) => m.type === 'Pods');
    expect(pods.pods.metric.name).toBe('http_requests_per_second');
    expect(podRateMetric('http_requests_total')).toBe('http_requests_per_second');
    const [rule] = adapterRules(services);
    expect(rule?.name.as).toBe(pods.pods.metric.name);
    const record = records.podRate('http_requests_total');
    expect(rule?.seriesQuery.startsWith(`${record}{`)).toBe(true);
    expect(new RegExp(rule?.name.matches ?? '').test(record)).toBe(true);
    const recording = plain(prometheusRules(services).recording);
    const recorded = recording.spec.groups.flatMap((g: Json) => g.rules.map((r: Json) => r.record));
    expect(recorded).toContain(record);
  });
});

describe('dashboards', () => {
  it('are the same JSON every time, with unique panel ids and the spec overview panels', () => {
    const once = buildDashboardConfigMaps(services).map(plain);
    const twice = buildDashboardConfigMaps(services).map(plain);
    expect(twice).toEqual(once);
    for (const board of dashboards(services) as Json[]) {
      const ids = board.panels.map((p: Json) => p.id);
      expect(new Set(ids).size, board.uid).toBe(ids.length);
      for (const panel of board.panels) {
        expect(panel.gridPos.x + panel.gridPos.w, `${board.uid} ${panel.title}`).toBeLessThanOrEqual(24);
      }
    }
    const overview = (dashboards(services) as Json[]).find((d) => d.uid === 'neural-engine-overview');
    expect(overview.panels.map((p: Json) => p.title)).toEqual(
      expect.arrayContaining(['Request rate', 'Error rate', 'Neural processing latency (p99)']),
    );
    for (const cm of once) {
      expect(cm.metadata.labels.grafana_dashboard).toBe('1');
      expect(Object.keys(cm.data)).toHaveLength(1);
    }
  });
});

describe('logs', () => {
  it('keeps each environment its retention, on its storage', () => {
    const retention = (name: string) => lokiValues(env(name)).loki.limits_config.retention_period;
    expect([retention('dev'), retention('staging'), retention('production')]).toEqual([
      '168h',
      '336h',
      '720h',
    ]);
    expect(lokiValues(env('dev')).deploymentMode).toBe('SingleBinary');
    const prod = lokiValues(env('production'));
    expect(prod.loki.storage.bucketNames?.chunks).toBe('neurascale-production-logs');
    expect(prod.serviceAccount?.annotations['iam.gke.io/gcp-service-account']).toMatch(
      /@neurascale-production\./,
    );
  });

  it('the Alloy chart reads the generated pipeline, which labels logs as the metrics are labelled', () => {
    const values = alloyValues(env('staging'));
    const config = plain(buildAlloyConfig());
    expect(config.metadata.name).toBe(values.alloy.configMap.name);
    const text: string = config.data[values.alloy.configMap.key];
    expect(text).toContain('names = ["neural-engine", "neural-data"]');
    const [pod] = monitoringObjects(withMesh(true), services)
      .map(plain)
      .filter((o) => o.kind === 'PodMonitor');
    const service = pod.spec.podMetricsEndpoints[0].relabelings.find(
      (r: Json) => r.targetLabel === 'service',
    );
    expect(text).toContain(`regex = ${JSON.stringify(service.regex)}\n    target_label = "service"`);
    expect(text).toMatch(
      /stage\.json \{\n\s+expressions = \{ level = "level", ts = "ts", trace_id = "trace_id" \}/,
    );
  });

  it('refuses a pipeline that refers to a component it does not define', () => {
    const [discovery] = alloyPipeline();
    expect(() =>
      renderAlloy([
        discovery as AlloyBlock,
        {
          name: 'loki.source.kubernetes',
          label: 'pods',
          attributes: [['targets', { ref: 'discovery.relabel.pods.output' }]],
        },
      ]),
    ).toThrow(
      /refers to discovery\.relabel\.pods\.output, but no component discovery\.relabel\.pods is defined/,
    );
  });
});
