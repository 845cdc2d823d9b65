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
}

const defaultHealth = { live: '/health/live', ready: '/health/ready', port: 'http' } as const;
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
    scratch: [tmp, { name: 'cache', mountPath: '/app/cache', sizeLimit: '1Gi' }],
    gpuCapable: true,
    calls: [],
    dataStores: ['postgresql', 'redis', 'kafka'],
    public: false,
    requests: { timeout: '10s', retries: 2 },
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
    scratch: [tmp],
    gpuCapable: false,
    calls: [],
    dataStores: ['postgresql', 'kafka'],
    public: false,
    requests: { timeout: '10s', retries: 2 },
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
    autoscaling: { minReplicas: 2, maxReplicas: 10, cpuUtilization: 70, memoryUtilization: 80 },
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
    scratch: [tmp],
    gpuCapable: false,
    calls: [{ service: 'neural-processor', port: 'grpc' }],
    dataStores: ['redis', 'kafka'],
    public: true,
    requests: { timeout: '0s', retries: 0 },
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
    scratch: [tmp, { name: 'models', mountPath: '/app/models', sizeLimit: '20Gi' }],
    gpuCapable: true,
    calls: [],
    dataStores: ['postgresql', 'kafka'],
    public: false,
    requests: { timeout: '60s', retries: 1 },
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
    scratch: [tmp],
    gpuCapable: false,
    calls: [{ service: 'api-gateway', port: 'http' }],
    dataStores: [],
    public: true,
    requests: { timeout: '30s', retries: 1 },
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
