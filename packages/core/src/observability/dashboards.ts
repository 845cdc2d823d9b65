// Grafana dashboards, built with Grafana's own typed SDK and emitted as ConfigMaps that Grafana's dashboard
// sidecar loads (by label, into the folder the annotation names): the spec's overview (request rate, error
// rate, p99 neural-processing latency), one RED dashboard per service (rate, errors, duration), and the SLO
// dashboard (budget left, burn rate). Panels read the recording rules (rules.ts), so a dashboard and an
// alert never disagree about what "error rate" means. Output is stable: fixed uids and panel ids, keys
// sorted, so a PR diff shows only what changed.

import {
  LegendDisplayMode,
  LegendPlacement,
  VizLegendOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import { DashboardBuilder, type DataSourceRef, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ServiceSpec } from '../catalog.ts';
import { tierLabels } from '../labels.ts';
import { platform } from '../platform.ts';
import { selector } from './promql.ts';
import { errorBudget, quantiles, records, sloId } from './rules.ts';

const ns = platform.appNamespace;
const { grafana } = platform.monitoring;
const datasource: DataSourceRef = { ...grafana.datasource };

type Panel = TimeseriesPanel | StatPanel;

function query(expr: string, legend: string, refId = 'A'): DataqueryBuilder {
  return new DataqueryBuilder().expr(expr).legendFormat(legend).refId(refId).datasource(datasource);
}

function timeseries(title: string, unit: string, ...targets: DataqueryBuilder[]): TimeseriesPanel {
  // The SDK's default legend is hidden; the series names (service, quantile) are the point of these panels.
  const legend = new VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(LegendDisplayMode.List)
    .placement(LegendPlacement.Bottom)
    .calcs([]);
  const panel = new TimeseriesPanel().title(title).unit(unit).datasource(datasource).legend(legend);
  for (const target of targets) panel.withTarget(target);
  return panel;
}

/**
 * A dashboard from rows of panels: each row is laid out left to right on Grafana's 24-column grid, and ids
 * are assigned in order, so the same input always gives the same JSON.
 */
function dashboard(
  uid: string,
  title: string,
  description: string,
  rows: { title: string; panels: Panel[]; height?: number }[],
): Record<string, unknown> {
  const builder = new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([platform.partOf])
    .editable()
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('utc');
  let id = 1;
  let y = 0;
  for (const row of rows) {
    if (row.panels.length === 0) continue;
    builder.withRow(new RowBuilder(row.title).id(id++).gridPos({ h: 1, w: 24, x: 0, y }));
    y += 1;
    const height = row.height ?? 8;
    const width = Math.max(6, Math.floor(24 / row.panels.length));
    row.panels.forEach((panel, i) => {
      const x = (i * width) % 24;
      const line = Math.floor((i * width) / 24);
      builder.withPanel(panel.id(id++).gridPos({ h: height, w: width, x, y: y + line * height }));
    });
    y += Math.ceil((row.panels.length * width) / 24) * height;
  }
  return builder.build() as unknown as Record<string, unknown>;
}

function histogramPanels(spec: ServiceSpec): TimeseriesPanel[] {
  return spec.telemetry.metrics
    .filter((m) => m.type === 'histogram')
    .map((m) =>
      timeseries(
        `${m.name} quantiles`,
        's',
        ...quantiles.map((q, i) =>
          query(
            selector(records.quantile(m.name), { namespace: ns, service: spec.name, quantile: q }),
            `p${Number(q) * 100}`,
            String.fromCharCode(65 + i),
          ),
        ),
      ),
    );
}

export function overviewDashboard(catalog: readonly ServiceSpec[]): Record<string, unknown> {
  const processing = catalog
    .flatMap((spec) =>
      spec.telemetry.metrics.filter((m) => m.type === 'histogram' && m.name.startsWith('neural_')),
    )
    .map((m) => m.name);
  const [neural] = [...new Set(processing)];
  return dashboard(
    `${platform.partOf}-overview`,
    'Neural Engine / Overview',
    'Request rate, error rate and processing latency of every Neural Engine service.',
    [
      {
        title: 'Traffic',
        panels: [
          timeseries(
            'Request rate',
            'reqps',
            query(selector(records.requestRate, { namespace: ns }), '{{service}}'),
          ),
          timeseries(
            'Error rate',
            'percentunit',
            query(selector(records.errorRatio, { namespace: ns }), '{{service}}'),
          ),
        ],
      },
      ...(neural
        ? [
            {
              title: 'Processing',
              panels: [
                timeseries(
                  'Neural processing latency (p99)',
                  's',
                  query(
                    selector(records.quantile(neural), { namespace: ns, quantile: '0.99' }),
                    '{{service}}',
                  ),
                ),
              ],
            },
          ]
        : []),
    ],
  );
}

export function serviceDashboard(spec: ServiceSpec): Record<string, unknown> {
  const scope = { namespace: ns, service: spec.name };
  return dashboard(
    `${platform.partOf}-${spec.name}`,
    `Neural Engine / ${spec.name}`,
    `${spec.description}: rate, errors and duration (RED).`,
    [
      {
        title: 'Requests',
        panels: [
          timeseries('Rate', 'reqps', query(selector(records.requestRate, scope), '{{service}}')),
          timeseries(
            'Errors (5xx share)',
            'percentunit',
            query(selector(records.errorRatio, scope), '{{service}}'),
          ),
          new StatPanel()
            .title('Targets up')
            .datasource(datasource)
            .withTarget(query(`sum(${selector('up', scope)})`, 'up')),
        ],
      },
      { title: 'Duration', panels: histogramPanels(spec) },
    ],
  );
}

export function sloDashboard(catalog: readonly ServiceSpec[]): Record<string, unknown> {
  const rows = catalog
    .filter((spec) => spec.telemetry.slos.length > 0)
    .map((spec) => ({
      title: spec.name,
      height: 6,
      panels: spec.telemetry.slos.flatMap((slo) => {
        const id = sloId(spec, slo);
        return [
          new StatPanel()
            .title(`${slo.name}: budget left (${slo.window})`)
            .description(slo.description)
            .unit('percentunit')
            .datasource(datasource)
            .withTarget(query(selector(records.sloBudgetRemaining, { slo: id }), id)),
          timeseries(
            `${slo.name}: burn rate`,
            'none',
            query(`${selector(records.sloError('1h'), { slo: id })} / ${errorBudget(slo)}`, '1h', 'A'),
            query(`${selector(records.sloError('6h'), { slo: id })} / ${errorBudget(slo)}`, '6h', 'B'),
          ),
        ];
      }),
    }));
  return dashboard(
    `${platform.partOf}-slos`,
    'Neural Engine / SLOs',
    'Error budget left over each objective window, and how fast it burns (1 = exactly sustainable).',
    rows,
  );
}

/** JSON with every object's keys sorted, so the SDK's field order cannot make diffs. */
export function stableJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([k, x]) => [k, sort(x)]),
          )
        : v;
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}

export function dashboards(catalog: readonly ServiceSpec[]): Record<string, unknown>[] {
  return [overviewDashboard(catalog), sloDashboard(catalog), ...catalog.map(serviceDashboard)];
}

export function buildDashboardConfigMaps(catalog: readonly ServiceSpec[]): ConfigMap[] {
  return dashboards(catalog).map((board) => {
    const uid = String(board.uid);
    return new ConfigMap({
      metadata: {
        name: `grafana-dashboard-${uid}`,
        namespace: platform.monitoringNamespace,
        labels: { ...tierLabels('dashboards'), ...grafana.dashboardLabel },
        annotations: { [grafana.folderAnnotation]: grafana.folder },
      },
      data: { [`${uid}.json`]: stableJson(board) },
    });
  });
}
