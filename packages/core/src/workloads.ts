// Workloads (Deployment or StatefulSet) and the pod template they share. Every convention of the
// design's "Conventions" section that concerns pods lives here: restricted security context, probes on
// named ports, zero-downtime rollout, graceful drain, topology spread.
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { ITopologySpreadConstraint } from 'kubernetes-models/v1/TopologySpreadConstraint';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { ServiceSpec } from './catalog.ts';
import { configMapName } from './config-maps.ts';
import { secretName } from './external-secrets.ts';
import { selectorLabels, workloadLabels } from './labels.ts';
import { platform, secretEnvNames } from './platform.ts';
import { priorityClassName } from './scheduling.ts';

export const configVolume = 'config';
/** Extra time on top of preStop sleep + app shutdown before the kubelet sends SIGKILL. */
const terminationMarginSeconds = 5;

export function imageOf(spec: ServiceSpec, tag: string): string {
  return `${imageName(spec)}:${tag}`;
}

/** Image name without tag: what a Kustomize `images:` entry matches on. */
export function imageName(spec: ServiceSpec): string {
  return `${platform.imageRegistry}/${spec.imageRepository}`;
}

export function terminationGracePeriodSeconds(spec: ServiceSpec): number {
  return platform.preStopSleepSeconds + spec.shutdownSeconds + terminationMarginSeconds;
}

function container(spec: ServiceSpec, tag: string): IContainer {
  const httpGet = (path: string) => ({ path, port: spec.health.port });
  const env = [
    ...Object.entries(spec.env).map(([name, value]) => ({ name, value })),
    { name: 'LOG_LEVEL', value: 'info' },
    ...spec.secretKeys.map((key) => ({
      name: secretEnvNames[key],
      valueFrom: { secretKeyRef: { name: secretName(spec), key } },
    })),
  ].sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    name: spec.name,
    image: imageOf(spec, tag),
    imagePullPolicy: 'IfNotPresent',
    ports: spec.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: 'TCP' })),
    env,
    resources: {
      requests: { ...spec.resources.requests },
      limits: { ...spec.resources.limits },
    },
    ...(spec.startupSeconds
      ? {
          startupProbe: {
            httpGet: httpGet(spec.health.live),
            periodSeconds: 5,
            timeoutSeconds: 3,
            failureThreshold: Math.ceil(spec.startupSeconds / 5),
          },
        }
      : {}),
    livenessProbe: {
      httpGet: httpGet(spec.health.live),
      initialDelaySeconds: spec.startupSeconds ? 0 : 10,
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 3,
    },
    readinessProbe: {
      httpGet: httpGet(spec.health.ready),
      periodSeconds: 5,
      timeoutSeconds: 3,
      successThreshold: 1,
      failureThreshold: 3,
    },
    // Images carry no shell: the kubelet's built-in sleep keeps the pod serving while endpoints drain.
    lifecycle: { preStop: { sleep: { seconds: platform.preStopSleepSeconds } } },
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
    },
    volumeMounts: [
      { name: configVolume, mountPath: spec.configMountPath, readOnly: true },
      ...spec.scratch.map((v) => ({ name: v.name, mountPath: v.mountPath })),
      ...(spec.persistence
        ? [{ name: spec.persistence.claimName, mountPath: spec.persistence.mountPath }]
        : []),
    ],
  };
}

function volumes(spec: ServiceSpec): IVolume[] {
  return [
    { name: configVolume, configMap: { name: configMapName(spec) } },
    ...spec.scratch.map((v) => ({ name: v.name, emptyDir: { sizeLimit: v.sizeLimit } })),
  ];
}

export type ZoneSpread = 'ScheduleAnyway' | 'DoNotSchedule';

/**
 * Spread over zones and nodes. The base uses ScheduleAnyway everywhere so a single-zone dev cluster still
 * schedules; an environment may require zones. pod-template-hash keeps a rollout's new pods spreading
 * among themselves (Deployments only).
 */
export function topologySpread(
  spec: ServiceSpec,
  zone: ZoneSpread = 'ScheduleAnyway',
): ITopologySpreadConstraint[] {
  const matchLabelKeys = spec.kind === 'Deployment' ? { matchLabelKeys: ['pod-template-hash'] } : {};
  const constraint = (topologyKey: string, whenUnsatisfiable: ZoneSpread) => ({
    topologyKey,
    maxSkew: 1,
    whenUnsatisfiable,
    labelSelector: { matchLabels: selectorLabels(spec) },
    ...matchLabelKeys,
  });
  return [
    constraint('topology.kubernetes.io/zone', zone),
    constraint('kubernetes.io/hostname', 'ScheduleAnyway'),
  ];
}

export function podTemplate(spec: ServiceSpec, tag: string): IPodTemplateSpec {
  return {
    metadata: { labels: workloadLabels(spec, tag) },
    spec: {
      serviceAccountName: spec.name,
      automountServiceAccountToken: false,
      priorityClassName: priorityClassName(spec.priority),
      enableServiceLinks: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: platform.runAsUser,
        runAsGroup: platform.runAsUser,
        fsGroup: platform.runAsUser,
        fsGroupChangePolicy: 'OnRootMismatch',
        seccompProfile: { type: 'RuntimeDefault' },
      },
      terminationGracePeriodSeconds: terminationGracePeriodSeconds(spec),
      topologySpreadConstraints: topologySpread(spec),
      containers: [container(spec, tag)],
      volumes: volumes(spec),
    },
  };
}

export function buildWorkload(spec: ServiceSpec, tag: string): Deployment | StatefulSet {
  const metadata = { name: spec.name, namespace: platform.appNamespace, labels: workloadLabels(spec, tag) };
  // An HPA owns the replica count when there is one: leaving `replicas` out keeps GitOps from fighting it.
  const replicas = spec.autoscaling ? {} : { replicas: spec.replicas ?? 1 };
  const selector = { matchLabels: selectorLabels(spec) };
  if (spec.kind === 'StatefulSet') {
    const claim = spec.persistence;
    return new StatefulSet({
      metadata,
      spec: {
        ...replicas,
        serviceName: `${spec.name}-headless`,
        selector,
        minReadySeconds: platform.minReadySeconds,
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        revisionHistoryLimit: 5,
        template: podTemplate(spec, tag),
        ...(claim
          ? {
              volumeClaimTemplates: [
                {
                  metadata: { name: claim.claimName, labels: selectorLabels(spec) },
                  spec: {
                    accessModes: [...claim.accessModes],
                    resources: { requests: { storage: claim.size } },
                  },
                },
              ],
            }
          : {}),
      },
    });
  }
  return new Deployment({
    metadata,
    spec: {
      ...replicas,
      selector,
      minReadySeconds: platform.minReadySeconds,
      progressDeadlineSeconds: 600,
      revisionHistoryLimit: 5,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: podTemplate(spec, tag),
    },
  });
}
