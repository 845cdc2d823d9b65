import { arr, describe, namespaceOf, obj, selectorMatches, spec, strings } from '../graph.ts';
import type { Doc } from '../inputs.ts';
import type { GraphRule, GraphViolation } from './rule.ts';

/** How Velero's resource filters may name PersistentVolumeClaims. */
const claimNames = new Set(['*', 'persistentvolumeclaims', 'persistentvolumeclaim', 'pvc']);
const namesClaims = (list: string[]) => list.some((r) => claimNames.has(r.toLowerCase()));

/** Velero's namespace filters are globs: `*`, `?` and `[abc]`. */
function namespaceMatches(pattern: string, namespace: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, end).replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  try {
    return new RegExp(`^${re}$`).test(namespace);
  } catch {
    return pattern === namespace;
  }
}

const volumeNames = new Set(['persistentvolumes', 'persistentvolume', 'pv']);
const podNames = new Set(['*', 'pods', 'pod', 'po']);

/**
 * Whether a Velero Schedule backs up a claim in `namespace` with `labels`, data included: its namespace,
 * resource and label filters admit the claim, it is not paused, and it snapshots the claim's volume (its
 * PersistentVolume not excluded) or copies it with the file-system backup (its pods included).
 */
export function scheduleCovers(schedule: Doc, namespace: string, labels: Record<string, string>): boolean {
  const s = spec(schedule);
  if (s.paused === true) return false;
  const t = obj(s.template);
  const included = strings(t.includedNamespaces);
  if (included.length > 0 && !included.some((p) => namespaceMatches(p, namespace))) return false;
  if (strings(t.excludedNamespaces).some((p) => namespaceMatches(p, namespace))) return false;
  const resources = [...strings(t.includedResources), ...strings(t.includedNamespaceScopedResources)];
  if (resources.length > 0 && !namesClaims(resources)) return false;
  const excluded = [...strings(t.excludedResources), ...strings(t.excludedNamespaceScopedResources)];
  if (namesClaims(excluded)) return false;
  if (t.labelSelector !== undefined && !selectorMatches(obj(t.labelSelector), labels)) return false;
  const any = arr(t.orLabelSelectors);
  if (any.length > 0 && !any.some((sel) => selectorMatches(sel, labels))) return false;
  // A snapshot is taken when the claim's PersistentVolume is backed up (it follows its claim unless
  // excluded, or cluster resources are off); the file-system copy runs when the claim's pods are.
  const volumesExcluded =
    t.includeClusterResources === false ||
    [...strings(t.excludedResources), ...strings(t.excludedClusterScopedResources)].some((r) =>
      volumeNames.has(r.toLowerCase()),
    );
  const snapshots = t.snapshotVolumes !== false && !volumesExcluded;
  const podsIncluded = resources.length === 0 || resources.some((r) => podNames.has(r.toLowerCase()));
  const fileCopies = t.defaultVolumesToFsBackup === true && podsIncluded;
  return snapshots || fileCopies;
}

const optOut = 'velero.io/exclude-from-backup';

const stringMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(v)).map(([k, x]) => [k, String(x)]));

export const pvcBackupMissing: GraphRule = {
  id: 'pvc-backup-missing',
  kinds: ['Schedule', 'PersistentVolumeClaim', 'StatefulSet'],
  check: (g) => {
    const schedules = g.ofKind('Schedule').filter((d) => d.ref.apiVersion?.startsWith('velero.io/'));
    // A set without Velero schedules does not claim backups: nothing to hold it to.
    if (schedules.length === 0) return [];
    const names = schedules.map((d) => d.ref.name).join(', ');
    // A claim labelled out of backups says its data may be lost: not a gap.
    const uncovered = (namespace: string, labels: Record<string, string>) =>
      labels[optOut] !== 'true' && !schedules.some((d) => scheduleCovers(d, namespace, labels));
    const claims: GraphViolation[] = g.ofKind('PersistentVolumeClaim').flatMap((claim) =>
      uncovered(namespaceOf(claim), stringMap(obj(claim.object.metadata).labels))
        ? [
            {
              doc: claim,
              field: 'metadata.labels',
              message: `${describe(claim)} is in no Velero Schedule of the set with its data (${names})`,
            },
          ]
        : [],
    );
    // A StatefulSet's claims carry its claim template's labels and its selector's.
    const templates: GraphViolation[] = g.ofKind('StatefulSet').flatMap((set) =>
      arr(spec(set).volumeClaimTemplates).flatMap((t, i) => {
        const labels = {
          ...stringMap(obj(t.metadata).labels),
          ...stringMap(obj(spec(set).selector).matchLabels),
        };
        return uncovered(namespaceOf(set), labels)
          ? [
              {
                doc: set,
                field: `spec.volumeClaimTemplates[${i}]`,
                message: `the claims of template ${String(obj(t.metadata).name)} of ${describe(set)} are in no Velero Schedule of the set with their data (${names})`,
              },
            ]
          : [];
      }),
    );
    return [...claims, ...templates];
  },
};
