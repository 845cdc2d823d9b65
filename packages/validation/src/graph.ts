// One in-memory graph of a rendered manifest set: objects by identity, pod templates with their labels
// and service accounts, namespaces with their labels, and label-selector matching. Every cross-resource
// rule reads this graph instead of re-deriving it.
import type { Doc, Json } from './inputs.ts';
import { podSpecPath } from './pod-security.ts';

export type Labels = Record<string, string>;

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Labels a controller adds to the pods it creates, by key: whether a value can be one of them. */
export type RuntimeLabels = Record<string, (value: string) => boolean>;

export interface PodTemplate {
  doc: Doc;
  namespace: string;
  labels: Labels;
  /** What the workload's controller adds at run time (template hash, pod name and index, job name). */
  runtimeLabels: RuntimeLabels;
  pod: Json;
  /** Path of the pod spec inside its object, dotted. */
  podPath: string;
  serviceAccount: string;
}

export const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
export const arr = (v: unknown): Json[] => (Array.isArray(v) ? v.map(obj) : []);
export const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

export const clusterScopedKinds: ReadonlySet<string> = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PriorityClass',
  'StorageClass',
  'PersistentVolume',
  'Node',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'RuntimeClass',
  'IngressClass',
  'GatewayClass',
  'ClusterIssuer',
  'ClusterSecretStore',
  'ClusterExternalSecret',
  'APIService',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'CSIDriver',
  'VolumeSnapshotClass',
]);

/** Namespace an object lives in; namespaced objects without one land in `default`, as kubectl does. */
export function namespaceOf(doc: Doc): string {
  if (doc.ref.kind && clusterScopedKinds.has(doc.ref.kind)) return '';
  return doc.ref.namespace ?? 'default';
}

export function groupOf(apiVersion: string | undefined): string {
  return apiVersion?.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
}

export function identityOf(doc: Doc): string {
  return [groupOf(doc.ref.apiVersion) || 'core', doc.ref.kind, namespaceOf(doc), doc.ref.name].join('/');
}

/** Whether pods with these labels (and, at run time, these controller-added ones) match the selector. */
export function selectorMatches(
  selector: LabelSelector,
  labels: Labels,
  runtime: RuntimeLabels = {},
): boolean {
  // Selectors come from user YAML: anything that is not the documented shape matches as nothing would.
  const can = (key: string, value: unknown) =>
    key in labels ? labels[key] === value : typeof value === 'string' && (runtime[key]?.(value) ?? false);
  for (const [k, v] of Object.entries(obj(selector.matchLabels))) if (!can(k, v)) return false;
  for (const raw of arr(selector.matchExpressions)) {
    const e = { key: String(raw.key), operator: raw.operator, values: strings(raw.values) };
    const has = e.key in labels || e.key in runtime;
    const values = e.values;
    if (e.operator === 'In' && !values.some((v) => can(e.key, v))) return false;
    // A controller's label takes values no list can rule out (hashes, names): NotIn may hold.
    if (e.operator === 'NotIn' && e.key in labels && values.includes(labels[e.key] as string)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

const any = () => true;
const ordinal = (v: string) => /^(0|[1-9]\d*)$/.test(v);

/**
 * The labels each controller puts on the pods it creates. Values a test cannot know (hashes, uids,
 * generations) match anything; a StatefulSet's pod names and indexes are its ordinals, below its replicas
 * unless an autoscaler may add more.
 */
function controllerLabels(doc: Doc, scaled: boolean): RuntimeLabels {
  const name = String(doc.ref.name);
  switch (doc.ref.kind) {
    case 'Deployment':
    case 'ReplicaSet':
      return { 'pod-template-hash': any };
    case 'StatefulSet': {
      const replicas = Number(obj(doc.object.spec).replicas ?? 1);
      // spec.ordinals.start moves the first ordinal (pods start-0 .. start+replicas-1).
      const start = Number(obj(obj(doc.object.spec).ordinals).start ?? 0);
      const below = (v: string) =>
        ordinal(v) && Number(v) >= start && (scaled || Number(v) < start + replicas);
      return {
        'statefulset.kubernetes.io/pod-name': (v) =>
          v.startsWith(`${name}-`) && below(v.slice(name.length + 1)),
        'apps.kubernetes.io/pod-index': below,
        'controller-revision-hash': any,
      };
    }
    case 'DaemonSet':
      return { 'controller-revision-hash': any, 'pod-template-generation': any };
    case 'Job':
      return {
        'job-name': (v) => v === name,
        'batch.kubernetes.io/job-name': (v) => v === name,
        'controller-uid': any,
        'batch.kubernetes.io/controller-uid': any,
        'batch.kubernetes.io/job-completion-index': ordinal,
      };
    case 'CronJob':
      // Its Jobs are named <cronjob>-<scheduled time>.
      return {
        'job-name': (v) => v.startsWith(`${name}-`),
        'batch.kubernetes.io/job-name': (v) => v.startsWith(`${name}-`),
        'controller-uid': any,
        'batch.kubernetes.io/controller-uid': any,
        'batch.kubernetes.io/job-completion-index': ordinal,
      };
    default:
      return {};
  }
}

/** A repository URL as Argo CD compares them: no trailing slash or `.git`, case-insensitive host. */
export function normalizeRepoURL(url: string): string {
  return url
    .trim()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .toLowerCase();
}

export function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(obj(selector.matchLabels)).length === 0 && arr(selector.matchExpressions).length === 0;
}

export class ManifestGraph {
  readonly docs: Doc[];
  /** What the cluster provides (a ClusterProvides declaration): found by references, never checked. */
  readonly provided: Doc[];
  readonly podTemplates: PodTemplate[];
  readonly namespaces = new Map<string, Labels>();

  /** Local checkouts of Git repositories, by URL, for references into them (Argo CD source paths). */
  readonly repositories: Record<string, string>;

  constructor(docs: Doc[], provided: Doc[] = [], repositories: Record<string, string> = {}) {
    this.docs = docs;
    this.provided = provided;
    this.repositories = Object.fromEntries(
      Object.entries(repositories).map(([u, d]) => [normalizeRepoURL(u), d]),
    );
    this.podTemplates = docs.flatMap((doc) => {
      const path = podSpecPath(doc.ref.kind);
      if (!path) return [];
      // The template's metadata sits beside its spec (the Pod's own metadata for a Pod).
      const metaPath = [...path.slice(0, -1), 'metadata'];
      const labels = obj(
        obj(metaPath.reduce<unknown>((node, key) => obj(node)[key], doc.object)).labels,
      ) as Labels;
      const pod = obj(path.reduce<unknown>((node, key) => obj(node)[key], doc.object));
      // An empty name means the namespace's default account, as the API server reads it.
      const named = [pod.serviceAccountName, pod.serviceAccount].find(
        (n) => typeof n === 'string' && n !== '',
      );
      const serviceAccount = typeof named === 'string' ? named : 'default';
      const scaled = docs.some(
        (h) =>
          h.ref.kind === 'HorizontalPodAutoscaler' &&
          namespaceOf(h) === namespaceOf(doc) &&
          targetOf(h)?.kind === doc.ref.kind &&
          targetOf(h)?.name === doc.ref.name,
      );
      return [
        {
          doc,
          namespace: namespaceOf(doc),
          labels,
          runtimeLabels: controllerLabels(doc, scaled),
          pod,
          podPath: path.join('.'),
          serviceAccount,
        },
      ];
    });
    for (const doc of [...provided, ...docs]) {
      if (doc.ref.kind === 'Namespace' && doc.ref.name) {
        this.namespaces.set(doc.ref.name, {
          'kubernetes.io/metadata.name': doc.ref.name,
          ...(obj(obj(doc.object.metadata).labels) as Labels),
        });
      }
    }
  }

  ofKind(...kinds: string[]): Doc[] {
    return this.docs.filter((d) => d.ref.kind !== undefined && kinds.includes(d.ref.kind));
  }

  /** The object of that identity in the set or, failing that, among what the cluster provides. */
  find(kind: string, namespace: string, name: string): Doc | undefined {
    const match = (d: Doc) => d.ref.kind === kind && d.ref.name === name && namespaceOf(d) === namespace;
    return this.docs.find(match) ?? this.provided.find(match);
  }

  isProvided(doc: Doc): boolean {
    return this.provided.includes(doc);
  }

  podsSelectedBy(namespace: string, selector: LabelSelector): PodTemplate[] {
    return this.podTemplates.filter(
      (p) => p.namespace === namespace && selectorMatches(selector, p.labels, p.runtimeLabels),
    );
  }

  /** Whether some pod selected in the namespace exists: a template of the set, or a Pod the cluster
   * provides (declared with its labels: one a controller creates at run time). */
  anyPodSelected(namespace: string, selector: LabelSelector): boolean {
    if (this.podsSelectedBy(namespace, selector).length > 0) return true;
    return this.provided.some(
      (d) =>
        d.ref.kind === 'Pod' &&
        namespaceOf(d) === namespace &&
        selectorMatches(selector, obj(obj(d.object.metadata).labels) as Labels),
    );
  }

  /** Workloads whose pods run as the given service account. */
  podsOfServiceAccount(namespace: string, name: string): PodTemplate[] {
    return this.podTemplates.filter((p) => p.namespace === namespace && p.serviceAccount === name);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Queries that several rules share.

export const spec = (doc: Doc): Json => obj(doc.object.spec);

/** `Kind namespace/name` (or `Kind name` for cluster-scoped objects), as messages name objects. */
export const describe = (doc: Doc): string =>
  `${doc.ref.kind} ${namespaceOf(doc) ? `${namespaceOf(doc)}/` : ''}${doc.ref.name}`;

/** Kinds that run replicas of one pod template. */
export const workloadKinds = [
  'Deployment',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
  'DaemonSet',
];
/** Every kind that carries a pod (template). */
export const podKinds = ['Pod', ...workloadKinds, 'Job', 'CronJob'];

/** The namespaces a prometheus-operator monitor watches: its namespaceSelector, else its own; undefined for any. */
export function monitoredNamespaces(doc: Doc): string[] | undefined {
  const selector = obj(spec(doc).namespaceSelector);
  if (selector.any === true) return undefined;
  const names = strings(selector.matchNames);
  return names.length > 0 ? names : [namespaceOf(doc)];
}

/** What an HPA (spec.scaleTargetRef) or a VPA (spec.targetRef) scales, and where it says so. */
export function targetOf(doc: Doc): { kind: string; name: string; field: string } | undefined {
  const ref =
    doc.ref.kind === 'HorizontalPodAutoscaler' ? obj(spec(doc).scaleTargetRef) : obj(spec(doc).targetRef);
  if (typeof ref.kind !== 'string' || typeof ref.name !== 'string') return undefined;
  return {
    kind: ref.kind,
    name: ref.name,
    field: doc.ref.kind === 'HorizontalPodAutoscaler' ? 'spec.scaleTargetRef' : 'spec.targetRef',
  };
}

/** The HorizontalPodAutoscaler that scales a workload, if the set has one. */
export function autoscalerFor(g: ManifestGraph, workload: Doc): Doc | undefined {
  return g.ofKind('HorizontalPodAutoscaler').find((h) => {
    const t = targetOf(h);
    return (
      t &&
      namespaceOf(h) === namespaceOf(workload) &&
      t.kind === workload.ref.kind &&
      t.name === workload.ref.name
    );
  });
}

export interface Grant {
  role: Doc;
  binding: Doc;
  rules: Json[];
}

/** Roles bound to the service account of some workload in the set. */
export function grantsToWorkloads(g: ManifestGraph): { grant: Grant; pods: PodTemplate[] }[] {
  return g.ofKind('RoleBinding', 'ClusterRoleBinding').flatMap((binding) => {
    const roleRef = obj(binding.object.roleRef);
    const role = g.find(
      String(roleRef.kind),
      roleRef.kind === 'ClusterRole' ? '' : namespaceOf(binding),
      String(roleRef.name),
    );
    if (!role) return [];
    const pods = arr(binding.object.subjects).flatMap((s) =>
      s.kind === 'ServiceAccount'
        ? g.podsOfServiceAccount(String(s.namespace ?? namespaceOf(binding)), String(s.name))
        : [],
    );
    return pods.length > 0 ? [{ grant: { role, binding, rules: arr(role.object.rules) }, pods }] : [];
  });
}

/**
 * The Service a mesh host names, as Istio resolves it: `name` in the object's namespace, or
 * `name.ns.svc.cluster.local`. Undefined for any other host (external, wildcard, one a ServiceEntry of the
 * set declares); `partialHost` reports the `name.ns` and `name.ns.svc` forms Istio does not expand.
 */
export function meshServiceOfHost(
  g: ManifestGraph,
  host: string,
  namespace: string,
): { name: string; namespace: string } | undefined {
  if (host.includes('*')) return undefined;
  if (g.ofKind('ServiceEntry').some((e) => strings(spec(e).hosts).includes(host))) return undefined;
  const parts = host.split('.');
  // Istio expands only a name without a dot (to the rule's namespace); anything else is taken as written.
  if (parts.length === 1) return { name: host, namespace };
  const [name = '', ns = '', ...rest] = parts;
  if (rest.join('.') === 'svc.cluster.local') return { name, namespace: ns };
  return undefined;
}
