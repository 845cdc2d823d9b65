// An environment's observability folder (`overlays/<env>/monitoring/`): what Prometheus scrapes, the rules
// it evaluates, the dashboards Grafana loads, the custom-metrics adapter's rules, the log pipeline's Alloy
// configuration, and beside them (not resources) the promtool tests of the rules and the values of the Loki
// and Alloy charts. Everything is derived from the catalog's telemetry and the environment's config.
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import type { ServiceSpec } from '../catalog.ts';
import type { EnvConfig } from '../env-config.ts';
import { type KustomizeDir, kustomizeDir } from '../kustomization.ts';
import { tierLabels } from '../labels.ts';
import { platform } from '../platform.ts';
import { type KubeObject, ResourceSet } from '../resource-set.ts';
import { buildAdapterConfig } from './adapter.ts';
import { type AlertRule, appAlerts, platformAlerts, type RuleGroup } from './alerts.ts';
import { buildDashboardConfigMaps } from './dashboards.ts';
import { buildAlloyConfig, chartValues } from './logging.ts';
import { buildMeshPodMonitor, buildServiceMonitor } from './monitors.ts';
import { alertTests, recordingTests, renderRuleTests, sloTests } from './rule-tests.ts';
import { autoscalingRecordingGroup, serviceRecordingGroup, sloGroups } from './rules.ts';

export const monitoringFolder = 'monitoring';
export const ruleTestsDir = 'rule-tests';

function prometheusRule(name: string, namespace: string, groups: RuleGroup[]): PrometheusRule {
  return new PrometheusRule({
    metadata: {
      name,
      namespace,
      labels: { ...tierLabels('monitoring'), ...platform.monitoring.selectorLabels },
    },
    spec: { groups: groups.map((g) => ({ name: g.name, interval: g.interval, rules: g.rules })) },
  });
}

const alertGroup = (name: string, alerts: { rule: AlertRule }[]): RuleGroup => ({
  name,
  interval: platform.monitoring.ruleInterval,
  rules: alerts.map((a) => a.rule),
});

/** The PrometheusRules, by role: the tests name the ones they need. */
export function prometheusRules(catalog: readonly ServiceSpec[]) {
  const ns = platform.appNamespace;
  const autoscaling = autoscalingRecordingGroup(catalog);
  return {
    recording: prometheusRule(`${platform.partOf}-recording`, ns, [
      serviceRecordingGroup(catalog),
      ...(autoscaling ? [autoscaling] : []),
    ]),
    // One object per service, as Sloth writes them: a test of one service's objectives loads only its rules.
    slos: sloGroups(catalog).map(({ spec, group }) => ({
      spec,
      rule: prometheusRule(`${platform.partOf}-slo-${spec.name}`, ns, [group]),
    })),
    app: prometheusRule(`${platform.partOf}-alerts`, ns, [
      alertGroup(`${platform.partOf}.alerts`, appAlerts()),
    ]),
    platform: prometheusRule('platform-alerts', platform.monitoringNamespace, [
      alertGroup('platform.alerts', platformAlerts()),
    ]),
  };
}

function allRules(rules: ReturnType<typeof prometheusRules>): PrometheusRule[] {
  return [rules.recording, ...rules.slos.map((s) => s.rule), rules.app, rules.platform];
}

/**
 * Where a PrometheusRule's groups sit for promtool: `<namespace>/<name>.yaml`, as the tests name them. The
 * validator lays the rendered rules out the same way (packages/validation/src/promtool.ts, ruleFileOf).
 */
export function ruleFileOf(rule: PrometheusRule): string {
  return `${rule.metadata?.namespace}/${rule.metadata?.name}.yaml`;
}

/**
 * The promtool test files. Each loads only the rule files its tests need: promtool evaluates every loaded
 * rule at every step, and the SLO windows reach three days back.
 */
export function ruleTestFiles(catalog: readonly ServiceSpec[]): Map<string, string> {
  const rules = prometheusRules(catalog);
  const file = (
    needs: PrometheusRule[],
    tests: Parameters<typeof renderRuleTests>[0]['tests'],
    interval = '1m',
  ) => renderRuleTests({ rule_files: needs.map(ruleFileOf), evaluation_interval: interval, tests });
  return new Map([
    [`${ruleTestsDir}/app-alerts.yaml`, file([rules.recording, rules.app], alertTests(appAlerts()))],
    [`${ruleTestsDir}/platform-alerts.yaml`, file([rules.platform], alertTests(platformAlerts()))],
    [`${ruleTestsDir}/recording.yaml`, file([rules.recording], recordingTests(catalog))],
    ...rules.slos.map(
      ({ spec, rule }) => [`${ruleTestsDir}/slo-${spec.name}.yaml`, file([rule], sloTests(spec))] as const,
    ),
  ]);
}

export function monitoringObjects(env: EnvConfig, catalog: readonly ServiceSpec[]): KubeObject[] {
  return [
    ...(env.traffic.mesh ? [buildMeshPodMonitor()] : catalog.map(buildServiceMonitor)),
    ...allRules(prometheusRules(catalog)),
    buildAdapterConfig(catalog),
    ...buildDashboardConfigMaps(catalog),
    buildAlloyConfig(),
  ];
}

export function buildMonitoringDir(env: EnvConfig, catalog: readonly ServiceSpec[]): KustomizeDir {
  return kustomizeDir({
    objects: new ResourceSet().add(...monitoringObjects(env, catalog)).list(),
    dataFiles: new Map([...ruleTestFiles(catalog), ...chartValues(env)]),
  });
}
