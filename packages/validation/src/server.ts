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
  return has('verbs', check.verb) && has('resources', resource) && has('apiGroups', group);
}

/** What the set's own RBAC intends a service account to be able to do (bindings to roles in the set). */
export function intendedAccess(
  graph: ManifestGraph,
  namespace: string,
  account: string,
  check: AccessCheck,
): boolean {
  return graph.ofKind('RoleBinding', 'ClusterRoleBinding').some((binding) => {
    const bound = arr(binding.object.subjects).some(
      (s) =>
        s.kind === 'ServiceAccount' &&
        s.name === account &&
        (s.namespace ?? namespaceOf(binding)) === namespace,
    );
    if (!bound) return false;
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
  account: string;
  check: AccessCheck;
  intended: boolean;
  actual: boolean;
}

/** Asks the server (kubectl auth can-i --as=system:serviceaccount:…) about every workload account. */
export async function accessMatrix(
  cp: ControlPlane,
  docs: Doc[],
): Promise<{ rows: AccessRow[]; findings: Finding[] }> {
  const graph = new ManifestGraph(docs);
  const accounts = [
    ...new Map(graph.podTemplates.map((p) => [`${p.namespace}/${p.serviceAccount}`, p])).values(),
  ];
  const pairs = accounts.flatMap((pod) => accessChecks.map((check) => ({ pod, check })));
  const answers = await mapLimit(pairs, 4, ({ pod, check }) =>
    cp.kubectl([
      'auth',
      'can-i',
      check.verb,
      check.resource,
      ...(check.subresource ? [`--subresource=${check.subresource}`] : []),
      ...(check.cluster ? [] : ['-n', pod.namespace]),
      `--as=system:serviceaccount:${pod.namespace}:${pod.serviceAccount}`,
    ]),
  );
  const rows: AccessRow[] = [];
  const findings: Finding[] = [];
  pairs.forEach(({ pod, check }, i) => {
    const answer = answers[i] as KubectlResult;
    if (answer.code > 1) throw failed('kubectl auth can-i', answer);
    const actual = answer.stdout.trim() === 'yes';
    const intended = intendedAccess(graph, pod.namespace, pod.serviceAccount, check);
    const account = `${pod.namespace}/${pod.serviceAccount}`;
    rows.push({ account, check, intended, actual });
    if (actual !== intended) {
      const what = `${check.verb} ${check.resource}${check.subresource ? `/${check.subresource}` : ''}${check.cluster ? ' (cluster)' : ''}`;
      findings.push(
        finding(
          pod.doc,
          'rbac-unexpected',
          `service account ${account} ${actual ? 'can' : 'cannot'} ${what}, but the set's RBAC ${intended ? 'grants' : 'does not grant'} it`,
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
  const width = Math.max(...accounts.map((a) => a.length), 'service account'.length);
  const lines = [`${'service account'.padEnd(width)}  ${checks.join(' | ')}`];
  for (const account of accounts) {
    const cells = accessChecks.map((c, i) => {
      const row = rows.find((r) => r.account === account && r.check === c);
      const mark = row?.actual ? 'yes' : 'no';
      return mark.padEnd((checks[i] as string).length);
    });
    lines.push(`${account.padEnd(width)}  ${cells.join(' | ')}`);
  }
  return lines.join('\n');
}
