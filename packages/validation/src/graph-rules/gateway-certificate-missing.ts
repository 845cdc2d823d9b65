import { arr, groupOf, namespaceOf, obj, spec } from '../graph.ts';
import type { GraphRule, GraphViolation } from './rule.ts';

export const gatewayCertificateMissing: GraphRule = {
  id: 'gateway-certificate-missing',
  kinds: ['Gateway', 'Certificate', 'Secret'],
  check: (g) => {
    const out: GraphViolation[] = [];
    for (const gateway of g.ofKind('Gateway')) {
      if (groupOf(gateway.ref.apiVersion) !== 'gateway.networking.k8s.io') continue;
      arr(spec(gateway).listeners).forEach((listener, i) => {
        const tls = obj(listener.tls);
        if ((tls.mode ?? 'Terminate') !== 'Terminate') return;
        arr(tls.certificateRefs).forEach((ref, j) => {
          if ((ref.group ?? '') !== '' || (ref.kind ?? 'Secret') !== 'Secret' || typeof ref.name !== 'string')
            return;
          const namespace = typeof ref.namespace === 'string' ? ref.namespace : namespaceOf(gateway);
          if (g.find('Secret', namespace, ref.name)) return;
          const issued = g
            .ofKind('Certificate')
            .some(
              (c) =>
                groupOf(c.ref.apiVersion) === 'cert-manager.io' &&
                namespaceOf(c) === namespace &&
                spec(c).secretName === ref.name,
            );
          if (issued) return;
          out.push({
            doc: gateway,
            field: `spec.listeners[${i}].tls.certificateRefs[${j}]`,
            message: `presents Secret ${namespace}/${ref.name}, which no Certificate of the set writes and which the set neither contains nor declares as provided: the listener has no certificate`,
          });
        });
      });
    }
    return out;
  },
};
