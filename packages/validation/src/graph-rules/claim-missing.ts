import { arr, namespaceOf, obj, podKinds, spec } from '../graph.ts';
import type { GraphRule } from './rule.ts';

export const claimMissing: GraphRule = {
  id: 'claim-missing',
  kinds: [...podKinds, 'PersistentVolumeClaim'],
  check: (g) => {
    // A StatefulSet's claim templates become claims named <template>-<statefulset>-<ordinal>.
    const templated = g.ofKind('StatefulSet').flatMap((s) =>
      arr(spec(s).volumeClaimTemplates).map((t) => ({
        namespace: namespaceOf(s),
        prefix: `${String(obj(t.metadata).name)}-${s.ref.name}-`,
      })),
    );
    return g.podTemplates.flatMap((pod) =>
      arr(pod.pod.volumes).flatMap((v, i) => {
        const claim = obj(v.persistentVolumeClaim).claimName;
        if (typeof claim !== 'string' || g.find('PersistentVolumeClaim', pod.namespace, claim)) return [];
        if (
          templated.some(
            (t) =>
              t.namespace === pod.namespace &&
              claim.startsWith(t.prefix) &&
              /^\d+$/.test(claim.slice(t.prefix.length)),
          )
        )
          return [];
        return [
          {
            doc: pod.doc,
            field: `${pod.podPath}.volumes[${i}].persistentVolumeClaim.claimName`,
            message: `mounts PersistentVolumeClaim ${pod.namespace}/${claim}, which the set neither contains nor declares as provided; the pod stays Pending`,
          },
        ];
      }),
    );
  },
};
