/**
 * The AWS SDK v3's own service schemas, read at run time: every `@aws-sdk/client-*` package exports its Smithy
 * "static schemas" (`CreateModel$`, `CreateModelInput$`, …; source in `dist-es/schemas/schemas_0.js`). Nothing
 * here lists fields by hand: member names, member types and required members all come from those arrays.
 *
 * Encoding (from @smithy/core/schema and the generated files):
 * - operation  `[9, ns, name, traits, () => input, () => output]`
 * - structure  `[3, ns, name, traits, memberNames[], memberSchemas[], requiredCount?]` — the first
 *   `requiredCount` members are the required ones; error structures use kind -3, unions kind 4
 * - list `[1, ns, name, traits, member]`, map `[2, ns, name, traits, key, value]`, simple `[0, ns, name, traits, type]`
 * - a member schema is a type number, a thunk, a schema array, or `[schema, traits]`
 * - type numbers: 0 string, 1 number, 2 boolean, 4–7 timestamp, 15 document, 17/19 big number, 21 blob,
 *   42 streaming blob; `64 | t` a list of t, `128 | t` a map of string to t
 * - traits: an object (`{ httpQuery: 'qos' }`) or a bit field (1 httpLabel, 16 httpPayload, …)
 */

export type AwsService =
  | 'sagemaker'
  | 'sagemaker-runtime'
  | 'athena'
  | 's3'
  | 'cloudwatch'
  | 'sns'
  | 'dynamodb'
  | 'iot-data-plane'
  | 'sfn'
  | 'lambda'
  | 'firehose';

type SchemaExports = Record<string, unknown>;

// Loaded on first use: each client package is large, and most processes touch two or three of them.
const LOADERS: Record<AwsService, () => SchemaExports> = {
  sagemaker: () => require('@aws-sdk/client-sagemaker'),
  'sagemaker-runtime': () => require('@aws-sdk/client-sagemaker-runtime'),
  athena: () => require('@aws-sdk/client-athena'),
  s3: () => require('@aws-sdk/client-s3'),
  cloudwatch: () => require('@aws-sdk/client-cloudwatch'),
  sns: () => require('@aws-sdk/client-sns'),
  dynamodb: () => require('@aws-sdk/client-dynamodb'),
  'iot-data-plane': () => require('@aws-sdk/client-iot-data-plane'),
  sfn: () => require('@aws-sdk/client-sfn'),
  lambda: () => require('@aws-sdk/client-lambda'),
  firehose: () => require('@aws-sdk/client-firehose'),
};

const loaded = new Map<AwsService, SchemaExports>();

export function schemaExports(service: AwsService): SchemaExports {
  let mod = loaded.get(service);
  if (!mod) {
    mod = LOADERS[service]();
    loaded.set(service, mod);
  }
  return mod;
}

export const SIMPLE = {
  string: 0,
  number: 1,
  boolean: 2,
  document: 15,
  bigInteger: 17,
  bigDecimal: 19,
  blob: 21,
  streamingBlob: 42,
} as const;

export interface HttpBinding {
  readonly label?: boolean;
  readonly payload?: boolean;
  readonly query?: string;
  readonly header?: string;
}

export interface Member {
  readonly name: string;
  readonly required: boolean;
  readonly http: HttpBinding;
  shape(): Shape;
}

export type Shape =
  | { readonly kind: 'simple'; readonly type: number }
  | { readonly kind: 'list'; member(): Shape }
  | { readonly kind: 'map'; value(): Shape }
  | { readonly kind: 'structure' | 'union'; readonly name: string; readonly members: readonly Member[] };

const isArray = (v: unknown): v is unknown[] => Array.isArray(v);

function bindingOf(traits: unknown): HttpBinding {
  if (typeof traits === 'number') return { label: (traits & 1) === 1, payload: (traits & 16) === 16 };
  if (traits && typeof traits === 'object') {
    const t = traits as Record<string, unknown>;
    return {
      label: t.httpLabel !== undefined,
      payload: t.httpPayload !== undefined,
      ...(typeof t.httpQuery === 'string' ? { query: t.httpQuery } : {}),
      ...(typeof t.httpHeader === 'string' ? { header: t.httpHeader } : {}),
    };
  }
  return {};
}

const cache = new WeakMap<object, Shape>();

/** A schema reference (any of the forms above) as a Shape; nested shapes resolve lazily (schemas are cyclic). */
export function shapeOf(ref: unknown): Shape {
  if (typeof ref === 'function') return shapeOf((ref as () => unknown)());
  if (typeof ref === 'number') {
    if (ref & 64) return { kind: 'list', member: () => shapeOf(ref & 63) };
    if (ref & 128) return { kind: 'map', value: () => shapeOf(ref & 63) };
    return { kind: 'simple', type: ref };
  }
  if (!isArray(ref)) throw new TypeError(`Not an SDK schema: ${String(ref)}`);
  const hit = cache.get(ref);
  if (hit) return hit;
  let shape: Shape;
  if (ref.length === 2) {
    shape = shapeOf(ref[0]); // member wrapper [schema, traits]
  } else {
    const kind = ref[0];
    if (kind === 3 || kind === -3 || kind === 4) {
      const names = ref[4] as string[];
      const schemas = ref[5] as unknown[];
      const requiredCount = typeof ref[6] === 'number' ? ref[6] : 0;
      shape = {
        kind: kind === 4 ? 'union' : 'structure',
        name: String(ref[2]),
        members: names.map((name, i) => {
          const schema = schemas[i];
          return {
            name,
            required: i < requiredCount,
            http: isArray(schema) && schema.length === 2 ? bindingOf(schema[1]) : {},
            shape: () => shapeOf(schema),
          };
        }),
      };
    } else if (kind === 1) {
      shape = { kind: 'list', member: () => shapeOf(ref[4]) };
    } else if (kind === 2) {
      shape = { kind: 'map', value: () => shapeOf(ref[5]) };
    } else if (kind === 0) {
      shape = shapeOf(ref[4]);
    } else {
      throw new TypeError(`Unsupported SDK schema kind ${String(kind)} (${String(ref[2])})`);
    }
  }
  cache.set(ref, shape);
  return shape;
}

/** `createModel` / `CreateModel` → the operation's input structure, or undefined when the SDK has no such operation. */
export function operationInput(service: AwsService, operation: string): Shape | undefined {
  const name = operation.charAt(0).toUpperCase() + operation.slice(1);
  const op = schemaExports(service)[`${name}$`];
  if (!isArray(op) || op[0] !== 9) return undefined;
  return shapeOf(op[4]);
}

/** True when the service's model declares this error shape (e.g. Athena InvalidRequestException). */
export function isModeledError(service: AwsService, shapeName: string): boolean {
  const schema = schemaExports(service)[`${shapeName}$`];
  return isArray(schema) && schema[0] === -3;
}

/** The service's generic exception (`SageMakerServiceException`): what an unmodeled error code becomes. */
export function serviceExceptionName(service: AwsService): string {
  const name = Object.keys(schemaExports(service)).find(
    (k) => k.endsWith('ServiceException$') && isArray(schemaExports(service)[k]),
  );
  return name ? name.slice(0, -1) : 'ServiceException';
}

/** The wire code of an error shape (awsQuery services answer `InvalidParameterValue` for InvalidParameterValueException). */
export function errorCode(service: AwsService, shapeName: string): string {
  const schema = schemaExports(service)[`${shapeName}$`];
  if (!isArray(schema)) return shapeName;
  const traits = schema[3];
  if (traits && typeof traits === 'object') {
    for (const value of Object.values(traits as Record<string, unknown>)) {
      if (isArray(value) && typeof value[0] === 'string') return value[0]; // awsQueryError: [code, status]
    }
  }
  return shapeName;
}
