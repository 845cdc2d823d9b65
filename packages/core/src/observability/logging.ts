// Logs: Grafana Alloy collects the pod logs of the app and data namespaces and ships them to Loki (Promtail,
// the spec's collector, is end of life). The Alloy pipeline is generated from typed blocks into the ConfigMap
// the Alloy chart reads (`alloy.configMap`), with the same target labels as the metrics (namespace, pod,
// container, service, component) and the services' structured JSON lines parsed (level as a label, the
// trace id as structured metadata, the line's own timestamp). The two charts' values are typed data, written
// beside the objects (`monitoring/values/`), for the GitOps issue to hand to Argo CD.
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { stringify } from 'yaml';
import type { EnvConfig } from '../env-config.ts';
import { tierLabels } from '../labels.ts';
import { dataStoreNamespaces, platform } from '../platform.ts';
import { podLabelMeta } from './monitors.ts';

/** A reference to another component's export (`discovery.relabel.pods.output`), written bare. */
export interface AlloyRef {
  ref: string;
}

export type AlloyValue =
  | string
  | number
  | boolean
  | readonly string[]
  | AlloyRef
  | readonly AlloyRef[]
  | Readonly<Record<string, string>>;

/** A block of Alloy's configuration language: `name "label" { attributes, blocks }`. */
export interface AlloyBlock {
  name: string;
  label?: string;
  attributes?: readonly (readonly [string, AlloyValue])[];
  blocks?: readonly AlloyBlock[];
}

function isRef(value: unknown): value is AlloyRef {
  return typeof value === 'object' && value !== null && 'ref' in value;
}

function renderValue(value: AlloyValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isRef(value)) return value.ref;
  if (Array.isArray(value)) {
    return `[${(value as readonly (string | AlloyRef)[]).map((v) => (isRef(v) ? v.ref : JSON.stringify(v))).join(', ')}]`;
  }
  const entries = Object.entries(value as Record<string, string>);
  return `{ ${entries.map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ')} }`;
}

function renderBlock(block: AlloyBlock, indent: string): string {
  const head = `${indent}${block.name}${block.label ? ` ${JSON.stringify(block.label)}` : ''} {`;
  const inner = `${indent}  `;
  const lines = [
    ...(block.attributes ?? []).map(([k, v]) => `${inner}${k} = ${renderValue(v)}`),
    ...(block.blocks ?? []).map((b) => renderBlock(b, inner)),
  ];
  return [head, ...lines, `${indent}}`].join('\n');
}

/**
 * The configuration text; refuses a reference to a component the configuration does not define (Alloy would
 * refuse to start, and nothing here can run Alloy to find out).
 */
export function renderAlloy(components: readonly AlloyBlock[]): string {
  const defined = new Set(components.map((c) => `${c.name}.${c.label ?? ''}`));
  const refs = (block: AlloyBlock): string[] => [
    ...(block.attributes ?? []).flatMap(([, v]) =>
      isRef(v) ? [v.ref] : Array.isArray(v) ? (v as unknown[]).filter(isRef).map((r) => r.ref) : [],
    ),
    ...(block.blocks ?? []).flatMap(refs),
  ];
  for (const component of components) {
    for (const ref of refs(component)) {
      const target = ref.split('.').slice(0, -1).join('.');
      if (!defined.has(target)) {
        throw new Error(
          `alloy: ${component.name} "${component.label}" refers to ${ref}, but no component ${target} is defined`,
        );
      }
    }
  }
  return `${components.map((c) => renderBlock(c, '')).join('\n\n')}\n`;
}

/** The fields of the services' structured log lines (the shared logging library's JSON). */
export const logFields = { timestamp: 'ts', level: 'level', message: 'msg', traceId: 'trace_id' } as const;

export const loki = {
  /** The chart's gateway Service, which takes pushes and queries. */
  pushUrl: `http://loki-gateway.${platform.monitoringNamespace}.svc.cluster.local/loki/api/v1/push`,
  alloyConfigMap: 'alloy-config',
  alloyConfigKey: 'config.alloy',
} as const;

const relabel = (source: string, target: string, regex?: string): AlloyBlock => ({
  name: 'rule',
  attributes: [
    ['source_labels', [source]],
    ...(regex ? ([['regex', regex]] as const) : []),
    ['target_label', target],
  ],
});

/** Pods of the app and data namespaces → target labels → tail through the API → parse JSON → Loki. */
export function alloyPipeline(): AlloyBlock[] {
  const namespaces = [platform.appNamespace, ...dataStoreNamespaces()];
  return [
    {
      name: 'discovery.kubernetes',
      label: 'pods',
      attributes: [['role', 'pod']],
      blocks: [{ name: 'namespaces', attributes: [['names', namespaces]] }],
    },
    {
      name: 'discovery.relabel',
      label: 'pods',
      attributes: [['targets', { ref: 'discovery.kubernetes.pods.targets' }]],
      blocks: [
        relabel('__meta_kubernetes_namespace', 'namespace'),
        relabel('__meta_kubernetes_pod_name', 'pod'),
        relabel('__meta_kubernetes_pod_container_name', 'container'),
        relabel(podLabelMeta('app.kubernetes.io/instance'), 'service', `${platform.partOf}-(.+)`),
        relabel(podLabelMeta('app.kubernetes.io/component'), 'component'),
      ],
    },
    {
      name: 'loki.source.kubernetes',
      label: 'pods',
      attributes: [
        ['targets', { ref: 'discovery.relabel.pods.output' }],
        ['forward_to', [{ ref: 'loki.process.structured.receiver' }]],
      ],
      // Replicas share the targets instead of each tailing every pod.
      blocks: [{ name: 'clustering', attributes: [['enabled', true]] }],
    },
    {
      name: 'loki.process',
      label: 'structured',
      attributes: [['forward_to', [{ ref: 'loki.write.default.receiver' }]]],
      blocks: [
        {
          name: 'stage.json',
          attributes: [
            [
              'expressions',
              {
                level: logFields.level,
                ts: logFields.timestamp,
                trace_id: logFields.traceId,
              },
            ],
          ],
        },
        { name: 'stage.labels', attributes: [['values', { level: '' }]] },
        { name: 'stage.structured_metadata', attributes: [['values', { trace_id: '' }]] },
        {
          name: 'stage.timestamp',
          attributes: [
            ['source', 'ts'],
            ['format', 'RFC3339Nano'],
          ],
        },
      ],
    },
    {
      name: 'loki.write',
      label: 'default',
      blocks: [{ name: 'endpoint', attributes: [['url', loki.pushUrl]] }],
    },
  ];
}

export function buildAlloyConfig(): ConfigMap {
  return new ConfigMap({
    metadata: {
      name: loki.alloyConfigMap,
      namespace: platform.monitoringNamespace,
      labels: { ...tierLabels('logging'), 'app.kubernetes.io/name': 'alloy' },
    },
    data: { [loki.alloyConfigKey]: renderAlloy(alloyPipeline()) },
  });
}

/** The values of Grafana's `loki` chart (v6) that we set. */
export interface LokiValues {
  deploymentMode: 'SingleBinary' | 'SimpleScalable';
  loki: {
    auth_enabled: false;
    commonConfig: { replication_factor: number };
    schemaConfig: {
      configs: {
        from: string;
        store: 'tsdb';
        object_store: 'filesystem' | 'gcs';
        schema: 'v13';
        index: { prefix: string; period: '24h' };
      }[];
    };
    storage: { type: 'filesystem' | 'gcs'; bucketNames?: { chunks: string; ruler: string; admin: string } };
    limits_config: { retention_period: string; allow_structured_metadata: true; volume_enabled: true };
    compactor: { retention_enabled: true; delete_request_store: 'filesystem' | 'gcs' };
  };
  serviceAccount?: { annotations: Record<string, string> };
  singleBinary: { replicas: number; persistence?: { size: string } };
  backend: { replicas: number };
  read: { replicas: number };
  write: { replicas: number };
  gateway: { enabled: true };
  chunksCache: { enabled: boolean };
  resultsCache: { enabled: boolean };
  lokiCanary: { enabled: boolean };
  test: { enabled: boolean };
}

/** The values of Grafana's `alloy` chart (v1) that we set. */
export interface AlloyValues {
  alloy: {
    configMap: { create: false; name: string; key: string };
    clustering: { enabled: true };
    mounts: { varlog: false };
  };
  controller: { type: 'deployment'; replicas: number };
}

export function lokiValues(env: EnvConfig): LokiValues {
  const { retentionDays, storage } = env.observability.logs;
  const gcs = storage.type === 'gcs';
  const scalable = gcs;
  return {
    deploymentMode: scalable ? 'SimpleScalable' : 'SingleBinary',
    loki: {
      auth_enabled: false,
      commonConfig: { replication_factor: scalable ? 3 : 1 },
      schemaConfig: {
        configs: [
          {
            from: '2024-04-01',
            store: 'tsdb',
            object_store: storage.type,
            schema: 'v13',
            index: { prefix: 'loki_index_', period: '24h' },
          },
        ],
      },
      storage: {
        type: storage.type,
        ...(gcs
          ? { bucketNames: { chunks: storage.bucket, ruler: storage.bucket, admin: storage.bucket } }
          : {}),
      },
      limits_config: {
        retention_period: `${retentionDays * 24}h`,
        allow_structured_metadata: true,
        volume_enabled: true,
      },
      compactor: { retention_enabled: true, delete_request_store: storage.type },
    },
    ...(gcs
      ? {
          serviceAccount: {
            annotations: { 'iam.gke.io/gcp-service-account': storage.serviceAccount },
          },
        }
      : {}),
    singleBinary: scalable ? { replicas: 0 } : { replicas: 1, persistence: { size: '20Gi' } },
    backend: { replicas: scalable ? 3 : 0 },
    read: { replicas: scalable ? 3 : 0 },
    write: { replicas: scalable ? 3 : 0 },
    gateway: { enabled: true },
    chunksCache: { enabled: scalable },
    resultsCache: { enabled: scalable },
    lokiCanary: { enabled: scalable },
    test: { enabled: false },
  };
}

export function alloyValues(env: EnvConfig): AlloyValues {
  return {
    alloy: {
      configMap: { create: false, name: loki.alloyConfigMap, key: loki.alloyConfigKey },
      clustering: { enabled: true },
      mounts: { varlog: false },
    },
    controller: { type: 'deployment', replicas: env.observability.logs.storage.type === 'gcs' ? 2 : 1 },
  };
}

/** The charts' values files, by path in the monitoring folder (not resources of its kustomization). */
export function chartValues(env: EnvConfig): Map<string, string> {
  const file = (chart: string, values: unknown) =>
    `# Values of Grafana's ${chart} chart for ${env.environment}; the GitOps Application passes them.\n${stringify(values, { lineWidth: 0, version: '1.1' })}`;
  return new Map([
    ['values/alloy.yaml', file('alloy', alloyValues(env))],
    ['values/loki.yaml', file('loki', lokiValues(env))],
  ]);
}
