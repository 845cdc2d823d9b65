// Server-side validation: a rendered manifest set applied with server-side dry-run to a real, throw-away
// kube-apiserver (tools/src/controlplane.ts). Catches what schemas and policies cannot: admission
// (Pod Security as the cluster enforces it), defaulting, immutable fields, CEL rules in CRDs. Also checks
// what each workload service account may do against what the set's RBAC intends.
import { loadCrdSource, readToolVersions } from '@neurascale/toolchain';
import type { ControlPlane, KubectlResult } from '@neurascale/toolchain/controlplane';
import { finding } from './engine.ts';
import type { Finding } from './findings.ts';
import { arr, groupOf, ManifestGraph, namespaceOf, obj, strings } from './graph.ts';
import type { Doc, Json } from './inputs.ts';

/** Kinds applied for real (not dry-run): what later objects and the RBAC checks need to exist. */
const foundationKinds = new Set([
  'Namespace',
  'ServiceAccount',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
]);
const fieldManager = 'neurascale-validate';

/** Runs up to `limit` tasks at once, keeping results in input order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

function failed(what: string, result: KubectlResult): Error {
  return new Error(`${what} failed (exit ${result.code}):\n${result.stderr.trim() || result.stdout.trim()}`);
}

/** The CRDs (from the same pinned sources as the schemas) that define the custom kinds of the set. */
export function crdsFor(docs: Doc[]): Json[] {
  const wanted = new Set(docs.map((d) => `${groupOf(d.ref.apiVersion)}/${d.ref.kind}`));
  const crds = readToolVersions().crds.flatMap((pin) => loadCrdSource(pin).map((l) => l.crd as Json));
  return crds.filter((crd) => {
    const spec = obj(crd.spec);
    return wanted.has(`${String(spec.group)}/${String(obj(spec.names).kind)}`);
  });
}

async function applyForReal(cp: ControlPlane, objects: Json[], what: string): Promise<void> {
  if (objects.length === 0) return;
  const input = objects.map((o) => JSON.stringify(o)).join('\n---\n');
  const result = await cp.kubectl(['apply', '--server-side', `--field-manager=${fieldManager}`, '-f', '-'], {
    input,
  });
  if (result.code !== 0) throw failed(`applying ${what}`, result);
}

/**
 * The names of the CRDs in a `kubectl get crd -o json` answer (one object or a List) whose Established
 * condition is True. A CRD whose status the server has not written yet (no status, no conditions) is simply
 * not established yet: waiting must not race that first status write.
 */
export function establishedCrds(answer: unknown): Set<string> {
  const data = obj(answer);
  const items = data.kind === 'List' ? arr(data.items) : [data];
  return new Set(
    items
      .filter((crd) =>
        arr(obj(crd.status).conditions).some((c) => c.type === 'Established' && c.status === 'True'),
      )
      .map((crd) => String(obj(crd.metadata).name)),
  );
}

/** The `resource.group` names that discovery serves, from `kubectl api-resources -o name`. */
export function servedResources(stdout: string): Set<string> {
  return new Set(
    stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
}

const pollMs = 200;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `remaining` (what is not ready yet) until it is empty; past the deadline, names what is missing. */
async function pollUntil(state: string, deadline: number, remaining: () => Promise<string[]>): Promise<void> {
  for (;;) {
    const left = await remaining();
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`CustomResourceDefinitions not ${state} in time: ${left.join(', ')}`);
    }
    await sleep(pollMs);
  }
}

/**
 * Waits until every CRD is Established and then served by discovery, by polling both. A condition the
 * server has not written yet reads as "not yet", so the wait cannot race the CRD's first status write the
 * way `kubectl wait --for=condition=Established` did.
 */
export async function waitUntilServed(cp: ControlPlane, crds: Json[], timeoutMs = 60_000): Promise<void> {
  if (crds.length === 0) return;
  const names = crds.map((crd) => String(obj(crd.metadata).name)).sort();
  const deadline = Date.now() + timeoutMs;
  await pollUntil('Established', deadline, async () => {
    const answer = await cp.kubectl(['get', 'crd', ...names, '-o', 'json']);
    if (answer.code !== 0) return names;
    const established = establishedCrds(JSON.parse(answer.stdout));
    return names.filter((name) => !established.has(name));
  });
  // A CRD named <plural>.<group> is served as the resource <plural>.<group>.
  await pollUntil('served by discovery', deadline, async () => {
    const answer = await cp.kubectl(['api-resources', '-o', 'name']);
    if (answer.code !== 0) return names;
    const served = servedResources(answer.stdout);
    return names.filter((name) => !served.has(name));
  });
}

/** Installs CRDs, namespaces (those of the set with their labels, and any other one referenced) and RBAC. */
export async function prepare(cp: ControlPlane, docs: Doc[]): Promise<void> {
  const crds = crdsFor(docs);
  await applyForReal(cp, crds, 'CustomResourceDefinitions');
  await waitUntilServed(cp, crds);
  const declared = new Set(docs.filter((d) => d.ref.kind === 'Namespace').map((d) => d.ref.name));
  const referenced = [
    ...new Set(docs.map(namespaceOf).filter((ns) => ns && ns !== 'default' && !declared.has(ns))),
  ];
  await applyForReal(
    cp,
    [
      ...docs.filter((d) => d.ref.kind === 'Namespace').map((d) => d.object),
      ...referenced.sort().map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
    ],
    'namespaces',
  );
  // A cluster's controller manager creates each namespace's `default` ServiceAccount, which the
  // ServiceAccount admission plugin requires of pods; this control plane runs no controllers.
  const namespaces = [...declared, ...referenced].filter((ns): ns is string => Boolean(ns)).sort();
  await applyForReal(
    cp,
    namespaces.map((namespace) => ({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace },
    })),
    'default service accounts',
  );
  await applyForReal(
    cp,
    docs
      .filter((d) => d.ref.kind !== 'Namespace' && foundationKinds.has(d.ref.kind ?? ''))
      .map((d) => d.object),
    'service accounts and RBAC',
  );
}

/** `Error from server (Forbidden): error when creating "STDIN": pods "x" is forbidden: …` → the reason. */
export function serverMessage(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Warning: '));
  const text = lines.join(' ').trim();
  return (
    text.replace(/^Error from server \(([A-Za-z]+)\): (error when [a-z]+ "[^"]*": )?/, '$1: ') || 'rejected'
  );
}

export function serverWarnings(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('Warning: '))
    .map((l) => l.slice('Warning: '.length).trim());
}

/** Server-side dry-run of every object; rejections and admission warnings become findings. */
export async function dryRun(cp: ControlPlane, docs: Doc[]): Promise<Finding[]> {
  const results = await mapLimit(docs, 4, (doc) =>
    cp.kubectl(
      [
        'apply',
        '--server-side',
        '--force-conflicts',
        '--dry-run=server',
        `--field-manager=${fieldManager}`,
        '-f',
        '-',
      ],
      {
        input: JSON.stringify(doc.object),
      },
    ),
  );
  return docs.flatMap((doc, i) => {
    const result = results[i] as KubectlResult;
    const warnings = serverWarnings(result.stderr).map((w) => finding(doc, 'server-warning', w));
    return result.code === 0
      ? warnings
      : [finding(doc, 'server-rejected', serverMessage(result.stderr)), ...warnings];
  });
}

export interface AccessCheck {
  verb: string;
  resource: string;
  subresource?: string;
  /** Cluster scope (no namespace). */
  cluster?: boolean;
}

/** What every workload service account is probed for: the access an attacker in a pod wants first. */
export const accessChecks: readonly AccessCheck[] = [
  { verb: 'get', resource: 'secrets' },
  { verb: 'list', resource: 'secrets' },
  { verb: 'get', resource: 'configmaps' },
  { verb: 'list', resource: 'pods' },
  { verb: 'create', resource: 'pods', subresource: 'exec' },
  { verb: 'create', resource: 'deployments' },
  { verb: 'list', resource: 'namespaces', cluster: true },
  { verb: 'list', resource: 'nodes', cluster: true },
  { verb: 'create', resource: 'clusterrolebindings', cluster: true },
];

function ruleAllows(rule: Json, check: AccessCheck): boolean {
  const resource = check.subresource ? `${check.resource}/${check.subresource}` : check.resource;
  const has = (key: string, value: string) => strings(rule[key]).some((v) => v === '*' || v === value);
  // The probed resources are each in one API group; the rule must name it (or *).
  const group = ['deployments'].includes(check.resource)
    ? 'apps'
    : ['clusterrolebindings'].includes(check.resource)
      ? 'rbac.authorization.k8s.io'
      : '';
  // A rule limited to named objects does not answer for any object (the probes name none).
  if (strings(rule.resourceNames).length > 0) return false;
  return has('verbs', check.verb) && has('resources', resource) && has('apiGroups', group);
}

/** Whom the access matrix asks about: a workload's service account, or a group the set binds roles to. */
export type Subject =
  | { kind: 'ServiceAccount'; namespace: string; name: string }
  | { kind: 'Group'; name: string };

function names(subject: Subject, raw: Json, bindingNamespace: string): boolean {
  if (subject.kind === 'Group') return raw.kind === 'Group' && raw.name === subject.name;
  return (
    raw.kind === 'ServiceAccount' &&
    raw.name === subject.name &&
    (raw.namespace ?? bindingNamespace) === subject.namespace
  );
}

/**
 * What the set's own RBAC intends a subject to be able to do in `namespace` (bindings to roles in the set);
 * a check with `cluster` asks at cluster scope.
 */
export function intendedAccess(
  graph: ManifestGraph,
  subject: Subject,
  namespace: string,
  check: AccessCheck,
): boolean {
  return graph.ofKind('RoleBinding', 'ClusterRoleBinding').some((binding) => {
    if (!arr(binding.object.subjects).some((s) => names(subject, s, namespaceOf(binding)))) return false;
    // A RoleBinding grants only in its namespace, even for a ClusterRole.
    if (binding.ref.kind === 'RoleBinding' && (check.cluster || namespaceOf(binding) !== namespace))
      return false;
    const roleRef = obj(binding.object.roleRef);
    const role = graph.find(
      String(roleRef.kind),
      roleRef.kind === 'ClusterRole' ? '' : namespaceOf(binding),
      String(roleRef.name),
    );
    return arr(role?.object.rules).some((r) => ruleAllows(r, check));
  });
}

export interface AccessRow {
  /** `namespace/account` for a service account, `group <name> in <namespace>` for a group. */
  account: string;
  check: AccessCheck;
  intended: boolean;
  actual: boolean;
}

/**
 * A user no binding names, impersonated with a group: what it can do is what the group can, plus what every
 * authenticated user can (the API server adds system:authenticated to an impersonated user).
 */
const groupProbeUser = 'neurascale:group-probe';

interface Probe {
  subject: Subject;
  /** Where namespaced checks are asked. */
  namespace: string;
  account: string;
  doc: Doc;
  checks: readonly AccessCheck[];
}

/**
 * Asks the server (kubectl auth can-i) about every workload's service account in its namespace, and about
 * every group the set binds roles to in every namespace of the set (so a tenant's group is shown to reach
 * nothing in another tenant's namespace), and compares each answer with what the set's RBAC intends.
 */
export async function accessMatrix(
  cp: ControlPlane,
  docs: Doc[],
): Promise<{ rows: AccessRow[]; findings: Finding[] }> {
  const graph = new ManifestGraph(docs);
  const accounts = [
    ...new Map(graph.podTemplates.map((p) => [`${p.namespace}/${p.serviceAccount}`, p])).values(),
  ];
  const probes: Probe[] = accounts.map((pod) => ({
    subject: { kind: 'ServiceAccount', namespace: pod.namespace, name: pod.serviceAccount },
    namespace: pod.namespace,
    account: `${pod.namespace}/${pod.serviceAccount}`,
    doc: pod.doc,
    checks: accessChecks,
  }));
  // Each group, the first binding that names it (where findings point), and the namespaces it is bound in.
  const groups = new Map<string, { binding: Doc; namespaces: Set<string> }>();
  for (const binding of graph.ofKind('RoleBinding', 'ClusterRoleBinding')) {
    for (const s of arr(binding.object.subjects)) {
      if (s.kind !== 'Group' || typeof s.name !== 'string') continue;
      const entry = groups.get(s.name) ?? { binding, namespaces: new Set<string>() };
      if (binding.ref.kind === 'RoleBinding') entry.namespaces.add(namespaceOf(binding));
      groups.set(s.name, entry);
    }
  }
  const namespaces = [...new Set(graph.ofKind('Namespace').map((n) => String(n.ref.name)))];
  for (const [group, { binding, namespaces: bound }] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const where = [...new Set([...namespaces, ...bound])].sort();
    where.forEach((namespace, i) => {
      probes.push({
        subject: { kind: 'Group', name: group },
        namespace,
        account: `group ${group} in ${namespace}`,
        doc: binding,
        // Cluster-scoped checks once per group.
        checks: accessChecks.filter((c) => !c.cluster || i === 0),
      });
    });
  }
  const pairs = probes.flatMap((probe) => probe.checks.map((check) => ({ probe, check })));
  const answers = await mapLimit(pairs, 4, ({ probe, check }) =>
    cp.kubectl([
      'auth',
      'can-i',
      check.verb,
      check.resource,
      ...(check.subresource ? [`--subresource=${check.subresource}`] : []),
      ...(check.cluster ? [] : ['-n', probe.namespace]),
      ...(probe.subject.kind === 'ServiceAccount'
        ? [`--as=system:serviceaccount:${probe.subject.namespace}:${probe.subject.name}`]
        : [`--as=${groupProbeUser}`, `--as-group=${probe.subject.name}`]),
    ]),
  );
  const rows: AccessRow[] = [];
  const findings: Finding[] = [];
  pairs.forEach(({ probe, check }, i) => {
    const answer = answers[i] as KubectlResult;
    if (answer.code > 1) throw failed('kubectl auth can-i', answer);
    const actual = answer.stdout.trim() === 'yes';
    const intended = intendedAccess(graph, probe.subject, probe.namespace, check);
    rows.push({ account: probe.account, check, intended, actual });
    if (actual !== intended) {
      const what = `${check.verb} ${check.resource}${check.subresource ? `/${check.subresource}` : ''}${check.cluster ? ' (cluster)' : ''}`;
      const who =
        probe.subject.kind === 'ServiceAccount'
          ? `service account ${probe.account}`
          : `group ${probe.subject.name}${check.cluster ? '' : ` in namespace ${probe.namespace}`}`;
      findings.push(
        finding(
          probe.doc,
          'rbac-unexpected',
          `${who} ${actual ? 'can' : 'cannot'} ${what}, but the set's RBAC ${intended ? 'grants' : 'does not grant'} it`,
        ),
      );
    }
  });
  return { rows, findings };
}

export function formatAccessMatrix(rows: AccessRow[]): string {
  const checks = accessChecks.map(
    (c) => `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''}`,
  );
  const accounts = [...new Set(rows.map((r) => r.account))];
  const width = Math.max(...accounts.map((a) => a.length), 'subject'.length);
  const lines = [`${'subject'.padEnd(width)}  ${checks.join(' | ')}`];
  for (const account of accounts) {
    const cells = accessChecks.map((c, i) => {
      const row = rows.find((r) => r.account === account && r.check === c);
      // A group is asked cluster-scoped questions once, in its first row.
      const mark = row ? (row.actual ? 'yes' : 'no') : '-';
      return mark.padEnd((checks[i] as string).length);
    });
    lines.push(`${account.padEnd(width)}  ${cells.join(' | ')}`);
  }
  return lines.join('\n');
}
