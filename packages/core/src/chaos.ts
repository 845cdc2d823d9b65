// Chaos experiments (the spec's, with Chaos Mesh instead of Litmus, whose CRDs cannot be fetched here):
// a CPU hog of one core for 60 s, 2000 ms of network latency for 60 s, and a pod kill, each on one pod of the
// app tier at a time, on a weekday schedule, in the `chaos` component that non-production environments list.
// Each carries its steady-state hypothesis: the alerts that must stay silent and the objective that must hold
// while it runs (annotations on the Schedule; a test proves each names a real alert and a real objective).
// A Chaos Mesh Schedule creates the experiment at each cron time; nothing runs when the object is applied.
import { Schedule } from '@neurascale/models/chaos-mesh';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { ServiceName, SloSpec } from './catalog.ts';
import { type KustomizeDir, kustomizeDir } from './kustomization.ts';
import { tierLabels } from './labels.ts';
import { platform } from './platform.ts';
import { ResourceSet } from './resource-set.ts';

export const chaosComponent = 'chaos';
const ns = platform.appNamespace;

/** What must stay true while an experiment runs. */
export interface SteadyState {
  /** Alerts that must not fire. */
  silentAlerts: string[];
  /** The objective that must hold (its burn-rate alerts stay silent). */
  slo: { service: ServiceName; objective: SloSpec['name'] };
}

export interface ChaosExperiment {
  name: string;
  description: string;
  /** Cron (UTC): working hours on weekdays, one experiment at a time, so people are there to watch. */
  cron: string;
  steadyState: SteadyState;
  chaos:
    | { type: 'StressChaos'; cpuWorkers: number; cpuLoadPercent: number; duration: string }
    | { type: 'NetworkChaos'; latency: string; duration: string }
    | { type: 'PodChaos'; action: 'pod-kill' };
}

const everyService = {
  silentAlerts: ['HighErrorRate', 'ErrorBudgetBurnFast', 'TargetDown', 'PodCrashLooping'],
};

export const chaosExperiments: readonly ChaosExperiment[] = [
  {
    name: 'cpu-hog',
    description: 'One core of CPU stress for 60 s in one pod of the app tier',
    cron: '0 10 * * 1-5',
    steadyState: { ...everyService, slo: { service: 'api-gateway', objective: 'latency' } },
    chaos: { type: 'StressChaos', cpuWorkers: 1, cpuLoadPercent: 100, duration: '60s' },
  },
  {
    name: 'network-latency',
    description: '2000 ms added to every packet one pod of the app tier sends, for 60 s',
    cron: '0 11 * * 1-5',
    steadyState: { ...everyService, slo: { service: 'api-gateway', objective: 'availability' } },
    chaos: { type: 'NetworkChaos', latency: '2000ms', duration: '60s' },
  },
  {
    name: 'pod-delete',
    description: 'One pod of the app tier killed',
    cron: '0 14 * * 1-5',
    steadyState: { ...everyService, slo: { service: 'neural-processor', objective: 'availability' } },
    chaos: { type: 'PodChaos', action: 'pod-kill' },
  },
];

/** One pod of the app tier, chosen at random at each run. */
const target = {
  mode: 'one' as const,
  selector: {
    namespaces: [ns],
    labelSelectors: { 'app.kubernetes.io/part-of': platform.partOf },
  },
};

function chaosSpec(experiment: ChaosExperiment): Record<string, unknown> {
  const c = experiment.chaos;
  switch (c.type) {
    case 'StressChaos':
      return {
        stressChaos: {
          ...target,
          duration: c.duration,
          stressors: { cpu: { workers: c.cpuWorkers, load: c.cpuLoadPercent } },
        },
      };
    case 'NetworkChaos':
      return {
        networkChaos: {
          ...target,
          action: 'delay',
          direction: 'to',
          device: 'eth0',
          duration: c.duration,
          delay: { latency: c.latency, jitter: '0ms', correlation: '0' },
        },
      };
    case 'PodChaos':
      return { podChaos: { ...target, action: c.action } };
  }
}

export const steadyStateAnnotations = {
  silentAlerts: 'chaos.neurascale.io/steady-state-silent-alerts',
  slo: 'chaos.neurascale.io/steady-state-slo',
  description: 'chaos.neurascale.io/description',
};

export function buildChaosSchedule(experiment: ChaosExperiment): Schedule {
  const { steadyState } = experiment;
  return new Schedule({
    metadata: {
      name: `chaos-${experiment.name}`,
      namespace: ns,
      labels: tierLabels('chaos'),
      annotations: {
        [steadyStateAnnotations.description]: experiment.description,
        [steadyStateAnnotations.silentAlerts]: steadyState.silentAlerts.join(','),
        [steadyStateAnnotations.slo]: `${steadyState.slo.service}/${steadyState.slo.objective}`,
      },
    },
    spec: {
      schedule: experiment.cron,
      type: experiment.chaos.type,
      // A run that is still going (or was missed by more than 5 minutes) is not doubled up.
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 300,
      historyLimit: 5,
      ...chaosSpec(experiment),
    } as Schedule['spec'],
  });
}

/** Who may start, watch and stop experiments by hand (a game day): the chaos kinds in the app namespace. */
function runnerAccess() {
  const name = 'chaos-runner';
  const labels = tierLabels('chaos');
  return [
    new ServiceAccount({ metadata: { name, namespace: ns, labels }, automountServiceAccountToken: false }),
    new Role({
      metadata: { name, namespace: ns, labels },
      rules: [
        {
          apiGroups: ['chaos-mesh.org'],
          resources: ['networkchaos', 'podchaos', 'schedules', 'stresschaos'],
          verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
        },
        { apiGroups: [''], resources: ['events', 'pods'], verbs: ['get', 'list', 'watch'] },
      ],
    }),
    new RoleBinding({
      metadata: { name, namespace: ns, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
    }),
  ];
}

export function buildChaosComponent(): KustomizeDir {
  return kustomizeDir({
    kind: 'Component',
    objects: new ResourceSet().add(...chaosExperiments.map(buildChaosSchedule), ...runnerAccess()).list(),
  });
}
