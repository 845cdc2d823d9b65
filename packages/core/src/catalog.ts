// The service catalog: what each Neural Engine service is, as typed data. Builders iterate it; nothing
// about a particular service is hard-coded in a builder.

export type ServiceName =
  | 'neural-processor'
  | 'device-manager'
  | 'api-gateway'
  | 'websocket'
  | 'ml-pipeline'
  | 'mcp-server';

export type DataStoreName = 'postgresql' | 'redis' | 'kafka';
export type SecretKey = 'database-url' | 'redis-url' | 'jwt-secret';

export interface ContainerPortSpec {
  /** IANA-style port name; probes and Services refer to ports by this name. */
  name: string;
  containerPort: number;
  /** Port the Service exposes; defaults to containerPort. */
  servicePort?: number;
  appProtocol?: 'http' | 'grpc';
}

export interface ResourceSpec {
  requests: { cpu: string; memory: string };
  limits: { memory: string; cpu?: string };
}

export interface AutoscalingSpec {
  minReplicas: number;
  maxReplicas: number;
  cpuUtilization: number;
  memoryUtilization?: number;
  /**
   * Scale on a per-pod rate of one of the service's declared counters as well: the HPA asks the custom
   * metrics API for `<counter without _total>_per_second`, which prometheus-adapter serves from a recording
   * rule (observability/adapter.ts); `averageValue` is the rate one pod should carry.
   */
  podRate?: { counter: string; averageValue: number };
}

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** A Prometheus metric a service exposes: what every query, dashboard and autoscaler may refer to. */
export interface MetricSpec {
  name: string;
  type: MetricType;
  help: string;
  /** The labels the service puts on it (the scrape adds namespace, pod, service, component). */
  labels: string[];
  /** Histogram bucket upper bounds, in the metric's unit; a latency objective must name one of them. */
  buckets?: number[];
}

/**
 * A service-level objective: the share of events that must be good over the window. Availability counts
 * requests answered without a server error (`http_requests_total`); latency counts requests (or work units)
 * faster than a threshold of a declared histogram.
 */
export interface SloSpec {
  name: 'availability' | 'latency';
  description: string;
  objectivePercent: number;
  window: '28d' | '30d';
  sli: { kind: 'availability' } | { kind: 'latency'; histogram: string; thresholdSeconds: number };
}

/** Where a service serves its metrics, what it exposes there and what it promises. */
export interface TelemetrySpec {
  /** Name of the port serving `path`. */
  port: string;
  path: string;
  metrics: MetricSpec[];
  slos: SloSpec[];
}

export interface PersistenceSpec {
  claimName: string;
  mountPath: string;
  size: string;
  accessModes: ('ReadWriteOnce' | 'ReadWriteOncePod')[];
}

export interface ScratchVolumeSpec {
  name: string;
  mountPath: string;
  sizeLimit: string;
}

/**
 * Who yields first under node pressure (scheduling.ts): the real-time signal path outranks the interactive
 * APIs, which outrank batch work; the platform's own controllers outrank them all.
 */
export type PriorityTier = 'platform-critical' | 'realtime' | 'standard' | 'batch';

/** The range a VerticalPodAutoscaler may recommend (and, where an environment lets it, set) for the container. */
export interface VerticalBounds {
  minAllowed: { cpu: string; memory: string };
  maxAllowed: { cpu: string; memory: string };
}

export interface ServiceSpec {
  name: ServiceName;
  description: string;
  component: string;
  kind: 'Deployment' | 'StatefulSet';
  /** Image repository below the platform registry; the tag comes from each environment. */
  imageRepository: string;
  ports: ContainerPortSpec[];
  health: { live: string; ready: string; port: string };
  /** Seconds the process may need before its liveness endpoint answers; adds a startup probe. */
  startupSeconds?: number;
  /** Seconds the process needs to finish in-flight work after SIGTERM. */
  shutdownSeconds: number;
  /** Public path prefix served behind the gateway, written into the app config. */
  basePath?: string;
  env: Record<string, string>;
  configMountPath: string;
  secretKeys: SecretKey[];
  resources: ResourceSpec;
  /** Fixed replica count; mutually exclusive with autoscaling. */
  replicas?: number;
  autoscaling?: AutoscalingSpec;
  /** Bounds of the service's VerticalPodAutoscaler (recommendation-only unless an environment says otherwise). */
  vertical: VerticalBounds;
  priority: Exclude<PriorityTier, 'platform-critical'>;
  /**
   * Why the service calls Google Cloud APIs, if it does: its ServiceAccount then acts as the Google service
   * account `<name>@<project>` through Workload Identity (cloud-identity.ts). Absent: no cloud identity.
   */
  cloudAccess?: string;
  persistence?: PersistenceSpec;
  scratch: ScratchVolumeSpec[];
  /** The service can run on a GPU; each environment decides whether it does. */
  gpuCapable: boolean;
  /** Services this one calls, by name and port name. */
  calls: { service: ServiceName; port: string }[];
  dataStores: DataStoreName[];
  /** Reached from the ingress gateway namespace (north-south traffic). */
  public: boolean;
  /**
   * How the mesh treats a request to this service: the whole request's deadline (`0s`: none, for
   * streams) and how many times an idempotent failure (connect failure, reset, 503) is retried.
   */
  requests: { timeout: string; retries: number };
  telemetry: TelemetrySpec;
}

const defaultHealth = { live: '/health/live', ready: '/health/ready', port: 'http' } as const;

/** Request duration buckets, in seconds, that every HTTP service's histogram uses. */
const requestBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What every Neural Engine HTTP service exposes (the shared instrumentation library's metrics). */
const httpMetrics: MetricSpec[] = [
  {
    name: 'http_requests_total',
    type: 'counter',
    help: 'HTTP requests served, by method, route template and status code',
    labels: ['method', 'route', 'status'],
  },
  {
    name: 'http_request_duration_seconds',
    type: 'histogram',
    help: 'Time from request received to response written',
    labels: ['method', 'route'],
    buckets: requestBuckets,
  },
];

function availability(objectivePercent: number): SloSpec {
  return {
    name: 'availability',
    description: `${objectivePercent} % of requests are answered without a server error`,
    objectivePercent,
    window: '30d',
    sli: { kind: 'availability' },
  };
}

function httpTelemetry(port: string, slos: SloSpec[], extra: MetricSpec[] = []): TelemetrySpec {
  return { port, path: '/metrics', metrics: [...httpMetrics, ...extra], slos };
}
const tmp: ScratchVolumeSpec = { name: 'tmp', mountPath: '/tmp', sizeLimit: '256Mi' };

export const services: readonly ServiceSpec[] = [
  {
    name: 'neural-processor',
    description: 'Real-time neural signal processing',
    component: 'processor',
    kind: 'Deployment',
    imageRepository: 'neural-processor',
    ports: [
      { name: 'http', containerPort: 8080, servicePort: 80, appProtocol: 'http' },
      { name: 'grpc', containerPort: 50051, appProtocol: 'grpc' },
    ],
    health: defaultHealth,
    startupSeconds: 120,
    shutdownSeconds: 30,
    env: {},
    configMountPath: '/app/config',
    secretKeys: ['database-url', 'redis-url'],
    resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
    autoscaling: { minReplicas: 2, maxReplicas: 10, cpuUtilization: 70 },
    vertical: { minAllowed: { cpu: '250m', memory: '512Mi' }, maxAllowed: { cpu: '4', memory: '8Gi' } },
    priority: 'realtime',
    cloudAccess: "writes processed signal windows to the environment's GCS bucket",
    scratch: [tmp, { name: 'cache', mountPath: '/app/cache', sizeLimit: '1Gi' }],
    gpuCapable: true,
    calls: [],
    dataStores: ['postgresql', 'redis', 'kafka'],
    public: false,
    requests: { timeout: '10s', retries: 2 },
    telemetry: httpTelemetry(
      'http',
      [
        availability(99.9),
        {
          name: 'latency',
          description: '99 % of signal windows are processed within 100 ms',
          objectivePercent: 99,
          window: '30d',
          sli: { kind: 'latency', histogram: 'neural_processing_duration_seconds', thresholdSeconds: 0.1 },
        },
      ],
      [
        {
          name: 'neural_processing_duration_seconds',
          type: 'histogram',
          help: 'Time to process one window of neural signal, by pipeline stage',
          labels: ['stage'],
          buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
        },
      ],
    ),
  },
  {
    name: 'device-manager',
    description: 'BCI device discovery and session management',
    component: 'device-manager',
    kind: 'StatefulSet',
    imageRepository: 'device-manager',
    ports: [
      { name: 'http', containerPort: 8081, servicePort: 80, appProtocol: 'http' },
      { name: 'metrics', containerPort: 9090, appProtocol: 'http' },
    ],
    health: defaultHealth,
    shutdownSeconds: 20,
    env: { DEVICE_DISCOVERY_INTERVAL: '30s', MAX_DEVICES: '100' },
    configMountPath: '/app/config',
    secretKeys: ['database-url'],
    resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1000m', memory: '1Gi' } },
    replicas: 2,
    persistence: {
      claimName: 'device-data',
      mountPath: '/data',
      size: '10Gi',
      accessModes: ['ReadWriteOnce'],
    },
    vertical: { minAllowed: { cpu: '100m', memory: '256Mi' }, maxAllowed: { cpu: '2', memory: '2Gi' } },
    priority: 'realtime',
    scratch: [tmp],
    gpuCapable: false,
    calls: [],
    dataStores: ['postgresql', 'kafka'],
    public: false,
    requests: { timeout: '10s', retries: 2 },
    telemetry: httpTelemetry(
      'metrics',
      [availability(99.5)],
      [
        {
          name: 'devices_connected',
          type: 'gauge',
          help: 'BCI devices with an open session, by device type',
          labels: ['device_type'],
        },
      ],
    ),
  },
  {
    name: 'api-gateway',
    description: 'Public REST API',
    component: 'api',
    kind: 'Deployment',
    imageRepository: 'api-gateway',
    ports: [{ name: 'http', containerPort: 8080, servicePort: 80, appProtocol: 'http' }],
    health: defaultHealth,
    shutdownSeconds: 20,
    basePath: '/api/v2',
    env: {},
    configMountPath: '/app/config',
    secretKeys: ['database-url', 'redis-url', 'jwt-secret'],
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
    autoscaling: {
      minReplicas: 2,
      maxReplicas: 10,
      cpuUtilization: 70,
      memoryUtilization: 80,
      podRate: { counter: 'http_requests_total', averageValue: 1000 },
    },
    vertical: { minAllowed: { cpu: '100m', memory: '128Mi' }, maxAllowed: { cpu: '2', memory: '2Gi' } },
    priority: 'standard',
    scratch: [tmp],
    gpuCapable: false,
    calls: [
      { service: 'neural-processor', port: 'http' },
      { service: 'neural-processor', port: 'grpc' },
      { service: 'device-manager', port: 'http' },
      { service: 'ml-pipeline', port: 'http' },
    ],
    dataStores: ['postgresql', 'redis'],
    public: true,
    requests: { timeout: '15s', retries: 2 },
    telemetry: httpTelemetry('http', [
      availability(99.9),
      {
        name: 'latency',
        description: '99 % of API requests are answered within 500 ms',
        objectivePercent: 99,
        window: '30d',
        sli: { kind: 'latency', histogram: 'http_request_duration_seconds', thresholdSeconds: 0.5 },
      },
    ]),
  },
  {
    name: 'websocket',
    description: 'Streaming gateway for live neural data',
    component: 'stream-gateway',
    kind: 'Deployment',
    imageRepository: 'websocket',
    ports: [{ name: 'http', containerPort: 8080, servicePort: 80, appProtocol: 'http' }],
    health: defaultHealth,
    // Open streams get time to close cleanly and clients reconnect to another pod.
    shutdownSeconds: 45,
    basePath: '/ws',
    env: {},
    configMountPath: '/app/config',
    secretKeys: ['redis-url', 'jwt-secret'],
    resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '512Mi' } },
    autoscaling: { minReplicas: 2, maxReplicas: 8, cpuUtilization: 70 },
    vertical: { minAllowed: { cpu: '100m', memory: '128Mi' }, maxAllowed: { cpu: '2', memory: '2Gi' } },
    priority: 'realtime',
    scratch: [tmp],
    gpuCapable: false,
    calls: [{ service: 'neural-processor', port: 'grpc' }],
    dataStores: ['redis', 'kafka'],
    public: true,
    requests: { timeout: '0s', retries: 0 },
    telemetry: httpTelemetry(
      'http',
      [availability(99.5)],
      [
        {
          name: 'websocket_connections',
          type: 'gauge',
          help: 'Open client streams',
          labels: [],
        },
      ],
    ),
  },
  {
    name: 'ml-pipeline',
    description: 'Model training and batch inference',
    component: 'ml',
    kind: 'Deployment',
    imageRepository: 'ml-pipeline',
    ports: [{ name: 'http', containerPort: 8080, servicePort: 80, appProtocol: 'http' }],
    health: defaultHealth,
    startupSeconds: 300,
    shutdownSeconds: 60,
    env: {},
    configMountPath: '/app/config',
    secretKeys: ['database-url'],
    resources: { requests: { cpu: '1', memory: '4Gi' }, limits: { memory: '8Gi' } },
    replicas: 1,
    vertical: { minAllowed: { cpu: '500m', memory: '2Gi' }, maxAllowed: { cpu: '8', memory: '32Gi' } },
    priority: 'batch',
    cloudAccess: 'reads training data and writes model artifacts in GCS',
    scratch: [tmp, { name: 'models', mountPath: '/app/models', sizeLimit: '20Gi' }],
    gpuCapable: true,
    calls: [],
    dataStores: ['postgresql', 'kafka'],
    public: false,
    requests: { timeout: '60s', retries: 1 },
    telemetry: httpTelemetry('http', [availability(99)]),
  },
  {
    name: 'mcp-server',
    description: 'Model Context Protocol server for assistant integrations',
    component: 'mcp',
    kind: 'Deployment',
    imageRepository: 'mcp-server',
    ports: [{ name: 'http', containerPort: 8080, servicePort: 80, appProtocol: 'http' }],
    health: defaultHealth,
    shutdownSeconds: 20,
    basePath: '/mcp',
    env: {},
    configMountPath: '/app/config',
    secretKeys: ['jwt-secret'],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    replicas: 2,
    vertical: { minAllowed: { cpu: '50m', memory: '64Mi' }, maxAllowed: { cpu: '1', memory: '1Gi' } },
    priority: 'standard',
    scratch: [tmp],
    gpuCapable: false,
    calls: [{ service: 'api-gateway', port: 'http' }],
    dataStores: [],
    public: true,
    requests: { timeout: '30s', retries: 1 },
    telemetry: httpTelemetry('http', [availability(99.5)]),
  },
];

export function serviceByName(name: ServiceName): ServiceSpec {
  const spec = services.find((s) => s.name === name);
  if (!spec) throw new Error(`catalog: no service named "${name}"`);
  return spec;
}

/**
 * The service graph's edges into `spec`: each caller with the callee's container ports it calls, sorted.
 * The NetworkPolicies and the mesh's AuthorizationPolicies are both built from it.
 */
export function callersOf(spec: ServiceSpec, catalog: readonly ServiceSpec[]) {
  return catalog
    .map((caller) => ({
      caller,
      ports: [
        ...new Set(
          caller.calls.filter((c) => c.service === spec.name).map((c) => portOf(spec, c.port).containerPort),
        ),
      ].sort((a, b) => a - b),
    }))
    .filter(({ ports }) => ports.length > 0);
}

export function portOf(spec: ServiceSpec, portName: string) {
  const port = spec.ports.find((p) => p.name === portName);
  if (!port) throw new Error(`catalog: service "${spec.name}" has no port named "${portName}"`);
  return port;
}
