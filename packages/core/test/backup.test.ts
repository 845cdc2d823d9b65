// Velero's configuration per environment, and the restore guide checked against it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupObjects, backupSchedules, ttl } from '../src/backup.ts';
import { serviceByName } from '../src/catalog.ts';
import { type EnvConfig, loadEnvConfig } from '../src/env-config.ts';
import { envConfigPath, environments } from '../src/environments.ts';
import { repoRoot } from '../src/generate.ts';
import { selectorLabels } from '../src/labels.ts';
import { platform } from '../src/platform.ts';

type Json = Record<string, any>;
const plain = (o: unknown) => JSON.parse(JSON.stringify(o)) as Json;
const load = (env: string): EnvConfig =>
  loadEnvConfig(envConfigPath(env, repoRoot), `overlays/${env}/env.json`, env);

describe.each(environments(repoRoot))('%s backups', (name) => {
  const env = load(name);
  const objects = backupObjects(env).map(plain);
  const schedules = objects.filter((o) => o.kind === 'Schedule');

  it('go to the environment bucket under its name, snapshots in its project and region', () => {
    const location = objects.find((o) => o.kind === 'BackupStorageLocation');
    expect(location?.spec).toMatchObject({
      default: true,
      provider: 'velero.io/gcp',
      objectStorage: { bucket: env.backup.bucket, prefix: name },
      config: { serviceAccount: env.backup.serviceAccount },
    });
    const snapshots = objects.find((o) => o.kind === 'VolumeSnapshotLocation');
    expect(snapshots?.spec.config).toEqual({
      project: env.cluster.project,
      snapshotLocation: env.cluster.region,
    });
    for (const o of objects) expect(o.metadata.namespace).toBe(platform.backup.namespace);
  });

  it('back up the app and data namespaces daily and device-manager hourly, with volumes and the env retention', () => {
    const daily = schedules.find((s) => s.metadata.name === 'neural-engine-daily');
    expect(daily?.spec.schedule).toBe('0 2 * * *');
    expect(daily?.spec.template.includedNamespaces).toEqual(['neural-engine', 'neural-data']);
    expect(daily?.spec.template.ttl).toBe(ttl(env.backup.retentionDays.daily));
    const hourly = schedules.find((s) => s.metadata.name === 'device-manager-hourly');
    expect(hourly?.spec.schedule).toBe('0 * * * *');
    expect(hourly?.spec.template.labelSelector.matchLabels).toEqual(
      selectorLabels(serviceByName('device-manager')),
    );
    expect(hourly?.spec.template.ttl).toBe(ttl(env.backup.retentionDays.hourly));
    for (const s of schedules) {
      expect(s.spec.template.snapshotVolumes).toBe(true);
      expect(s.spec.useOwnerReferencesInBackup).toBe(false);
    }
  });
});

describe('the restore guide (docs/backup-restore.md)', () => {
  const guide = readFileSync(join(repoRoot, 'docs', 'backup-restore.md'), 'utf8');
  const commands = [...guide.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => (m[1] ?? '').split('\n'));
  const names = new Set(backupSchedules().map((s) => s.name));

  it('names only schedules that exist', () => {
    const named = [
      ...commands.flatMap((c) => [...c.matchAll(/--from-schedule (\S+)/g)].map((m) => m[1])),
      ...commands.flatMap((c) => [...c.matchAll(/schedule-name=(\S+)/g)].map((m) => m[1])),
    ];
    expect(named.length).toBeGreaterThan(3);
    for (const n of named) expect(names, `${n}`).toContain(n);
  });

  it('restores from a schedule only namespaces that schedule backs up', () => {
    const restores = commands.filter((c) => c.startsWith('velero restore create'));
    expect(restores.length).toBeGreaterThan(2);
    for (const command of restores) {
      const schedule = backupSchedules().find((s) => command.includes(`--from-schedule ${s.name} `));
      expect(schedule, command).toBeDefined();
      const namespaces = /--include-namespaces (\S+)/.exec(command)?.[1]?.split(',') ?? [];
      const backedUp =
        schedule && 'namespaces' in schedule.scope ? schedule.scope.namespaces : [platform.appNamespace];
      for (const ns of namespaces) expect(backedUp, command).toContain(ns);
    }
  });
});
