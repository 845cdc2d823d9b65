import { arr, type ManifestGraph, namespaceOf, obj, type PodTemplate, podKinds, spec } from '../graph.ts';
import type { Json } from '../inputs.ts';
import type { GraphRule } from './rule.ts';

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
  // The sealed-secrets controller names the Secret after the SealedSecret, whatever its template says.
  for (const doc of g.ofKind('SealedSecret')) produced.add(`${namespaceOf(doc)}/${doc.ref.name}`);
  return produced;
}

export const configReferenceMissing: GraphRule = {
  id: 'config-reference-missing',
  kinds: [...podKinds, 'ConfigMap', 'Secret', 'ExternalSecret', 'SealedSecret'],
  check: (g) => {
    const produced = producedSecrets(g);
    return g.podTemplates.flatMap((pod) =>
      podReferences(pod).flatMap((ref) => {
        if (g.find(ref.kind, pod.namespace, ref.name)) return [];
        if (ref.kind === 'Secret' && produced.has(`${pod.namespace}/${ref.name}`)) return [];
        return [
          {
            doc: pod.doc,
            field: ref.field,
            message: `references ${ref.kind} ${ref.name}, which the set neither contains nor produces`,
          },
        ];
      }),
    );
  },
};
