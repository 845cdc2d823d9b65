// Backups with Velero: where they go (a BackupStorageLocation on the environment's bucket, a
// VolumeSnapshotLocation for the disks), and when (Schedules): the app and data namespaces every day with
// their volumes snapshotted, and device-manager's session data every hour. Retention per environment.
// Velero itself (its chart, its identity) is installed by the platform; these are its configuration.
// Typed by models generated from the pinned Velero CRDs (@neurascale/models/velero).
import { BackupStorageLocation, Schedule, VolumeSnapshotLocation } from '@neurascale/models/velero';
import { type ServiceName, serviceByName } from './catalog.ts';
import type { EnvConfig } from './env-config.ts';
import { selectorLabels, tierLabels } from './labels.ts';
import { dataStoreNamespaces, platform } from './platform.ts';
import type { KubeObject } from './resource-set.ts';

export const backupFolder = 'backup';

/** How often a schedule runs and which retention of the environment's config it keeps its backups for. */
export interface BackupSchedule {
  name: string;
  /** Cron, in the cluster's time zone (UTC on GKE). */
  cron: string;
  /** Hours between runs: the alert on a missing backup allows one more hour than this. */
  intervalHours: number;
  retention: 'daily' | 'hourly';
  /** Whole namespaces, or one service's objects and volumes by its selector labels. */
  scope: { namespaces: string[] } | { service: ServiceName };
}

export function backupSchedules(): BackupSchedule[] {
  return [
    {
      name: 'neural-engine-daily',
      cron: '0 2 * * *',
      intervalHours: 24,
      retention: 'daily',
      scope: { namespaces: [platform.appNamespace, ...dataStoreNamespaces()] },
    },
    {
      // Recording sessions land on device-manager's volumes: an hour is the most a restore may lose.
      name: 'device-manager-hourly',
      cron: '0 * * * *',
      intervalHours: 1,
      retention: 'hourly',
      scope: { service: 'device-manager' },
    },
  ];
}

/** Velero's duration format for a number of days. */
export function ttl(days: number): string {
  return `${days * 24}h0m0s`;
}

const locationName = 'default';

function schedule(env: EnvConfig, s: BackupSchedule): Schedule {
  const scope =
    'namespaces' in s.scope
      ? { includedNamespaces: s.scope.namespaces }
      : {
          includedNamespaces: [platform.appNamespace],
          labelSelector: { matchLabels: selectorLabels(serviceByName(s.scope.service)) },
        };
  return new Schedule({
    metadata: { name: s.name, namespace: platform.backup.namespace, labels: tierLabels('backup') },
    spec: {
      schedule: s.cron,
      // Backups outlive the Schedule object: deleting it (or its Application) must not delete them.
      useOwnerReferencesInBackup: false,
      template: {
        ...scope,
        snapshotVolumes: true,
        storageLocation: locationName,
        volumeSnapshotLocations: [locationName],
        ttl: ttl(env.backup.retentionDays[s.retention]),
      },
    },
  });
}

export function backupObjects(env: EnvConfig): KubeObject[] {
  const { backup, cluster } = env;
  const metadata = (name: string) => ({
    name,
    namespace: platform.backup.namespace,
    labels: tierLabels('backup'),
  });
  return [
    new BackupStorageLocation({
      metadata: metadata(locationName),
      spec: {
        default: true,
        provider: platform.backup.provider,
        objectStorage: { bucket: backup.bucket, prefix: env.environment },
        // The GCP plugin signs download URLs as this Google service account (Workload Identity, no key).
        config: { serviceAccount: backup.serviceAccount },
      },
    }),
    new VolumeSnapshotLocation({
      metadata: metadata(locationName),
      spec: {
        provider: platform.backup.provider,
        config: { project: cluster.project, snapshotLocation: cluster.region },
      },
    }),
    ...backupSchedules().map((s) => schedule(env, s)),
  ];
}
