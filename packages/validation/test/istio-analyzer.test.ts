// The analyzer engine's own parts: reading a message's origin, finding its document, mapping levels.
import { describe, expect, it } from 'vitest';
import { type Doc, parseDocuments } from '../src/inputs.ts';
import {
  type AnalyzerMessage,
  istioAnalyze,
  originDoc,
  parseOrigin,
  toViolations,
  wantsIstioAnalysis,
} from '../src/istio-analyzer.ts';

const doc = (apiVersion: string, kind: string, name: string, namespace?: string): Doc =>
  ({
    source: 'x.yaml',
    ref: { apiVersion, kind, name, ...(namespace ? { namespace } : {}) },
    object: { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } },
  }) as unknown as Doc;

const vs = doc('networking.istio.io/v1', 'VirtualService', 'api', 'app');
const gateway = doc('gateway.networking.k8s.io/v1', 'GatewayClass', 'istio');
const docs = [vs, gateway, doc('v1', 'Service', 'api', 'app')];

describe('istio analyzer engine', () => {
  it('reads namespaced and cluster-scoped origins', () => {
    expect(parseOrigin('VirtualService app/api')).toEqual({
      kind: 'VirtualService',
      name: 'api',
      namespace: 'app',
    });
    expect(parseOrigin('GatewayClass istio')).toEqual({ kind: 'GatewayClass', name: 'istio' });
    expect(parseOrigin('not an origin at all')).toBeUndefined();
  });

  it('finds the document by kind, namespace and name, and nothing for an object outside the set', () => {
    expect(originDoc(docs, 'VirtualService app/api')).toBe(vs);
    expect(originDoc(docs, 'GatewayClass istio')).toBe(gateway);
    expect(originDoc(docs, 'VirtualService other/api')).toBeUndefined();
    expect(originDoc(docs, undefined)).toBeUndefined();
  });

  it('maps Error and Warning to the two catalogued rules and leaves Info out', () => {
    const messages: AnalyzerMessage[] = [
      {
        code: 'IST0101',
        level: 'Error',
        origin: 'VirtualService app/api',
        message: 'Referenced gateway not found',
      },
      { code: 'IST0130', level: 'Warning', origin: 'VirtualService app/api', message: 'rule #1 not used' },
      { code: 'IST0102', level: 'Info', origin: 'VirtualService app/api', message: 'informational' },
      { code: 'IST0101', level: 'Error', origin: 'VirtualService gone/x', message: 'outside the set' },
    ];
    expect(toViolations(docs, messages).map((v) => [v.rule, v.code, v.message])).toEqual([
      ['istio-analysis-error', 'IST0101', 'IST0101: Referenced gateway not found'],
      ['istio-analysis-warning', 'IST0130', 'IST0130: rule #1 not used'],
    ]);
  });

  it('prefers the file a message references over its origin', () => {
    const twin = doc('networking.istio.io/v1', 'VirtualService', 'api', 'app');
    const message: AnalyzerMessage = {
      code: 'IST0109',
      level: 'Error',
      origin: 'VirtualService app/api',
      message: 'same host',
      reference: '/tmp/x/000002.json:3',
    };
    const [v] = toViolations([vs, twin], [message], new Map([['/tmp/x/000002.json', twin]]));
    expect(v?.doc).toBe(twin);
  });

  it('runs only where the set holds Istio or Gateway API configuration', () => {
    expect(wantsIstioAnalysis(docs)).toBe(true);
    expect(
      wantsIstioAnalysis([doc('v1', 'Service', 'api', 'app'), doc('apps/v1', 'Deployment', 'api', 'app')]),
    ).toBe(false);
  });

  it('still analyzes the rest when one document cannot be decoded (the schema engine reports that one)', () => {
    const { docs: parsed } = parseDocuments(
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: api, namespace: app}',
        'spec: {minReadySeconds: soon, selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}}}',
        '---',
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        'metadata: {name: edge, namespace: app}',
        'spec: {hosts: [api.example.com], gateways: [missing], http: [{route: [{destination: {host: api}}]}]}',
      ].join('\n'),
      'mixed.yaml',
    );
    const found = istioAnalyze(parsed).map((v) => `${v.rule} ${v.code} ${v.doc.ref.kind}/${v.doc.ref.name}`);
    expect(found).toContain('istio-analysis-error IST0101 VirtualService/edge');
  });
});
