// Typed environment configuration (overlays/<env>/env.json), checked with ajv against a JSON schema
// derived from the catalog: a service that autoscales takes HPA bounds, a fixed one takes replicas, and
// only GPU-capable services take a GPU switch. Errors name the file, the field path and the fix.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type SchemaObject } from 'ajv';
import type { AppSettings } from './app-settings.ts';
import { type ResourceSpec, type ServiceName, type ServiceSpec, services } from './catalog.ts';
import {
  hpaResources,
  updatableResources,
  type VpaUpdateMode,
  vpaUpdateModes,
} from './vertical-autoscaling.ts';

/** An environment's name is its folder under overlays/; see environments.ts. */
export type Environment = string;
export const environmentNamePattern = '^[a-z][a-z0-9-]{0,30}[a-z0-9]$';
export const logLevels = ['debug', 'info', 'warn', 'error'] as const;

export interface ServiceEnvConfig {
  tag: string;
  replicas?: number;
  autoscaling?: { minReplicas: number; maxReplicas: number };
  resources?: ResourceSpec;
  gpu?: boolean;
  /** What the service's VerticalPodAutoscaler may do; absent: `Off` (recommendations only). */
  vpa?: VpaUpdateMode;
}

export const clusterAutoscalerProviders = ['gce', 'aws', 'clusterapi'] as const;

/**
 * Who adds and removes nodes: GKE's managed autoscaler (nothing to deploy), or a cluster-autoscaler this
 * repository deploys for a cluster without one (cluster-autoscaler.ts).
 */
export type ClusterAutoscalerConfig =
  | { type: 'gke' }
  | {
      type: 'self-managed';
      /** The cluster-autoscaler release; its minor must be the cluster's Kubernetes minor. */
      version: string;
      cloudProvider: (typeof clusterAutoscalerProviders)[number];
      /** `--node-group-auto-discovery` values, e.g. `mig:namePrefix=neural-engine-,min=1,max=10`. */
      nodeGroupAutoDiscovery: string[];
      /** The priority expander's table: node groups (regular expressions) by priority, highest first tried. */
      expanderPriorities: { priority: number; nodeGroups: string[] }[];
    };

/** The cluster an environment runs on: its cloud project, location and name, and its node autoscaling. */
export interface ClusterConfig {
  project: string;
  region: string;
  name: string;
  autoscaler: ClusterAutoscalerConfig;
}

export const gatewayClasses = ['istio', 'traefik'] as const;
export const acmeIssuers = ['letsencrypt-staging', 'letsencrypt-production'] as const;

export type CertificatesConfig =
  | { issuer: 'self-signed' }
  | { issuer: (typeof acmeIssuers)[number]; email: string; dnsProject: string };

/** North-south traffic, the mesh and progressive delivery of an environment. */
export interface TrafficConfig {
  /** Hostnames the environment's Gateway serves over HTTPS (and redirects to from HTTP). */
  hosts: string[];
  /** The Gateway API implementation behind the Gateway. */
  gatewayClass: (typeof gatewayClasses)[number];
  /** Istio sidecars, STRICT mTLS and the service-graph authorization (adds the `mesh` component). */
  mesh: boolean;
  /** The api-gateway rolls out through a Flagger canary (adds the `canary-api-gateway` component). */
  canary: boolean;
  /** Who signs the Gateway's certificate: a self-signed issuer (dev only) or Let's Encrypt. */
  certificates: CertificatesConfig;
}

/** Where Loki keeps an environment's logs: the pod's own volume (one replica) or a GCS bucket. */
export type LogStorage =
  | { type: 'filesystem' }
  /** `serviceAccount`: the Google service account Loki acts as (Workload Identity), with access to the bucket. */
  | { type: 'gcs'; bucket: string; serviceAccount: string };

/** What the environment's monitoring keeps, and for how long. */
export interface ObservabilityConfig {
  logs: { retentionDays: number; storage: LogStorage };
}

/** Where Velero keeps an environment's backups and for how long. */
export interface BackupConfig {
  bucket: string;
  /** The Google service account Velero acts as (Workload Identity), with access to the bucket and disks. */
  serviceAccount: string;
  /** Days each schedule's backups are kept (backup.ts names the schedules). */
  retentionDays: { daily: number; hourly: number };
}

/** A team running its own workloads in the environment's cluster, in a namespace of its own (tenancy.ts). */
export interface TenantConfig {
  /** The namespace is `tenant-<name>`. */
  name: string;
  /** The team's group as the cluster's authentication names it (a Google group on GKE). */
  group: string;
  quota: { cpu: string; memory: string; storage: string; pods: number };
  /** Neural Engine services the tenant's pods may call (on their API port). */
  allowedServices: ServiceName[];
}

/** A managed data store's private address range (and port, where not the default). */
export interface ManagedStore {
  cidr: string;
  port?: number;
}

/** Where the data stores run: in the cluster (official images) or managed by the cloud (data-stores.ts). */
export type DataStoresConfig =
  | { mode: 'in-cluster' }
  | {
      mode: 'managed';
      postgresql: ManagedStore;
      redis: ManagedStore;
      kafka: ManagedStore & { bootstrapServers: string };
    };

export interface EnvConfig {
  environment: Environment;
  cluster: ClusterConfig;
  backup: BackupConfig;
  dataStores: DataStoresConfig;
  tenants: TenantConfig[];
  /** The scheduled chaos experiments (the `chaos` component); never in production. */
  chaos: boolean;
  /**
   * The monthly budget (the spec's cost table), and the spec's estimates for what the manifests do not
   * request (load balancers, the monitoring stack); the cost view adds what they do.
   */
  budget: { monthlyUsd: number; fixed: Record<string, number> };
  traffic: TrafficConfig;
  observability: ObservabilityConfig;
  logLevel: (typeof logLevels)[number];
  /** `required`: pods of one service must spread over zones (multi-zone clusters only). */
  zoneSpread: 'preferred' | 'required';
  app?: { [K in keyof AppSettings]?: Partial<AppSettings[K]> };
  services: Record<ServiceName, ServiceEnvConfig>;
}

export class EnvConfigError extends Error {
  readonly file: string;
  readonly problems: string[];

  constructor(file: string, problems: string[]) {
    super(`${file}: invalid environment config\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EnvConfigError';
    this.file = file;
    this.problems = problems;
  }
}

const quantity = (pattern: string, example: string) => ({
  type: 'string',
  pattern,
  description: `e.g. ${example}`,
});
const cpu = quantity('^[0-9]+(\\.[0-9]+)?m?$', '250m or 1');
const memory = quantity('^[0-9]+(Ki|Mi|Gi|Ti)$', '512Mi');
const bounded = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum });

const resourcesSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['requests', 'limits'],
  properties: {
    requests: {
      type: 'object',
      additionalProperties: false,
      required: ['cpu', 'memory'],
      properties: { cpu, memory },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      required: ['memory'],
      properties: { cpu, memory },
    },
  },
};

const hostname = {
  type: 'string',
  pattern: '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$',
  description: 'a fully qualified DNS name such as api.example.com (no wildcard, no port)',
};

const observabilitySchema = {
  type: 'object',
  description: 'what the monitoring keeps, and for how long',
  additionalProperties: false,
  required: ['logs'],
  properties: {
    logs: {
      type: 'object',
      additionalProperties: false,
      required: ['retentionDays', 'storage'],
      properties: {
        retentionDays: { ...bounded(1, 400), description: 'days Loki keeps the logs before deleting them' },
        storage: {
          type: 'object',
          description: "where Loki stores the logs: the pod's volume (one replica) or a GCS bucket",
          required: ['type'],
          oneOf: [
            { additionalProperties: false, properties: { type: { const: 'filesystem' } } },
            {
              additionalProperties: false,
              required: ['type', 'bucket', 'serviceAccount'],
              properties: {
                type: { const: 'gcs' },
                bucket: {
                  type: 'string',
                  pattern: '^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$',
                  description: 'a GCS bucket name in the environment project',
                },
                serviceAccount: {
                  type: 'string',
                  pattern:
                    '^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\\.iam\\.gserviceaccount\\.com$',
                  description: 'the Google service account Loki acts as through Workload Identity',
                },
              },
            },
          ],
        },
      },
    },
  },
};

const project = {
  type: 'string',
  pattern: '^[a-z][a-z0-9-]{4,28}[a-z0-9]$',
  description: 'a Google Cloud project ID such as neurascale-dev',
};

const clusterSchema = {
  type: 'object',
  description: 'the cluster the environment runs on and who scales its nodes',
  additionalProperties: false,
  required: ['project', 'region', 'name', 'autoscaler'],
  properties: {
    project: {
      ...project,
      description: "the cluster's Google Cloud project ID (secrets, identities, backups live there)",
    },
    region: {
      type: 'string',
      pattern: '^[a-z]+-[a-z]+[0-9]+$',
      description: 'a Google Cloud region such as europe-west4',
    },
    name: { type: 'string', pattern: '^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$', description: 'the cluster name' },
    autoscaler: {
      type: 'object',
      description: "GKE's managed node autoscaler, or a cluster-autoscaler deployed by this repository",
      required: ['type'],
      oneOf: [
        { additionalProperties: false, properties: { type: { const: 'gke' } } },
        {
          additionalProperties: false,
          required: ['type', 'version', 'cloudProvider', 'nodeGroupAutoDiscovery', 'expanderPriorities'],
          properties: {
            type: { const: 'self-managed' },
            version: {
              type: 'string',
              pattern: '^v1\\.[0-9]+\\.[0-9]+$',
              description: "a cluster-autoscaler release such as v1.33.0, of the cluster's Kubernetes minor",
            },
            cloudProvider: { enum: [...clusterAutoscalerProviders] },
            nodeGroupAutoDiscovery: {
              type: 'array',
              minItems: 1,
              uniqueItems: true,
              items: {
                type: 'string',
                pattern: '^[a-z]+:[^\\s]+$',
                description: 'an auto-discovery spec such as mig:namePrefix=neural-engine-,min=1,max=10',
              },
            },
            expanderPriorities: {
              type: 'array',
              minItems: 1,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['priority', 'nodeGroups'],
                properties: {
                  priority: bounded(1, 1000),
                  nodeGroups: {
                    type: 'array',
                    minItems: 1,
                    items: {
                      type: 'string',
                      minLength: 1,
                      description: 'a regular expression over node group names',
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  },
};

const googleServiceAccount = {
  type: 'string',
  pattern: '^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\\.iam\\.gserviceaccount\\.com$',
  description: 'a Google service account such as velero@neurascale-dev.iam.gserviceaccount.com',
};

const bucket = {
  type: 'string',
  pattern: '^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$',
  description: 'a GCS bucket name in the environment project',
};

const backupSchema = {
  type: 'object',
  description: 'where Velero keeps the backups and for how long',
  additionalProperties: false,
  required: ['bucket', 'serviceAccount', 'retentionDays'],
  properties: {
    bucket,
    serviceAccount: {
      ...googleServiceAccount,
      description: 'the Google service account Velero acts as through Workload Identity',
    },
    retentionDays: {
      type: 'object',
      additionalProperties: false,
      required: ['daily', 'hourly'],
      properties: {
        daily: {
          ...bounded(1, 400),
          description: 'days the daily backups of the app and data namespaces are kept',
        },
        hourly: {
          ...bounded(1, 30),
          description: "days the hourly backups of device-manager's data are kept",
        },
      },
    },
  },
};

const managedStore = (what: string) => ({
  type: 'object',
  additionalProperties: false,
  required: ['cidr'],
  properties: {
    cidr: {
      type: 'string',
      pattern: '^([0-9]{1,3}\\.){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])$',
      description: `the private address range of the ${what} (e.g. 10.20.0.0/24)`,
    },
    port: { ...bounded(1, 65535), description: `the ${what} port, where not the default` },
  },
});

const bootstrapServers = {
  type: 'string',
  pattern: '^[a-z0-9.-]+:[0-9]+(,[a-z0-9.-]+:[0-9]+)*$',
  description: 'host:port[,host:port]',
};

const dataStoresSchema = {
  type: 'object',
  description: 'where PostgreSQL, the Redis-compatible cache and Kafka run',
  required: ['mode'],
  oneOf: [
    { additionalProperties: false, properties: { mode: { const: 'in-cluster' } } },
    {
      additionalProperties: false,
      required: ['mode', 'postgresql', 'redis', 'kafka'],
      properties: {
        mode: { const: 'managed' },
        postgresql: managedStore('Cloud SQL instance'),
        redis: managedStore('Memorystore instance'),
        kafka: {
          ...managedStore('managed Kafka cluster'),
          required: ['cidr', 'bootstrapServers'],
          properties: { ...managedStore('managed Kafka cluster').properties, bootstrapServers },
        },
      },
    },
  ],
};

function tenantsSchema(catalog: readonly ServiceSpec[]) {
  return {
    type: 'array',
    description: 'teams with a namespace of their own beside the Neural Engine',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'group', 'quota', 'allowedServices'],
      properties: {
        name: {
          type: 'string',
          pattern: '^[a-z]([a-z0-9-]{0,44}[a-z0-9])?$',
          description: 'a DNS label such as research (the namespace is tenant-<name>)',
        },
        group: {
          type: 'string',
          pattern: '^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$',
          description: "the team's Google group, e.g. research@neurascale.com",
        },
        quota: {
          type: 'object',
          additionalProperties: false,
          required: ['cpu', 'memory', 'storage', 'pods'],
          properties: { cpu, memory, storage: memory, pods: bounded(1, 1000) },
        },
        allowedServices: {
          type: 'array',
          uniqueItems: true,
          items: { enum: catalog.map((s) => s.name) },
          description: 'Neural Engine services the tenant may call',
        },
      },
    },
  };
}

const trafficSchema = {
  type: 'object',
  description: 'north-south traffic, the mesh and progressive delivery',
  additionalProperties: false,
  required: ['hosts', 'gatewayClass', 'mesh', 'canary', 'certificates'],
  properties: {
    hosts: { type: 'array', minItems: 1, uniqueItems: true, items: hostname },
    gatewayClass: { enum: [...gatewayClasses], description: 'the Gateway API implementation' },
    mesh: {
      type: 'boolean',
      description: 'true: Istio sidecars, STRICT mTLS, authorization by service graph',
    },
    canary: { type: 'boolean', description: 'true: the api-gateway rolls out through a Flagger canary' },
    certificates: {
      type: 'object',
      description: 'the issuer of the Gateway certificate',
      required: ['issuer'],
      oneOf: [
        {
          additionalProperties: false,
          properties: { issuer: { const: 'self-signed' } },
        },
        {
          additionalProperties: false,
          required: ['issuer', 'email', 'dnsProject'],
          properties: {
            issuer: { enum: [...acmeIssuers] },
            email: {
              type: 'string',
              pattern: '^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$',
              description: 'an e-mail address',
            },
            dnsProject: {
              type: 'string',
              pattern: '^[a-z][a-z0-9-]{4,28}[a-z0-9]$',
              description: 'the Google Cloud project of the Cloud DNS zone (DNS-01 challenges)',
            },
          },
        },
      ],
    },
  },
};

function serviceSchema(spec: ServiceSpec): SchemaObject {
  const properties: Record<string, unknown> = {
    tag: {
      type: 'string',
      // A released version, never a moving tag such as `latest`.
      pattern: '^v?[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$',
      description: 'a release version such as 1.4.2',
    },
    resources: {
      ...resourcesSchema,
      description: `requests and limits that replace ${spec.name}'s defaults`,
    },
  };
  if (spec.autoscaling) {
    properties.autoscaling = {
      type: 'object',
      description: 'HorizontalPodAutoscaler bounds (the service autoscales, so it takes no replicas)',
      additionalProperties: false,
      required: ['minReplicas', 'maxReplicas'],
      properties: { minReplicas: bounded(1, 100), maxReplicas: bounded(1, 200) },
    };
  } else {
    properties.replicas = bounded(1, 50);
  }
  properties.vpa = {
    enum: [...vpaUpdateModes],
    description: `what ${spec.name}'s VerticalPodAutoscaler may do (absent: Off, recommendations only)`,
  };
  if (spec.gpuCapable) {
    properties.gpu = {
      type: 'boolean',
      description: 'true: run on a GPU node (adds the gpu-<service> component)',
    };
  }
  return {
    type: 'object',
    description: spec.description,
    additionalProperties: false,
    required: ['tag'],
    properties,
  };
}

export function envConfigSchema(catalog: readonly ServiceSpec[] = services): SchemaObject {
  return {
    title: 'NeuraScale environment config (overlays/<env>/env.json)',
    type: 'object',
    additionalProperties: false,
    required: [
      'environment',
      'cluster',
      'backup',
      'dataStores',
      'tenants',
      'chaos',
      'budget',
      'logLevel',
      'zoneSpread',
      'traffic',
      'observability',
      'services',
    ],
    properties: {
      $schema: { type: 'string', description: 'this schema, for editors: "../env.schema.json"' },
      environment: {
        type: 'string',
        pattern: environmentNamePattern,
        description: 'the name of the folder under overlays/ that holds this file',
      },
      cluster: clusterSchema,
      backup: backupSchema,
      dataStores: dataStoresSchema,
      tenants: tenantsSchema(catalog),
      budget: {
        type: 'object',
        description: 'the monthly budget and the estimates of what the manifests do not request',
        additionalProperties: false,
        required: ['monthlyUsd', 'fixed'],
        properties: {
          monthlyUsd: {
            type: 'number',
            minimum: 0,
            description: 'US dollars a month for the whole environment',
          },
          fixed: {
            type: 'object',
            description: 'US dollars a month per item outside the manifests, e.g. "Load balancers": 20',
            additionalProperties: { type: 'number', minimum: 0 },
          },
        },
      },
      chaos: {
        type: 'boolean',
        description: 'true: the scheduled chaos experiments run against the app tier (never in production)',
      },
      logLevel: { enum: [...logLevels], description: 'LOG_LEVEL of every service' },
      traffic: trafficSchema,
      observability: observabilitySchema,
      zoneSpread: {
        enum: ['preferred', 'required'],
        description: 'required: pods of one service must spread over zones (multi-zone clusters only)',
      },
      app: {
        type: 'object',
        description: 'application settings that differ from the defaults (application.yaml of every service)',
        additionalProperties: false,
        properties: {
          processing: {
            type: 'object',
            additionalProperties: false,
            properties: {
              bufferSize: bounded(256, 1_048_576),
              workerThreads: bounded(1, 64),
              batchSize: bounded(1, 4096),
            },
          },
          storage: {
            type: 'object',
            additionalProperties: false,
            properties: { type: { enum: ['gcs', 'filesystem'] }, retentionDays: bounded(1, 3650) },
          },
          kafka: {
            type: 'object',
            additionalProperties: false,
            properties: { bootstrapServers },
          },
        },
      },
      services: {
        type: 'object',
        description: 'one entry per catalogued service: image tag, scale, resources, GPU',
        additionalProperties: false,
        required: catalog.map((s) => s.name),
        properties: Object.fromEntries(catalog.map((s) => [s.name, serviceSchema(s)])),
      },
    },
  };
}

function describe(error: ErrorObject): string {
  const path = error.instancePath || '/';
  const schema = error.parentSchema as { description?: string } | undefined;
  switch (error.keyword) {
    case 'enum':
      return `${path}: must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'additionalProperties':
      return `${path}: unknown field "${error.params.additionalProperty}" (allowed: ${Object.keys(
        (error.parentSchema as { properties?: object }).properties ?? {},
      ).join(', ')})`;
    case 'required':
      return `${path}: missing required field "${error.params.missingProperty}"`;
    case 'pattern':
      return `${path}: ${JSON.stringify(error.data)} is not valid: expected ${schema?.description ?? `pattern ${error.params.pattern}`}`;
    default:
      return `${path}: ${error.message ?? 'is invalid'}${schema?.description ? ` (expected ${schema.description})` : ''}`;
  }
}

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false });
const validateSchema = ajv.compile<EnvConfig>(envConfigSchema());

/** Checks that JSON Schema cannot express: bounds that relate two fields. */
function crossFieldProblems(config: EnvConfig): string[] {
  const problems: string[] = [];
  if (config.traffic.canary && !config.traffic.mesh) {
    problems.push(
      "/traffic/canary: a canary needs the mesh (its analysis reads the sidecars' request metrics): set " +
        '/traffic/mesh to true or /traffic/canary to false',
    );
  }
  if (config.chaos && config.environment === 'production') {
    problems.push('/chaos: chaos experiments are for non-production environments only: set it to false');
  }
  const tenantNames = config.tenants.map((t) => t.name);
  tenantNames.forEach((name, i) => {
    if (tenantNames.indexOf(name) !== i) {
      problems.push(`/tenants/${i}/name: "${name}" is declared twice: each tenant needs a name of its own`);
    }
  });
  for (const [name, service] of Object.entries(config.services)) {
    const spec = services.find((s) => s.name === name);
    if (spec && service.vpa && service.vpa !== 'Off' && updatableResources(spec).length === 0) {
      problems.push(
        `/services/${name}/vpa: its HPA scales on ${hpaResources(spec).join(' and ')}, so a VPA that updates ` +
          'would fight it: set it to "Off" (recommendations only) or leave it out',
      );
    }
    const scaling = service.autoscaling;
    if (scaling && scaling.minReplicas > scaling.maxReplicas) {
      problems.push(
        `/services/${name}/autoscaling: minReplicas (${scaling.minReplicas}) must not exceed maxReplicas (${scaling.maxReplicas})`,
      );
    }
  }
  return problems;
}

export function parseEnvConfig(file: string, text: string, expected?: Environment): EnvConfig {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new EnvConfigError(file, [`not valid JSON: ${(error as Error).message}`]);
  }
  if (!validateSchema(data)) {
    throw new EnvConfigError(file, (validateSchema.errors ?? []).map(describe));
  }
  const problems = crossFieldProblems(data);
  if (expected && data.environment !== expected) {
    problems.push(`/environment: is "${data.environment}" but the file belongs to environment "${expected}"`);
  }
  if (problems.length > 0) throw new EnvConfigError(file, problems);
  return data;
}

/** Reads `path`; errors name the file as `displayName` (repository-relative). */
export function loadEnvConfig(path: string, displayName: string, expected?: Environment): EnvConfig {
  return parseEnvConfig(displayName, readFileSync(path, 'utf8'), expected);
}
