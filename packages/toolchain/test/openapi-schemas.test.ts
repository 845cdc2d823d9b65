import { describe, expect, it } from 'vitest';
import { convertCrd, convertSwagger, kindSuffix } from '../src/openapi-schemas.ts';

type Json = Record<string, unknown>;

function gvk(group: string, version: string, kind: string): Json {
  return { 'x-kubernetes-group-version-kind': [{ group, version, kind }] };
}

function ref(name: string): Json {
  return { $ref: `#/definitions/${name}` };
}

/** A swagger document whose single resource "Thing" (core v1) has the given schema. */
function thing(schema: Json, definitions: Json = {}): Json {
  return convertSwagger({
    definitions: { ...definitions, thing: { ...schema, ...gvk('', 'v1', 'Thing') } },
  }).get('thing-v1.json') as Json;
}

const intOrString = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
const quantity = { oneOf: [{ type: 'string' }, { type: 'number' }] };

describe('convertSwagger file names', () => {
  it('uses kubeconform v0.8.0 kind suffixes for core, apps and dotted groups', () => {
    const schemas = convertSwagger({
      definitions: {
        service: { type: 'object', ...gvk('', 'v1', 'Service') },
        deployment: { type: 'object', ...gvk('apps', 'v1', 'Deployment') },
        policy: { type: 'object', ...gvk('networking.k8s.io', 'v1', 'NetworkPolicy') },
        plain: { type: 'object' },
      },
    });
    expect([...schemas.keys()].sort()).toEqual([
      'deployment-apps-v1.json',
      'networkpolicy-networking-v1.json',
      'service-v1.json',
    ]);
  });

  it('lowercases the kind, group segment and version', () => {
    expect(kindSuffix('Example.COM/V1Beta1')).toBe('-example-v1beta1');
    expect(kindSuffix('v1')).toBe('-v1');
  });

  it('writes one file per group-version-kind of a definition', () => {
    const schemas = convertSwagger({
      definitions: {
        options: {
          type: 'object',
          'x-kubernetes-group-version-kind': [
            { group: '', version: 'v1', kind: 'DeleteOptions' },
            { group: 'apps', version: 'v1', kind: 'DeleteOptions' },
          ],
        },
      },
    });
    expect([...schemas.keys()].sort()).toEqual(['deleteoptions-apps-v1.json', 'deleteoptions-v1.json']);
  });

  it('throws when two different group-version-kinds map to one file', () => {
    const definitions = {
      a: { type: 'object', ...gvk('example.com', 'v1', 'Widget') },
      b: { type: 'object', ...gvk('example.org', 'v1', 'Widget') },
    };
    expect(() => convertSwagger({ definitions })).toThrow(/widget-example-v1\.json.*example\.com\/v1 Widget/);
  });

  it('rejects documents without definitions and malformed group-version-kinds', () => {
    expect(() => convertSwagger({ swagger: '2.0' })).toThrow(/no "definitions"/);
    expect(() =>
      convertSwagger({ definitions: { a: { 'x-kubernetes-group-version-kind': [{ kind: 'A' }] } } }),
    ).toThrow(/definition a: malformed/);
  });
});

describe('convertSwagger schemas', () => {
  it('inlines references recursively and drops their siblings', () => {
    const schema = thing(
      {
        type: 'object',
        required: ['spec'],
        properties: { spec: { ...ref('spec'), description: 'the spec' } },
      },
      {
        spec: { type: 'object', required: ['inner'], properties: { inner: ref('inner') } },
        inner: { type: 'string' },
      },
    );
    expect(JSON.stringify(schema)).not.toContain('$ref');
    expect(schema).toEqual({
      type: 'object',
      required: ['spec'],
      additionalProperties: false,
      properties: {
        spec: {
          type: 'object',
          required: ['inner'],
          additionalProperties: false,
          properties: { inner: { type: 'string' } },
        },
      },
    });
  });

  it('throws on a reference to an unknown definition', () => {
    expect(() => thing({ type: 'object', properties: { a: ref('missing') } })).toThrow(
      /unknown definition missing/,
    );
  });

  it('replaces a self-reference by an empty schema', () => {
    const schema = thing(ref('props'), {
      props: { type: 'object', required: ['items'], properties: { items: ref('props') } },
    });
    expect(schema).toEqual({
      type: 'object',
      required: ['items'],
      additionalProperties: false,
      properties: { items: {} },
    });
  });

  it('cuts a mutual cycle where it closes, seen from either end', () => {
    const definitions = {
      a: { type: 'object', required: ['b'], properties: { b: ref('b') } },
      b: { type: 'object', required: ['a'], properties: { a: ref('a') } },
      ra: { type: 'object', required: ['x'], properties: { x: ref('a') }, ...gvk('', 'v1', 'RA') },
      rb: { type: 'object', required: ['x'], properties: { x: ref('b') }, ...gvk('', 'v1', 'RB') },
    };
    const schemas = convertSwagger({ definitions });
    const closed = (properties: Json) => ({ type: 'object', additionalProperties: false, properties });
    const ra = schemas.get('ra-v1.json') as Json;
    const rb = schemas.get('rb-v1.json') as Json;
    expect((ra.properties as Json).x).toEqual({
      ...closed({ b: { ...closed({ a: {} }), required: ['a'] } }),
      required: ['b'],
    });
    expect((rb.properties as Json).x).toEqual({
      ...closed({ a: { ...closed({ b: {} }), required: ['b'] } }),
      required: ['a'],
    });
  });

  it('closes objects with properties and leaves maps and free-form objects open', () => {
    const schema = thing({
      type: 'object',
      required: ['labels', 'raw', 'nested'],
      properties: {
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        raw: { type: 'object' },
        nested: { type: 'object', required: ['a'], properties: { a: { type: 'string' } } },
      },
    });
    const properties = schema.properties as Json;
    expect(schema.additionalProperties).toBe(false);
    expect(properties.labels).toEqual({ type: 'object', additionalProperties: { type: 'string' } });
    expect(properties.raw).toEqual({ type: 'object' });
    expect((properties.nested as Json).additionalProperties).toBe(false);
  });

  it('turns IntOrString and Quantity references and int-or-string formats into oneOf', () => {
    const schema = thing(
      {
        type: 'object',
        required: ['port', 'cpu', 'inline'],
        properties: {
          port: ref('io.k8s.apimachinery.pkg.util.intstr.IntOrString'),
          cpu: ref('io.k8s.apimachinery.pkg.api.resource.Quantity'),
          inline: { type: 'string', format: 'int-or-string' },
          limits: {
            type: 'object',
            additionalProperties: ref('io.k8s.apimachinery.pkg.api.resource.Quantity'),
          },
        },
      },
      {
        'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { type: 'string', format: 'int-or-string' },
        'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
      },
    );
    const properties = schema.properties as Json;
    expect(properties.port).toEqual(intOrString);
    expect(properties.cpu).toEqual(quantity);
    expect(properties.inline).toEqual(intOrString);
    expect(properties.limits).toEqual({ type: ['object', 'null'], additionalProperties: quantity });
  });

  it('lets optional properties be null, but not required ones, items or map values', () => {
    const schema = thing(
      {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string' },
          replicas: { type: 'integer' },
          port: ref('io.k8s.apimachinery.pkg.util.intstr.IntOrString'),
          anything: ref('json'),
          args: { type: 'array', items: { type: 'string' } },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
      { json: { description: 'any JSON' } },
    );
    expect(schema.properties).toEqual({
      name: { type: 'string' },
      replicas: { type: ['integer', 'null'] },
      port: { oneOf: [...intOrString.oneOf, { type: 'null' }] },
      anything: {},
      args: { type: ['array', 'null'], items: { type: 'string' } },
      labels: { type: ['object', 'null'], additionalProperties: { type: 'string' } },
    });
  });

  it('drops description, format and x-kubernetes-* keywords but not properties with those names', () => {
    const schema = thing({
      type: 'object',
      description: 'a thing',
      required: ['description', 'format', 'x-kubernetes-list-type'],
      'x-kubernetes-list-map-keys': ['name'],
      properties: {
        description: { type: 'string', description: 'text' },
        format: { type: 'string', format: 'byte' },
        'x-kubernetes-list-type': {
          type: 'string',
          enum: ['atomic', 'set'],
          'x-kubernetes-map-type': 'atomic',
        },
      },
    });
    expect(schema).toEqual({
      type: 'object',
      additionalProperties: false,
      required: ['description', 'format', 'x-kubernetes-list-type'],
      properties: {
        description: { type: 'string' },
        format: { type: 'string' },
        'x-kubernetes-list-type': { type: 'string', enum: ['atomic', 'set'] },
      },
    });
  });

  it('sorts keys recursively, whatever the input order', () => {
    const forward = thing({
      type: 'object',
      required: ['b', 'a'],
      properties: { b: { type: 'string' }, a: { type: 'integer' } },
    });
    const backward = thing({
      properties: { a: { type: 'integer' }, b: { type: 'string' } },
      required: ['b', 'a'],
      type: 'object',
    });
    expect(JSON.stringify(forward)).toBe(JSON.stringify(backward));
    expect(Object.keys(forward)).toEqual(['additionalProperties', 'properties', 'required', 'type']);
    expect(Object.keys(forward.properties as Json)).toEqual(['a', 'b']);
  });
});

function crd(versions: Json[], overrides: Json = {}): Json {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { kind: 'Widget', plural: 'widgets' },
      scope: 'Namespaced',
      versions,
    },
    ...overrides,
  };
}

function version(name: string, openAPIV3Schema: Json | undefined, served = true): Json {
  return {
    name,
    served,
    storage: name === 'v1',
    ...(openAPIV3Schema ? { schema: { openAPIV3Schema } } : {}),
  };
}

/** The converted v1 schema of a Widget whose spec has the given schema. */
function widgetSpec(spec: Json): Json {
  const root = { type: 'object', properties: { spec } };
  const converted = convertCrd(crd([version('v1', root)])).get('example.com/widget_v1.json') as Json;
  return (converted.properties as Json).spec as Json;
}

describe('convertCrd', () => {
  it('writes <group>/<kind>_<version>.json for every served version with a schema', () => {
    const root = { type: 'object' };
    const schemas = convertCrd(
      crd([
        version('v1', root),
        version('v1beta1', root),
        version('v1alpha1', root, false),
        version('v2', undefined),
      ]),
    );
    expect([...schemas.keys()].sort()).toEqual([
      'example.com/widget_v1.json',
      'example.com/widget_v1beta1.json',
    ]);
  });

  it('allows apiVersion, kind and metadata at the top level and keeps metadata open', () => {
    const root = {
      type: 'object',
      properties: {
        metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 63 } } },
        spec: { type: 'object', properties: { size: { type: 'integer' } } },
      },
    };
    const schema = convertCrd(crd([version('v1', root)])).get('example.com/widget_v1.json') as Json;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties).toEqual({
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 63 } } },
      spec: { type: 'object', additionalProperties: false, properties: { size: { type: 'integer' } } },
    });
  });

  it('turns x-kubernetes-int-or-string into oneOf and drops its type and anyOf', () => {
    const spec = widgetSpec({
      type: 'object',
      properties: {
        port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        maxSurge: { 'x-kubernetes-int-or-string': true, type: 'string', nullable: true },
      },
    });
    expect(spec.properties).toEqual({
      port: intOrString,
      maxSurge: { oneOf: [...intOrString.oneOf, { type: 'null' }] },
    });
  });

  it('leaves objects that preserve unknown fields open', () => {
    const spec = widgetSpec({
      type: 'object',
      properties: {
        values: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: { a: { type: 'string' } },
        },
        closed: { type: 'object', properties: { a: { type: 'string' } } },
        map: { type: 'object', additionalProperties: { type: 'string' } },
      },
    });
    const properties = spec.properties as Json;
    expect(properties.values).toEqual({ type: 'object', properties: { a: { type: 'string' } } });
    expect((properties.closed as Json).additionalProperties).toBe(false);
    expect((properties.map as Json).additionalProperties).toEqual({ type: 'string' });
  });

  it('accepts null only where nullable says so', () => {
    const spec = widgetSpec({
      type: 'object',
      properties: {
        when: { type: 'string', format: 'date-time', nullable: true },
        mode: { type: 'string', enum: ['a', 'b'], nullable: true },
        count: { type: 'integer' },
        either: { type: 'object', nullable: true, oneOf: [{ required: ['a'] }, { required: ['b'] }] },
      },
    });
    const properties = spec.properties as Json;
    expect(properties.when).toEqual({ type: ['string', 'null'] });
    expect(properties.mode).toEqual({ type: ['string', 'null'], enum: ['a', 'b', null] });
    expect(properties.count).toEqual({ type: 'integer' });
    expect(properties.either).toEqual({
      anyOf: [{ type: 'null' }, { type: 'object', oneOf: [{ required: ['a'] }, { required: ['b'] }] }],
    });
  });

  it('does not close objects inside junctors, whose fields the outer schema also lists', () => {
    const spec = widgetSpec({
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'string' } },
      anyOf: [{ properties: { a: { minLength: 1 } } }],
    });
    expect(spec.additionalProperties).toBe(false);
    expect(spec.anyOf).toEqual([{ properties: { a: { minLength: 1 } } }]);
  });

  it('allows resource fields in embedded resources', () => {
    const spec = widgetSpec({
      type: 'object',
      properties: {
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          properties: { spec: { type: 'object' } },
        },
      },
    });
    const template = (spec.properties as Json).template as Json;
    expect(Object.keys(template.properties as Json)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(template.additionalProperties).toBe(false);
  });

  it('drops description, format and x-kubernetes-* keywords and sorts keys', () => {
    const spec = widgetSpec({
      type: 'object',
      description: 'spec',
      'x-kubernetes-validations': [{ rule: 'self.a > 0' }],
      properties: {
        b: { type: 'string', format: 'uri' },
        a: { type: 'integer', 'x-kubernetes-list-type': 'x' },
      },
    });
    const expected = {
      additionalProperties: false,
      properties: { a: { type: 'integer' }, b: { type: 'string' } },
    };
    expect(JSON.stringify(spec)).toBe(JSON.stringify({ ...expected, type: 'object' }));
  });

  it('does not modify its input', () => {
    const input = crd([
      version('v1', {
        type: 'object',
        properties: {
          spec: { type: 'object', nullable: true, properties: { p: { 'x-kubernetes-int-or-string': true } } },
        },
      }),
    ]);
    const before = structuredClone(input);
    convertCrd(input);
    expect(input).toEqual(before);
  });

  it('throws an error naming the document when it is not a v1 CRD', () => {
    expect(() => convertCrd({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } })).toThrow(
      '"settings" is not an apiextensions.k8s.io/v1 CustomResourceDefinition (found v1 ConfigMap)',
    );
    expect(() => convertCrd(crd([], { apiVersion: 'apiextensions.k8s.io/v1beta1' }))).toThrow(
      /"widgets\.example\.com" is not an apiextensions\.k8s\.io\/v1 CustomResourceDefinition/,
    );
    expect(() => convertCrd(null)).toThrow(/not an apiextensions/);
    expect(() => convertCrd(crd([], { spec: { group: 'example.com' } }))).toThrow(
      /CustomResourceDefinition "widgets\.example\.com": spec\.group, spec\.names\.kind or spec\.versions/,
    );
  });

  it('names the CRD and version when a schema cannot be converted', () => {
    const input = crd([version('v1', { type: 'object', properties: { a: { $ref: '#/definitions/x' } } })]);
    expect(() => convertCrd(input)).toThrow(/"widgets\.example\.com" version v1: unsupported \$ref/);
  });
});
