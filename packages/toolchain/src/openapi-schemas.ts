// Pure converters from Kubernetes OpenAPI documents (the swagger.json of k8s.io/kubernetes and CRDs) to the
// standalone, strict JSON schemas kubeconform loads, keyed by the file name kubeconform looks up.
// No I/O here: build-schemas.ts reads the inputs and writes the files.

type Schema = Record<string, unknown>;

interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

interface Context {
  /** Inlines a `$ref`; absent where references are not allowed (CRD schemas). */
  resolveRef?: (ref: string) => Schema;
  /** The swagger marks optional fields only by leaving them out of `required`; CRDs say `nullable`. */
  optionalAcceptsNull: boolean;
}

const DEFINITION_PREFIX = '#/definitions/';

// Both types are strings in the swagger, yet manifests legitimately carry numbers for them.
const SPECIAL_DEFINITIONS: Record<string, () => Schema> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': intOrString,
  'io.k8s.apimachinery.pkg.api.resource.Quantity': () => ({
    oneOf: [{ type: 'string' }, { type: 'number' }],
  }),
};

function intOrString(): Schema {
  return { oneOf: [{ type: 'string' }, { type: 'integer' }] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Documentation and Kubernetes extensions mean nothing to a draft-4 validator. */
function isDropped(keyword: string): boolean {
  return (
    keyword === 'description' ||
    keyword === 'format' ||
    keyword === 'nullable' ||
    keyword.startsWith('x-kubernetes-')
  );
}

/** Recursively sorts object keys so that identical input always serialises to identical bytes. */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (!isRecord(value)) return value;
  const keys = Object.keys(value).sort();
  return Object.fromEntries(keys.map((key) => [key, sortKeys(value[key])])) as T;
}

/**
 * kubeconform v0.8.0's {{.KindSuffix}}: "-" + the first dot-segment of the group (of the version, for core),
 * then "-" + the version.
 */
export function kindSuffix(apiVersion: string): string {
  const groupParts = apiVersion.split('/');
  const group = groupParts[0] ?? '';
  let suffix = `-${(group.split('.')[0] ?? '').toLowerCase()}`;
  const version = groupParts[1];
  if (version !== undefined) suffix += `-${version.toLowerCase()}`;
  return suffix;
}

/** Makes a schema also accept null, without touching the (possibly shared) input object. */
export function allowNull(schema: Schema): Schema {
  const hasJunctor = ['allOf', 'anyOf', 'not'].some((keyword) => keyword in schema);
  if (schema.type !== undefined && (hasJunctor || Array.isArray(schema.oneOf))) {
    // Junctors would still see the null; only a wrapper lets null through untouched.
    return { anyOf: [{ type: 'null' }, schema] };
  }
  const out: Schema = { ...schema };
  if (Array.isArray(out.oneOf)) {
    if (!out.oneOf.some((branch) => isRecord(branch) && branch.type === 'null')) {
      out.oneOf = [...out.oneOf, { type: 'null' }];
    }
  } else if (typeof out.type === 'string' && out.type !== 'null') {
    out.type = [out.type, 'null'];
  } else if (Array.isArray(out.type) && !out.type.includes('null')) {
    out.type = [...out.type, 'null'];
  }
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  return out;
}

function isIntOrString(node: Schema): boolean {
  return node.format === 'int-or-string' || node['x-kubernetes-int-or-string'] === true;
}

/** controller-gen spells int-or-string as anyOf [{type: integer}, {type: string}] beside the extension. */
function isIntOrStringAnyOf(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.every(
      (branch) =>
        isRecord(branch) &&
        Object.keys(branch).length === 1 &&
        (branch.type === 'integer' || branch.type === 'string'),
    )
  );
}

function asIntOrString(out: Schema): void {
  delete out.type;
  if (isIntOrStringAnyOf(out.anyOf)) delete out.anyOf;
  out.oneOf = intOrString().oneOf;
}

/** Strict validation rejects unknown fields, unless the schema says it keeps them. */
function isStrictCandidate(node: Schema): boolean {
  return (
    'properties' in node &&
    !('additionalProperties' in node) &&
    node['x-kubernetes-preserve-unknown-fields'] !== true
  );
}

/** apiVersion, kind and metadata are always accepted on a resource, even where its schema omits them. */
export function allowResourceFields(schema: Schema): Schema {
  if (!isRecord(schema.properties)) return schema; // without properties nothing restricts these fields
  const properties: Schema = {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    ...schema.properties,
  };
  // The API server validates ObjectMeta itself; a CRD may only narrow name/generateName. Keep labels open.
  if (isRecord(properties.metadata) && properties.metadata.additionalProperties === false) {
    const { additionalProperties: _closed, ...open } = properties.metadata;
    properties.metadata = open;
  }
  return { ...schema, properties };
}

function normalizeAll(value: unknown, ctx: Context, inJunctor: boolean): Schema[] {
  if (!Array.isArray(value)) throw new Error(`expected an array of schemas, got ${JSON.stringify(value)}`);
  return value.map((item) => normalize(item, ctx, inJunctor));
}

function normalizeMap(value: unknown, each: (name: string, schema: unknown) => unknown): Schema {
  if (!isRecord(value)) throw new Error(`expected a map of schemas, got ${JSON.stringify(value)}`);
  return Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, each(name, schema)]));
}

function normalizeProperties(node: Schema, ctx: Context, inJunctor: boolean): Schema {
  const required = Array.isArray(node.required) ? node.required : [];
  return normalizeMap(node.properties, (name, child) => {
    const schema = normalize(child, ctx, inJunctor);
    return ctx.optionalAcceptsNull && !required.includes(name) ? allowNull(schema) : schema;
  });
}

function normalizeKeyword(keyword: string, node: Schema, ctx: Context, inJunctor: boolean): unknown {
  const value = node[keyword];
  switch (keyword) {
    case 'properties':
      return normalizeProperties(node, ctx, inJunctor);
    case 'patternProperties':
    case 'definitions':
      return normalizeMap(value, (_name, child) => normalize(child, ctx, inJunctor));
    case 'dependencies':
      return normalizeMap(value, (_name, child) =>
        isRecord(child) ? normalize(child, ctx, inJunctor) : child,
      );
    case 'items':
      return Array.isArray(value) ? normalizeAll(value, ctx, inJunctor) : normalize(value, ctx, inJunctor);
    case 'additionalProperties':
    case 'additionalItems':
      return isRecord(value) ? normalize(value, ctx, inJunctor) : value;
    // A structural schema may list a field inside a junctor only if the outer schema lists it too: closing
    // the junctor's object would reject the outer schema's other fields.
    case 'allOf':
    case 'anyOf':
    case 'oneOf':
      return normalizeAll(value, ctx, true);
    case 'not':
      return normalize(value, ctx, true);
    default:
      return value; // type, required, enum, default, ... are data, not schemas
  }
}

function normalize(node: unknown, ctx: Context, inJunctor: boolean): Schema {
  if (!isRecord(node)) throw new Error(`expected a schema object, got ${JSON.stringify(node)}`);
  if (node.$ref !== undefined) {
    if (!ctx.resolveRef || typeof node.$ref !== 'string') {
      throw new Error(`unsupported $ref ${JSON.stringify(node.$ref)}`);
    }
    return ctx.resolveRef(node.$ref); // swagger 2 ignores a $ref's siblings (descriptions, patch hints)
  }
  let out: Schema = {};
  for (const keyword of Object.keys(node)) {
    if (!isDropped(keyword)) out[keyword] = normalizeKeyword(keyword, node, ctx, inJunctor);
  }
  if (isIntOrString(node)) asIntOrString(out);
  if (isStrictCandidate(node) && !inJunctor) out.additionalProperties = false;
  if (node['x-kubernetes-embedded-resource'] === true) out = allowResourceFields(out);
  return node.nullable === true ? allowNull(out) : out;
}

/**
 * Returns a function that expands a swagger definition with every `$ref` inlined. A reference back into the
 * chain being expanded becomes `{}`. Expansions that never met such a cycle do not depend on the chain, so
 * they are computed once and shared.
 */
function createInliner(definitions: Record<string, unknown>): (name: string) => Schema {
  const settled = new Map<string, Schema>();
  const chain: string[] = [];
  let cutBelow = false;
  const ctx: Context = { optionalAcceptsNull: true, resolveRef: (ref) => expand(definitionName(ref)) };

  function expand(name: string): Schema {
    const special = SPECIAL_DEFINITIONS[name];
    if (special) return special();
    const done = settled.get(name);
    if (done) return done;
    if (chain.includes(name)) {
      cutBelow = true;
      return {};
    }
    const definition = definitions[name];
    if (!isRecord(definition)) throw new Error(`$ref to unknown definition ${name}`);
    const outerCut = cutBelow;
    cutBelow = false;
    chain.push(name);
    const schema = normalize(definition, ctx, false);
    chain.pop();
    if (!cutBelow) settled.set(name, schema);
    cutBelow ||= outerCut;
    return schema;
  }
  return expand;
}

function definitionName(ref: string): string {
  if (!ref.startsWith(DEFINITION_PREFIX)) throw new Error(`unsupported $ref ${ref}`);
  return ref.slice(DEFINITION_PREFIX.length);
}

function groupVersionKinds(definition: unknown, name: string): GroupVersionKind[] {
  const entries = isRecord(definition) ? definition['x-kubernetes-group-version-kind'] : undefined;
  if (entries === undefined) return [];
  const valid =
    Array.isArray(entries) &&
    entries.every(
      (e) =>
        isRecord(e) &&
        typeof e.group === 'string' &&
        typeof e.version === 'string' &&
        typeof e.kind === 'string',
    );
  if (!valid) throw new Error(`definition ${name}: malformed x-kubernetes-group-version-kind`);
  return entries as GroupVersionKind[];
}

function apiVersionOf(gvk: GroupVersionKind): string {
  return gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`;
}

/** Converts a Kubernetes OpenAPI v2 document into kubeconform's `<kind><kindSuffix>.json` schemas. */
export function convertSwagger(swagger: unknown): Map<string, object> {
  const definitions = isRecord(swagger) ? swagger.definitions : undefined;
  if (!isRecord(definitions)) {
    throw new Error('not a Kubernetes OpenAPI v2 document: no "definitions" object');
  }
  const expand = createInliner(definitions);
  const schemas = new Map<string, object>();
  const owners = new Map<string, string>();
  for (const name of Object.keys(definitions)) {
    const gvks = groupVersionKinds(definitions[name], name);
    if (gvks.length === 0) continue;
    const schema = sortKeys(expand(name));
    for (const gvk of gvks) {
      const file = `${gvk.kind.toLowerCase()}${kindSuffix(apiVersionOf(gvk))}.json`;
      const owner = `${apiVersionOf(gvk)} ${gvk.kind} (${name})`;
      const previous = owners.get(file);
      if (previous !== undefined && previous !== owner) {
        throw new Error(`kubeconform schema ${file} would hold both ${previous} and ${owner}`);
      }
      owners.set(file, owner);
      schemas.set(file, schema);
    }
  }
  return schemas;
}

interface CrdSpec {
  name: string;
  group: string;
  kind: string;
  versions: unknown[];
}

function readCrd(crd: unknown): CrdSpec {
  const metadata = isRecord(crd) && isRecord(crd.metadata) ? crd.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '<unnamed>';
  if (
    !isRecord(crd) ||
    crd.apiVersion !== 'apiextensions.k8s.io/v1' ||
    crd.kind !== 'CustomResourceDefinition'
  ) {
    const found = isRecord(crd) ? `${String(crd.apiVersion)} ${String(crd.kind)}` : JSON.stringify(crd);
    throw new Error(`"${name}" is not an apiextensions.k8s.io/v1 CustomResourceDefinition (found ${found})`);
  }
  const spec = isRecord(crd.spec) ? crd.spec : {};
  const kind = isRecord(spec.names) ? spec.names.kind : undefined;
  if (typeof spec.group !== 'string' || typeof kind !== 'string' || !Array.isArray(spec.versions)) {
    throw new Error(
      `CustomResourceDefinition "${name}": spec.group, spec.names.kind or spec.versions is missing`,
    );
  }
  return { name, group: spec.group, kind, versions: spec.versions };
}

/** Converts an apiextensions.k8s.io/v1 CRD into `<group>/<kind>_<version>.json`, one per served version. */
export function convertCrd(crd: unknown): Map<string, object> {
  const { name, group, kind, versions } = readCrd(crd);
  const schemas = new Map<string, object>();
  for (const version of versions) {
    if (!isRecord(version) || version.served !== true || typeof version.name !== 'string') continue;
    const root = isRecord(version.schema) ? version.schema.openAPIV3Schema : undefined;
    if (!isRecord(root)) continue;
    try {
      const schema = allowResourceFields(normalize(root, { optionalAcceptsNull: false }, false));
      schemas.set(`${group}/${kind.toLowerCase()}_${version.name}.json`, sortKeys(schema));
    } catch (error) {
      throw new Error(
        `CustomResourceDefinition "${name}" version ${version.name}: ${(error as Error).message}`,
      );
    }
  }
  return schemas;
}
