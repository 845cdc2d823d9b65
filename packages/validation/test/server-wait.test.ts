// How the server tier decides that CustomResourceDefinitions are ready, on the answers a server gives
// before, during and after a CRD's first status write (no control plane needed).
import { describe, expect, it } from 'vitest';
import { establishedCrds, servedResources } from '../src/server.ts';

const crd = (name: string, status?: unknown) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name },
  ...(status === undefined ? {} : { status }),
});
const established = { conditions: [{ type: 'Established', status: 'True' }] };

describe('establishedCrds', () => {
  it('reads a CRD whose status is not written yet as not established, without failing', () => {
    expect(establishedCrds(crd('a.x.io'))).toEqual(new Set());
    expect(establishedCrds(crd('a.x.io', {}))).toEqual(new Set());
    expect(establishedCrds(crd('a.x.io', { conditions: null }))).toEqual(new Set());
  });

  it('needs the Established condition to be True', () => {
    const pending = {
      conditions: [
        { type: 'NamesAccepted', status: 'True' },
        { type: 'Established', status: 'False' },
      ],
    };
    expect(establishedCrds(crd('a.x.io', pending))).toEqual(new Set());
    expect(establishedCrds(crd('a.x.io', established))).toEqual(new Set(['a.x.io']));
  });

  it('reads one object or a List', () => {
    const list = {
      kind: 'List',
      items: [crd('a.x.io', established), crd('b.x.io'), crd('c.x.io', established)],
    };
    expect(establishedCrds(list)).toEqual(new Set(['a.x.io', 'c.x.io']));
  });
});

describe('servedResources', () => {
  it('lists the resource.group names of kubectl api-resources -o name', () => {
    expect(servedResources('pods\nhttproutes.gateway.networking.k8s.io\n\n')).toEqual(
      new Set(['pods', 'httproutes.gateway.networking.k8s.io']),
    );
  });
});
