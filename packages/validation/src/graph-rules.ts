// Cross-resource rules over the manifest graph. Each rule is a small function from the graph to
// violations; ids, severities, reasons and fixes live in policies/rules.json.

import {
  arr,
  identityOf,
  isEmptySelector,
  type LabelSelector,
  type ManifestGraph,
  namespaceOf,
  obj,
  type PodTemplate,
  strings,
} from './graph.ts';
import type { Doc, Json } from './inputs.ts';

export interface Violation {
  doc: Doc;
  rule: string;
  field?: string;
  message: string;
}

type GraphRule = (g: ManifestGraph) => Violation[];

const spec = (doc: Doc): Json => obj(doc.object.spec);
const describe = (doc: Doc) =>
  `${doc.ref.kind} ${namespaceOf(doc) ? `${namespaceOf(doc)}/` : ''}${doc.ref.name}`;
const workloadKinds = ['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController', 'DaemonSet'];

const duplicateIdentity: GraphRule = (g) => {
  const seen = new Map<string, Doc>();
  return g.docs.flatMap((doc) => {
    const id = identityOf(doc);
    const first = seen.get(id);
    if (!first) {
      seen.set(id, doc);
      return [];
    }
    return [
      {
        doc,
        rule: 'duplicate-identity',
        message: `${id} is also defined in ${first.source}${first.line ? `:${first.line}` : ''}`,
      },
    ];
  });
};

const selectorMatchesNothing: GraphRule = (g) => {
  const checks: [string, (d: Doc) => LabelSelector | undefined, string][] = [
    [
      'Service',
      (d) =>
        spec(d).selector ? { matchLabels: obj(spec(d).selector) as Record<string, string> } : undefined,
      'spec.selector',
    ],
    ['PodDisruptionBudget', (d) => obj(spec(d).selector) as LabelSelector, 'spec.selector'],
    ['NetworkPolicy', (d) => obj(spec(d).podSelector) as LabelSelector, 'spec.podSelector'],
  ];
  return checks.flatMap(([kind, selectorOf, field]) =>
    g.ofKind(kind).flatMap((doc) => {
      const selector = selectorOf(doc);
      // No selector (Service without one, e.g. ExternalName) or an empty one (all pods) is intentional.
      if (!selector || isEmptySelector(selector)) return [];
      if (g.podsSelectedBy(namespaceOf(doc), selector).length > 0) return [];
      return [
        {
          doc,
          rule: 'selector-matches-nothing',
          field,
          message: `selects no pod template in namespace ${namespaceOf(doc)}`,
        },
      ];
    }),
  );
};

const serviceMonitorTargets: GraphRule = (g) =>
  g.ofKind('ServiceMonitor').flatMap((doc) => {
    const s = spec(doc);
    const nsSelector = obj(s.namespaceSelector);
    const namespaces =
      nsSelector.any === true
        ? undefined
        : strings(nsSelector.matchNames).length > 0
          ? strings(nsSelector.matchNames)
          : [namespaceOf(doc)];
    const selector = obj(s.selector) as LabelSelector;
    const services = g
      .ofKind('Service')
      .filter((svc) => !namespaces || namespaces.includes(namespaceOf(svc)))
      .filter((svc) => {
        const labels = obj(obj(svc.object.metadata).labels) as Record<string, string>;
        return Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
      });
    if (services.length === 0) {
      return [
        {
          doc,
          rule: 'servicemonitor-no-target',
          field: 'spec.selector',
          message: 'selects no Service in the set',
        },
      ];
    }
    const portNames = new Set(
      services.flatMap((svc) => arr(spec(svc).ports).map((p) => String(p.name ?? ''))),
    );
    return arr(s.endpoints).flatMap((endpoint, i) =>
      typeof endpoint.port === 'string' && !portNames.has(endpoint.port)
        ? [
            {
              doc,
              rule: 'servicemonitor-no-target',
              field: `spec.endpoints[${i}].port`,
              message: `no selected Service has a port named "${endpoint.port}"`,
            },
          ]
        : [],
    );
  });

function targetOf(doc: Doc): { kind: string; name: string; field: string } | undefined {
  const ref =
    doc.ref.kind === 'HorizontalPodAutoscaler' ? obj(spec(doc).scaleTargetRef) : obj(spec(doc).targetRef);
  if (typeof ref.kind !== 'string' || typeof ref.name !== 'string') return undefined;
  return {
    kind: ref.kind,
    name: ref.name,
    field: doc.ref.kind === 'HorizontalPodAutoscaler' ? 'spec.scaleTargetRef' : 'spec.targetRef',
  };
}

const scaleTargetMissing: GraphRule = (g) =>
  g.ofKind('HorizontalPodAutoscaler', 'VerticalPodAutoscaler').flatMap((doc) => {
    const target = targetOf(doc);
    if (!target || g.find(target.kind, namespaceOf(doc), target.name)) return [];
    return [
      {
        doc,
        rule: 'scale-target-missing',
        field: target.field,
        message: `targets ${target.kind} ${target.name}, which is not in the set`,
      },
    ];
  });

function autoscalerFor(g: ManifestGraph, workload: Doc): Doc | undefined {
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

/** The fewest replicas a workload runs with: the HPA's minimum when one scales it, else spec.replicas (default 1). */
function minimumReplicas(g: ManifestGraph, workload: Doc): number {
  const hpa = autoscalerFor(g, workload);
  if (hpa) return Number(spec(hpa).minReplicas ?? 1);
  return Number(spec(workload).replicas ?? 1);
}

const pdbBlocksEviction: GraphRule = (g) =>
  g.ofKind('PodDisruptionBudget').flatMap((doc) => {
    const minAvailable = spec(doc).minAvailable;
    if (minAvailable === undefined) return [];
    if (minAvailable === '100%') {
      return [
        {
          doc,
          rule: 'pdb-min-available-blocks',
          field: 'spec.minAvailable',
          message: 'minAvailable 100% never allows an eviction',
        },
      ];
    }
    if (typeof minAvailable !== 'number') return [];
    const selector = obj(spec(doc).selector) as LabelSelector;
    return g.podsSelectedBy(namespaceOf(doc), selector).flatMap((pod: PodTemplate) => {
      if (!workloadKinds.includes(pod.doc.ref.kind ?? '')) return [];
      const replicas = minimumReplicas(g, pod.doc);
      return minAvailable >= replicas
        ? [
            {
              doc,
              rule: 'pdb-min-available-blocks',
              field: 'spec.minAvailable',
              message: `minAvailable ${minAvailable} is at or above the ${replicas} replica(s) of ${describe(pod.doc)}: no eviction is ever allowed`,
            },
          ]
        : [];
    });
  });

function hpaResources(hpa: Doc): Set<string> {
  return new Set(
    arr(spec(hpa).metrics).flatMap((m) => {
      const resource = obj(m.resource ?? m.containerResource);
      return typeof resource.name === 'string' ? [resource.name] : [];
    }),
  );
}

const hpaVpaConflict: GraphRule = (g) =>
  g.ofKind('VerticalPodAutoscaler').flatMap((vpa) => {
    const mode = String(obj(spec(vpa).updatePolicy).updateMode ?? 'Auto');
    if (mode === 'Off') return [];
    const target = targetOf(vpa);
    if (!target) return [];
    const workload = g.find(target.kind, namespaceOf(vpa), target.name);
    const hpa = workload && autoscalerFor(g, workload);
    if (!hpa) return [];
    const policies = arr(obj(spec(vpa).resourcePolicy).containerPolicies);
    const vpaResources = new Set(
      policies.length === 0
        ? ['cpu', 'memory']
        : policies.flatMap((p) =>
            p.mode === 'Off'
              ? []
              : p.controlledResources
                ? strings(p.controlledResources)
                : ['cpu', 'memory'],
          ),
    );
    const shared = [...hpaResources(hpa)].filter((r) => vpaResources.has(r));
    return shared.length > 0
      ? [
          {
            doc: vpa,
            rule: 'hpa-vpa-conflict',
            field: 'spec.updatePolicy.updateMode',
            message: `updates ${shared.join(' and ')} of ${describe(workload)}, which ${describe(hpa)} also scales on`,
          },
        ]
      : [];
  });

interface Reference {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  field: string;
}

function podReferences(pod: PodTemplate): Reference[] {
  const refs: Reference[] = [];
  const at = pod.podPath;
  const add = (kind: Reference['kind'], source: Json, nameKey: string, field: string) => {
    if (source.optional === true || typeof source[nameKey] !== 'string') return;
    refs.push({ kind, name: String(source[nameKey]), field });
  };
  arr(pod.pod.volumes).forEach((v, i) => {
    if (v.configMap) add('ConfigMap', obj(v.configMap), 'name', `${at}.volumes[${i}].configMap.name`);
    if (v.secret) add('Secret', obj(v.secret), 'secretName', `${at}.volumes[${i}].secret.secretName`);
    arr(obj(v.projected).sources).forEach((s, j) => {
      if (s.configMap)
        add(
          'ConfigMap',
          obj(s.configMap),
          'name',
          `${at}.volumes[${i}].projected.sources[${j}].configMap.name`,
        );
      if (s.secret)
        add('Secret', obj(s.secret), 'name', `${at}.volumes[${i}].projected.sources[${j}].secret.name`);
    });
  });
  for (const [i, s] of arr(pod.pod.imagePullSecrets).entries()) {
    add('Secret', s, 'name', `${at}.imagePullSecrets[${i}].name`);
  }
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
    arr(pod.pod[key]).forEach((c, i) => {
      const base = `${at}.${key}[${i}]`;
      arr(c.envFrom).forEach((e, j) => {
        if (e.configMapRef)
          add('ConfigMap', obj(e.configMapRef), 'name', `${base}.envFrom[${j}].configMapRef.name`);
        if (e.secretRef) add('Secret', obj(e.secretRef), 'name', `${base}.envFrom[${j}].secretRef.name`);
      });
      arr(c.env).forEach((e, j) => {
        const from = obj(e.valueFrom);
        if (from.configMapKeyRef)
          add(
            'ConfigMap',
            obj(from.configMapKeyRef),
            'name',
            `${base}.env[${j}].valueFrom.configMapKeyRef.name`,
          );
        if (from.secretKeyRef)
          add('Secret', obj(from.secretKeyRef), 'name', `${base}.env[${j}].valueFrom.secretKeyRef.name`);
      });
    });
  }
  return refs;
}

/** Secrets that controllers in the set will create: ExternalSecret and SealedSecret targets. */
function producedSecrets(g: ManifestGraph): Set<string> {
  const produced = new Set<string>();
  for (const doc of g.ofKind('ExternalSecret')) {
    produced.add(`${namespaceOf(doc)}/${String(obj(spec(doc).target).name ?? doc.ref.name)}`);
  }
  for (const doc of g.ofKind('SealedSecret')) {
    produced.add(`${namespaceOf(doc)}/${String(obj(obj(spec(doc).template).metadata).name ?? doc.ref.name)}`);
  }
  return produced;
}

const configReferenceMissing: GraphRule = (g) => {
  const produced = producedSecrets(g);
  return g.podTemplates.flatMap((pod) =>
    podReferences(pod).flatMap((ref) => {
      if (g.find(ref.kind, pod.namespace, ref.name)) return [];
      if (ref.kind === 'Secret' && produced.has(`${pod.namespace}/${ref.name}`)) return [];
      return [
        {
          doc: pod.doc,
          rule: 'config-reference-missing',
          field: ref.field,
          message: `references ${ref.kind} ${ref.name}, which the set neither contains nor produces`,
        },
      ];
    }),
  );
};

const netpolNamespaceLabel: GraphRule = (g) => {
  const carried = new Set([
    'kubernetes.io/metadata.name',
    ...[...g.namespaces.values()].flatMap((l) => Object.keys(l)),
  ]);
  return g.ofKind('NetworkPolicy').flatMap((doc) => {
    const out: Violation[] = [];
    for (const direction of ['ingress', 'egress'] as const) {
      arr(spec(doc)[direction]).forEach((rule, i) => {
        arr(rule[direction === 'ingress' ? 'from' : 'to']).forEach((peer, j) => {
          const selector = obj(peer.namespaceSelector) as LabelSelector;
          const keys = [
            ...Object.keys(selector.matchLabels ?? {}),
            ...(selector.matchExpressions ?? []).map((e) => e.key),
          ];
          for (const key of keys.filter((k) => !carried.has(k))) {
            out.push({
              doc,
              rule: 'netpol-namespace-label',
              field: `spec.${direction}[${i}].${direction === 'ingress' ? 'from' : 'to'}[${j}].namespaceSelector`,
              message: `selects namespaces by label "${key}", which no Namespace in the set carries and Kubernetes does not set`,
            });
          }
        });
      });
    }
    return out;
  });
};

interface Grant {
  role: Doc;
  binding: Doc;
  rules: Json[];
}

/** Roles bound to the service account of some workload in the set. */
function grantsToWorkloads(g: ManifestGraph): { grant: Grant; pods: PodTemplate[] }[] {
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

const rbacWildcard: GraphRule = (g) =>
  grantsToWorkloads(g).flatMap(({ grant, pods }) =>
    grant.rules.flatMap((r, i) => {
      const wild = (['apiGroups', 'resources', 'verbs'] as const).filter((k) => strings(r[k]).includes('*'));
      return wild.length > 0
        ? [
            {
              doc: grant.role,
              rule: 'rbac-wildcard',
              field: `rules[${i}].${wild[0]}`,
              message: `grants "*" in ${wild.join(', ')} to the service account of ${describe(pods[0]?.doc as Doc)} (through ${describe(grant.binding)})`,
            },
          ]
        : [];
    }),
  );

const secretsReadable: GraphRule = (g) =>
  grantsToWorkloads(g).flatMap(({ grant, pods }) =>
    grant.rules.flatMap((r, i) => {
      const resources = strings(r.resources);
      const verbs = strings(r.verbs);
      const readsSecrets =
        (resources.includes('secrets') || resources.includes('*')) &&
        verbs.some((v) => ['get', 'list', 'watch', '*'].includes(v));
      return readsSecrets && (strings(r.apiGroups).includes('') || strings(r.apiGroups).includes('*'))
        ? [
            {
              doc: grant.role,
              rule: 'secrets-readable',
              field: `rules[${i}]`,
              message: `lets the service account of ${describe(pods[0]?.doc as Doc)} read Secrets`,
            },
          ]
        : [];
    }),
  );

const replicasWithHpa: GraphRule = (g) =>
  g.ofKind(...workloadKinds).flatMap((doc) =>
    spec(doc).replicas !== undefined && autoscalerFor(g, doc)
      ? [
          {
            doc,
            rule: 'replicas-with-hpa',
            field: 'spec.replicas',
            message: `sets replicas while ${describe(autoscalerFor(g, doc) as Doc)} manages them; every sync resets the HPA's choice`,
          },
        ]
      : [],
  );

export const graphRules: readonly GraphRule[] = [
  duplicateIdentity,
  selectorMatchesNothing,
  serviceMonitorTargets,
  scaleTargetMissing,
  pdbBlocksEviction,
  hpaVpaConflict,
  configReferenceMissing,
  netpolNamespaceLabel,
  rbacWildcard,
  secretsReadable,
  replicasWithHpa,
];

export function runGraphRules(g: ManifestGraph): Violation[] {
  return graphRules.flatMap((rule) => rule(g));
}
