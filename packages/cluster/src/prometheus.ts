// A real Prometheus in the end-to-end cluster, configured from the environment's own monitoring objects: the
// ServiceMonitors and PodMonitors become scrape configurations the way prometheus-operator translates them
// (no operator runs here), the PrometheusRules become its rule files. It scrapes the service doubles from the
// monitoring namespace, through the generated NetworkPolicies, so the suite can ask it whether every target
// is up and every recording rule produces series.
//
// One stand-in: with the mesh, the PodMonitor scrapes the Istio sidecar's merged endpoint (15020), but no
// sidecar is injected here (no istiod runs). The sidecar would fetch the app's metrics from the port and path
// the pod's prometheus.io annotations name; the stand-in scrapes exactly that port and path instead.
import { metaLabelName, platform } from '@neurascale/core';
import { arr, type Json, kubeYaml, obj } from './json.ts';
import { clusterImages } from './paths.ts';

export const e2eMarker = {
  'neurascale.io/e2e': 'a real Prometheus, configured from the monitors and rules of the set',
};

/** A relabeling as prometheus-operator writes it (camelCase) → as Prometheus reads it (snake_case). */
export function toPrometheusRelabel(r: Json): Json {
  const out: Json = {};
  const names: Record<string, string> = {
    sourceLabels: 'source_labels',
    targetLabel: 'target_label',
    separator: 'separator',
    regex: 'regex',
    replacement: 'replacement',
    action: 'action',
    modulus: 'modulus',
  };
  for (const [k, v] of Object.entries(r)) {
    const name = names[k];
    if (!name) throw new Error(`relabeling field "${k}" is not one the e2e translation knows`);
    out[name] = name === 'action' ? String(v).toLowerCase() : v;
  }
  return out;
}

/** Keep targets whose object (pod or service) matches a label selector, as the operator does. */
export function selectorRelabels(selector: Json, role: 'pod' | 'service'): Json[] {
  const meta = (l: string) => `__meta_kubernetes_${role}_label_${metaLabelName(l)}`;
  const present = (l: string) => `__meta_kubernetes_${role}_labelpresent_${metaLabelName(l)}`;
  const rules: Json[] = Object.entries(obj(selector.matchLabels)).map(([k, v]) => ({
    action: 'keep',
    source_labels: [meta(k), present(k)],
    regex: `(${String(v)});true`,
  }));
  for (const e of arr(selector.matchExpressions)) {
    const key = String(e.key);
    const values = (Array.isArray(e.values) ? e.values : []).map(String).join('|');
    switch (e.operator) {
      case 'Exists':
        rules.push({ action: 'keep', source_labels: [present(key)], regex: 'true' });
        break;
      case 'DoesNotExist':
        rules.push({ action: 'drop', source_labels: [present(key)], regex: 'true' });
        break;
      case 'In':
        rules.push({ action: 'keep', source_labels: [meta(key), present(key)], regex: `(${values});true` });
        break;
      case 'NotIn':
        rules.push({ action: 'drop', source_labels: [meta(key), present(key)], regex: `(${values});true` });
        break;
      default:
        throw new Error(`selector operator "${String(e.operator)}" is not one the e2e translation knows`);
    }
  }
  return rules;
}

/** A relabeling that keeps only the Istio sidecar's container. */
function keepsSidecar(r: Json): boolean {
  return (
    String(r.action).toLowerCase() === 'keep' &&
    (r.sourceLabels as string[] | undefined)?.includes('__meta_kubernetes_pod_container_name') === true &&
    String(r.regex) === 'istio-proxy'
  );
}

/** Whether a PodMonitor endpoint scrapes the Istio sidecar (keeps the istio-proxy container). */
export function scrapesSidecar(endpoint: Json): boolean {
  return arr(endpoint.relabelings).some(keepsSidecar);
}

/** Without a sidecar: the app's own port and path, as the pod's prometheus.io annotations name them. */
const mergedMetricsStandIn: Json[] = [
  { action: 'keep', source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], regex: 'true' },
  {
    action: 'replace',
    source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_port'],
    target_label: '__tmp_port',
  },
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
];

/**
 * The labels prometheus-operator puts on every target before the monitor's own relabelings; `job` is the
 * Service's name for a ServiceMonitor, `namespace/name` of the monitor for a PodMonitor.
 */
function standardLabels(job: string, role: 'pod' | 'service'): Json[] {
  return [
    { action: 'replace', source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
    ...(role === 'service'
      ? [
          { action: 'replace', source_labels: ['__meta_kubernetes_service_name'], target_label: 'service' },
          { action: 'replace', source_labels: ['__meta_kubernetes_service_name'], target_label: 'job' },
        ]
      : [{ action: 'replace', target_label: 'job', replacement: job }]),
    { action: 'replace', source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
    { action: 'replace', source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
  ];
}

function namespacesOf(monitor: Json): string[] {
  const selector = obj(obj(monitor.spec).namespaceSelector);
  const names = Array.isArray(selector.matchNames) ? selector.matchNames.map(String) : [];
  return names.length > 0 ? names : [String(obj(monitor.metadata).namespace)];
}

/** One scrape configuration per endpoint of every ServiceMonitor and PodMonitor of the set. */
export function scrapeConfigs(docs: Json[], interval: string): Json[] {
  return docs.flatMap((doc) => {
    const kind = doc.kind;
    if (kind !== 'ServiceMonitor' && kind !== 'PodMonitor') return [];
    const meta = obj(doc.metadata);
    const spec = obj(doc.spec);
    const role = kind === 'PodMonitor' ? 'pod' : 'service';
    const endpoints = arr(kind === 'PodMonitor' ? spec.podMetricsEndpoints : spec.endpoints);
    return endpoints.map((endpoint, i) => {
      const job = `${meta.namespace}/${meta.name}`;
      const sidecar = kind === 'PodMonitor' && scrapesSidecar(endpoint);
      const own = arr(endpoint.relabelings)
        .filter((r) => !sidecar || (r.targetLabel !== '__address__' && !keepsSidecar(r)))
        .map(toPrometheusRelabel);
      const port = typeof endpoint.port === 'string' ? endpoint.port : undefined;
      return {
        job_name: `${kind === 'PodMonitor' ? 'podMonitor' : 'serviceMonitor'}/${job}/${i}`,
        scrape_interval: interval,
        metrics_path: String(endpoint.path ?? '/metrics'),
        kubernetes_sd_configs: [
          { role: role === 'pod' ? 'pod' : 'endpointslice', namespaces: { names: namespacesOf(doc) } },
        ],
        relabel_configs: [
          ...selectorRelabels(obj(spec.selector), role),
          { action: 'drop', source_labels: ['__meta_kubernetes_pod_phase'], regex: '(Failed|Succeeded)' },
          ...(port
            ? [
                {
                  action: 'keep',
                  source_labels: [
                    role === 'pod'
                      ? '__meta_kubernetes_pod_container_port_name'
                      : '__meta_kubernetes_endpointslice_port_name',
                  ],
                  regex: port,
                },
              ]
            : []),
          ...(sidecar ? mergedMetricsStandIn : []),
          ...standardLabels(job, role),
          ...own,
        ],
      };
    });
  });
}

/** The PrometheusRules' groups as rule files, each group evaluated every `interval`. */
export function ruleFiles(docs: Json[], interval: string): Map<string, string> {
  return new Map(
    docs
      .filter((d) => d.kind === 'PrometheusRule')
      .map((d) => {
        const meta = obj(d.metadata);
        const groups = arr(obj(d.spec).groups).map((g) => ({ ...g, interval }));
        return [`${meta.namespace}__${meta.name}.yaml`, kubeYaml({ groups })] as const;
      }),
  );
}

export const prometheusName = 'e2e-prometheus';
export const prometheusPort = 9090;

/**
 * Prometheus in the monitoring namespace: its identity and the discovery rights it needs, its configuration
 * (scrape configs and rules from the set, everything every `interval` so the suite need not wait for
 * production's 30 s), and one pod running the pinned Prometheus as a non-root user.
 */
export function prometheusObjects(docs: Json[], interval = '5s'): Json[] {
  const namespace = platform.monitoringNamespace;
  const labels = { 'app.kubernetes.io/name': prometheusName };
  const metadata = (name: string, ns?: string) => ({
    name,
    ...(ns ? { namespace: ns } : {}),
    labels,
    annotations: e2eMarker,
  });
  const rules = ruleFiles(docs, interval);
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    rule_files: ['/etc/prometheus/*.rules.yaml'],
    scrape_configs: scrapeConfigs(docs, interval),
  };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: metadata(prometheusName, namespace) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: metadata(prometheusName),
      rules: [
        { apiGroups: [''], resources: ['pods', 'services', 'endpoints'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: metadata(prometheusName),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: prometheusName },
      subjects: [{ kind: 'ServiceAccount', name: prometheusName, namespace }],
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: metadata(prometheusName, namespace),
      data: {
        'prometheus.yml': kubeYaml(config),
        ...Object.fromEntries(
          [...rules].map(([file, text]) => [file.replace(/\.yaml$/, '.rules.yaml'), text]),
        ),
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: metadata(prometheusName, namespace),
      spec: {
        serviceAccountName: prometheusName,
        securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'prometheus',
            image: clusterImages.prometheus,
            imagePullPolicy: 'Never',
            args: [
              '--config.file=/etc/prometheus/prometheus.yml',
              '--storage.tsdb.path=/data',
              `--web.listen-address=:${prometheusPort}`,
            ],
            ports: [{ name: 'http', containerPort: prometheusPort }],
            readinessProbe: { httpGet: { path: '/-/ready', port: prometheusPort }, periodSeconds: 2 },
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ['ALL'] },
            },
            volumeMounts: [
              { name: 'config', mountPath: '/etc/prometheus' },
              { name: 'data', mountPath: '/data' },
            ],
          },
        ],
        volumes: [
          { name: 'config', configMap: { name: prometheusName } },
          { name: 'data', emptyDir: {} },
        ],
      },
    },
  ];
}
