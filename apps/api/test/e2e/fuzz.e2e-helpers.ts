import fc from 'fast-check';

/** The part of an OpenAPI 3 document the fuzzer reads. */
export interface SchemaObject {
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  nullable?: boolean;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  items?: SchemaObject;
  $ref?: string;
  allOf?: SchemaObject[];
  oneOf?: SchemaObject[];
  anyOf?: SchemaObject[];
}

interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: SchemaObject;
}

interface OperationObject {
  parameters?: ParameterObject[];
  requestBody?: { content?: Record<string, { schema?: SchemaObject }> };
  security?: Record<string, string[]>[];
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, SchemaObject> };
}

/** One method on one path, as the document describes it. */
export interface Operation {
  method: string;
  /** The OpenAPI path, e.g. `/files/meta/{userIdHash}/{fileId}`. */
  path: string;
  pathParams: string[];
  queryParams: ParameterObject[];
  body?: SchemaObject;
  bearer: boolean;
}

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete'];

/** Every operation of the document: routes added later are fuzzed without touching the test. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const parameters = op.parameters ?? [];
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]),
        queryParams: parameters.filter((p) => p.in === 'query'),
        body: op.requestBody?.content?.['application/json']?.schema,
        bearer: (op.security ?? []).some((s) => 'bearer' in s),
      });
    }
  }
  return operations;
}

export function resolve(doc: OpenApiDocument, schema: SchemaObject): SchemaObject {
  if (schema.$ref) return resolve(doc, doc.components?.schemas?.[schema.$ref.replace('#/components/schemas/', '')] ?? {});
  const only = schema.allOf ?? schema.oneOf ?? schema.anyOf;
  if (only?.length === 1) return { ...resolve(doc, only[0]), nullable: schema.nullable };
  return schema;
}

// ---- strings ----

/** Strings that broke servers before: NUL, unpaired surrogates, bidi controls, separators, prototype names. */
const EDGE_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udc00', '\udc00\ud800', '\ud83d\ude00', '\u202e', 'gpj.\u202eexe', '\u2066x\u2069', '\u200f', '\u061c',
  '\u2028', '\u2029', '\r\n', '\t', '\u001b[31m', '\ufeff', '\uffff', '\ufffd', 'e\u0301', '👩‍💻', '__proto__', 'constructor', 'toString',
  '../../etc/passwd', '%00', '%', '%E0%A4%A', "' OR 1=1 --", '\\', '"', '{}', '[]', 'null', 'true', '0', '-1', '1e400', 'NaN',
  'usrh-', `usrh-${'0'.repeat(32)}`, '00000000-0000-0000-0000-000000000000', 'a@b', 'alice@example.com', '123456',
];

const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

export const edgeString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...EDGE_STRINGS), weight: 4 },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.array(anyCodeUnit, { maxLength: 20 }).map((units) => units.join('')), weight: 2 },
  { arbitrary: fc.tuple(fc.constantFrom('a', 'é', '\u0000', '\ud800', '€', '😀'), fc.integer({ min: 200, max: 20_000 })).map(([c, n]) => c.repeat(n)), weight: 1 },
);

// ---- numbers ----

/** Numbers that JSON can carry and that have broken integer columns before. */
export const edgeNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 0.5, -0.0001, 2 ** 31, 2 ** 31 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 1e308, -1e308, Number.MIN_VALUE, 65536, 19456),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

// ---- JSON values ----

/** Any JSON value, strings from the edge set; deep-ish nesting around the parser's 32-level bound. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 4 }), weight: 4 },
  { arbitrary: fc.dictionary(edgeString, fc.oneof(edgeString, edgeNumber, fc.boolean(), fc.constant(null)), { maxKeys: 5 }), weight: 3 },
  { arbitrary: fc.tuple(fc.integer({ min: 1, max: 40 }), fc.boolean()).map(([depth, arrays]) => nest(depth, arrays)), weight: 1 },
  { arbitrary: edgeString, weight: 1 },
  { arbitrary: edgeNumber, weight: 1 },
);

function nest(depth: number, arrays: boolean): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
  return value;
}

/** A value that fits the schema's type (a well-formed example when there is one), or a wrong one. */
export function valueFor(doc: OpenApiDocument, raw: SchemaObject, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(doc, raw);
  const fitting: fc.Arbitrary<unknown>[] = [];
  if (schema.example !== undefined) fitting.push(fc.constant(schema.example));
  if (schema.enum?.length) fitting.push(fc.constantFrom(...schema.enum));
  if (schema.nullable) fitting.push(fc.constant(null));
  switch (schema.type) {
    case 'string':
      fitting.push(schema.format === 'uuid' ? fc.uuid() : edgeString);
      break;
    case 'integer':
    case 'number':
      fitting.push(edgeNumber);
      break;
    case 'boolean':
      fitting.push(fc.boolean());
      break;
    case 'array':
      if (depth < 3) fitting.push(fc.array(valueFor(doc, schema.items ?? {}, depth + 1), { maxLength: 3 }));
      break;
    default:
      if (schema.properties && depth < 3) fitting.push(objectFor(doc, schema, depth + 1));
  }
  if (fitting.length === 0) return anyJson;
  return fc.oneof({ arbitrary: fc.oneof(...fitting), weight: 4 }, { arbitrary: anyJson, weight: 1 });
}

/** An object of the schema's shape: each field present or not, fitting or wrong, plus unknown fields now and then. */
export function objectFor(doc: OpenApiDocument, raw: SchemaObject, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const schema = resolve(doc, raw);
  const fields = Object.entries(schema.properties ?? {}).map(([name, property]) =>
    fc.option(valueFor(doc, property, depth).map((value) => [name, value] as const), { freq: 6 }),
  );
  const unknownField = fc.tuple(fc.oneof(edgeString, fc.constantFrom('__proto__', 'constructor', 'prototype', 'x')), anyJson);
  const extra = fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary: unknownField, weight: 1 });
  return fc.tuple(fc.tuple(...fields), extra).map(([present, unknown]) => {
    const object: Record<string, unknown> = {};
    for (const entry of present) if (entry) object[entry[0]] = entry[1];
    // defineProperty: a plain assignment of "__proto__" would change the prototype instead of adding a field.
    if (unknown) Object.defineProperty(object, unknown[0], { value: unknown[1], enumerable: true, configurable: true, writable: true });
    return object;
  });
}
