import { arr, type ManifestGraph, namespaceOf, obj, type PodTemplate, podKinds, spec } from '../graph.ts';
import type { Doc } from '../inputs.ts';
import type { GraphRule, GraphViolation } from './rule.ts';

interface KeyReference {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  key: string;
  field: string;
}

function keyReferences(pod: PodTemplate): KeyReference[] {
  const refs: KeyReference[] = [];
  const at = pod.podPath;
  const items = (
    kind: KeyReference['kind'],
    source: Record<string, unknown>,
    nameKey: string,
    field: string,
  ) => {
    if (source.optional === true || typeof source[nameKey] !== 'string') return;
    arr(source.items).forEach((item, k) => {
      if (typeof item.key === 'string')
        refs.push({ kind, name: String(source[nameKey]), key: item.key, field: `${field}.items[${k}].key` });
    });
  };
  arr(pod.pod.volumes).forEach((v, i) => {
    if (v.configMap) items('ConfigMap', obj(v.configMap), 'name', `${at}.volumes[${i}].configMap`);
    if (v.secret) items('Secret', obj(v.secret), 'secretName', `${at}.volumes[${i}].secret`);
    arr(obj(v.projected).sources).forEach((s, j) => {
      const base = `${at}.volumes[${i}].projected.sources[${j}]`;
      if (s.configMap) items('ConfigMap', obj(s.configMap), 'name', `${base}.configMap`);
      if (s.secret) items('Secret', obj(s.secret), 'name', `${base}.secret`);
    });
  });
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
    arr(pod.pod[key]).forEach((c, i) => {
      arr(c.env).forEach((e, j) => {
        const from = obj(e.valueFrom);
        for (const [kind, refKey] of [
          ['ConfigMap', 'configMapKeyRef'],
          ['Secret', 'secretKeyRef'],
        ] as const) {
          const ref = obj(from[refKey]);
          if (ref.optional === true || typeof ref.name !== 'string' || typeof ref.key !== 'string') continue;
          refs.push({
            kind,
            name: ref.name,
            key: ref.key,
            field: `${at}.${key}[${i}].env[${j}].valueFrom.${refKey}.key`,
          });
        }
      });
    });
  }
  return refs;
}

/** The keys a ConfigMap or Secret will hold, or undefined when they cannot be known from the set. */
export function keysOf(
  g: ManifestGraph,
  kind: 'ConfigMap' | 'Secret',
  namespace: string,
  name: string,
): Set<string> | undefined {
  const doc = g.find(kind, namespace, name);
  if (doc) {
    if (g.isProvided(doc) && doc.object.data === undefined) return undefined;
    const fields = kind === 'ConfigMap' ? ['data', 'binaryData'] : ['data', 'stringData'];
    // The token controller fills a service-account-token Secret with these.
    const filled =
      doc.object.type === 'kubernetes.io/service-account-token' ? ['token', 'ca.crt', 'namespace'] : [];
    return new Set([...filled, ...fields.flatMap((f) => Object.keys(obj(doc.object[f])))]);
  }
  if (kind !== 'Secret') return undefined;
  return producedSecretKeys(g, namespace, name);
}

/** Keys of a Secret an ExternalSecret or a SealedSecret in the set writes; undefined when open-ended. */
function producedSecretKeys(g: ManifestGraph, namespace: string, name: string): Set<string> | undefined {
  const writes = (d: Doc, target: string | undefined) =>
    namespaceOf(d) === namespace && (target ?? d.ref.name) === name;
  for (const d of g.ofKind('ExternalSecret')) {
    const target = obj(spec(d).target);
    if (!writes(d, typeof target.name === 'string' ? target.name : undefined)) continue;
    // dataFrom pulls whatever keys the provider holds, templateFrom whatever its template renders.
    const template = obj(target.template);
    if (arr(spec(d).dataFrom).length > 0 || template.templateFrom !== undefined) return undefined;
    const fetched = arr(spec(d).data).map((e) => String(e.secretKey));
    if (template.data === undefined) return new Set(fetched);
    // A template replaces the fetched keys by its own unless it merges them.
    const rendered = Object.keys(obj(template.data));
    return new Set(template.mergePolicy === 'Merge' ? [...fetched, ...rendered] : rendered);
  }
  // The sealed-secrets controller names the Secret after the SealedSecret, whatever its template says.
  for (const d of g.ofKind('SealedSecret')) {
    if (!writes(d, undefined)) continue;
    return new Set([
      ...Object.keys(obj(spec(d).encryptedData)),
      ...Object.keys(obj(obj(spec(d).template).data)),
    ]);
  }
  return undefined;
}

export const configKeyMissing: GraphRule = {
  id: 'config-key-missing',
  kinds: [...podKinds, 'ConfigMap', 'Secret', 'ExternalSecret', 'SealedSecret'],
  check: (g) =>
    g.podTemplates.flatMap((pod) =>
      keyReferences(pod).flatMap((ref): GraphViolation[] => {
        const keys = keysOf(g, ref.kind, pod.namespace, ref.name);
        if (!keys || keys.has(ref.key)) return [];
        const known = [...keys].sort();
        return [
          {
            doc: pod.doc,
            field: ref.field,
            message: `asks ${ref.kind} ${ref.name} for key "${ref.key}", which it does not hold (keys: ${known.join(', ') || 'none'})`,
          },
        ];
      }),
    ),
};
