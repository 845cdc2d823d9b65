import { arr, groupOf, obj, spec } from '../graph.ts';
import type { GraphRule, GraphViolation } from './rule.ts';

const weak = new Set(['DISABLE', 'PERMISSIVE']);

export const mtlsNotStrict: GraphRule = {
  id: 'mtls-not-strict',
  kinds: ['PeerAuthentication', 'DestinationRule'],
  check: (g) => {
    const out: GraphViolation[] = [];
    for (const doc of g.ofKind('PeerAuthentication')) {
      if (groupOf(doc.ref.apiVersion) !== 'security.istio.io') continue;
      const mode = obj(spec(doc).mtls).mode;
      if (typeof mode === 'string' && weak.has(mode))
        out.push({
          doc,
          field: 'spec.mtls.mode',
          message: `sets mTLS to ${mode}: workloads accept plain-text traffic`,
        });
      for (const [port, setting] of Object.entries(obj(spec(doc).portLevelMtls))) {
        const portMode = obj(setting).mode;
        if (typeof portMode === 'string' && weak.has(portMode))
          out.push({
            doc,
            field: `spec.portLevelMtls.${port}.mode`,
            message: `sets mTLS on port ${port} to ${portMode}: that port accepts plain-text traffic`,
          });
      }
    }
    for (const doc of g.ofKind('DestinationRule')) {
      if (groupOf(doc.ref.apiVersion) !== 'networking.istio.io') continue;
      const policy = obj(spec(doc).trafficPolicy);
      const settings = [
        { tls: obj(policy.tls), field: 'spec.trafficPolicy.tls.mode' },
        ...arr(policy.portLevelSettings).map((p, i) => ({
          tls: obj(p.tls),
          field: `spec.trafficPolicy.portLevelSettings[${i}].tls.mode`,
        })),
      ];
      for (const { tls, field } of settings)
        if (tls.mode === 'DISABLE')
          out.push({ doc, field, message: `sends plain text to ${spec(doc).host}: clients skip mTLS` });
    }
    return out;
  },
};
