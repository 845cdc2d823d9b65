// The application settings that every service reads from /app/config/application.yaml. Defaults live
// here; each environment overrides what differs. Rendering is pure so a content change renames the
// generated ConfigMap (Kustomize hash suffix) and rolls the pods.
import { stringify } from 'yaml';
import { portOf, type ServiceSpec } from './catalog.ts';
import { platform } from './platform.ts';

export interface AppSettings {
  processing: { bufferSize: number; workerThreads: number; batchSize: number };
  storage: { type: 'gcs' | 'filesystem'; retentionDays: number };
  kafka: { bootstrapServers: string };
}

const kafka = platform.dataStores.kafka;

export const defaultAppSettings: AppSettings = {
  processing: { bufferSize: 4096, workerThreads: 4, batchSize: 32 },
  storage: { type: 'gcs', retentionDays: 30 },
  kafka: { bootstrapServers: `${kafka.service}.${kafka.namespace}.svc:${kafka.port}` },
};

/** Consumer group of an environment; the base (no environment) uses the bare prefix. */
export function consumerGroup(environment?: string): string {
  return environment ? `${platform.partOf}-${environment}` : platform.partOf;
}

export function renderApplicationYaml(
  spec: ServiceSpec,
  settings: AppSettings,
  environment?: string,
): string {
  const metrics = spec.ports.find((p) => p.name === 'metrics') ?? portOf(spec, spec.health.port);
  const document = {
    server: {
      port: portOf(spec, spec.health.port).containerPort,
      metrics_port: metrics.containerPort,
      ...(spec.ports.some((p) => p.name === 'grpc') ? { grpc_port: portOf(spec, 'grpc').containerPort } : {}),
      ...(spec.basePath ? { base_path: spec.basePath } : {}),
    },
    neural: {
      processing: {
        buffer_size: settings.processing.bufferSize,
        worker_threads: settings.processing.workerThreads,
        batch_size: settings.processing.batchSize,
      },
    },
    storage: { type: settings.storage.type, retention_days: settings.storage.retentionDays },
    kafka: { bootstrap_servers: settings.kafka.bootstrapServers, consumer_group: consumerGroup(environment) },
  };
  return stringify(document, { sortMapEntries: true, lineWidth: 0 });
}
