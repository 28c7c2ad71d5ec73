/**
 * Strict proto3 JSON decoding against Envoy's protos, as Envoy's own YAML/JSON loader does:
 * unknown fields, wrong types, bad enum names, two members of one oneof and malformed
 * well-known types are errors that name the field path (`listeners[0].address.socket_address.port_value`).
 * protobufjs's own `fromObject` silently drops unknown fields, so it only runs after this check.
 *
 * Mapping rules: https://protobuf.dev/programming-guides/json/ — fields by JSON (lowerCamel)
 * or proto name; `null` means "unset"; `Any` is `{"@type": url, ...fields}` (or `{"@type", "value"}`
 * for well-known types); `Duration` is `"1.5s"`; wrappers are bare scalars; `Struct` is any object.
 */
import protobuf from 'protobufjs';
import { lookupMessage, OUTPUT_OPTIONS, TYPE_URL_PREFIX } from './protos.js';

export type FieldPath = readonly (string | number)[];

export interface ProtoJsonError {
  readonly path: FieldPath;
  readonly message: string;
}

export type ProtoJsonResult<T> = { ok: true; value: T } | { ok: false; errors: ProtoJsonError[] };

/** `a.b[0].c` */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out === '' ? '(root)' : out;
}

/** Decodes proto3 JSON (already parsed from YAML or JSON text) into the message's `__Output` shape. */
export function decodeProtoJson<T>(
  typeName: string,
  json: unknown,
  basePath: FieldPath = [],
): ProtoJsonResult<T> {
  const type = lookupMessage(typeName);
  if (!type) return { ok: false, errors: [{ path: basePath, message: `unknown message type ${typeName}` }] };
  const errors: ProtoJsonError[] = [];
  const input = new JsonToInput(errors).message(type, json, [...basePath]);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: type.toObject(type.fromObject(input as object), OUTPUT_OPTIONS) as T };
}

const INT32_RANGE: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  sint32: [-(2 ** 31), 2 ** 31 - 1],
  sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  fixed32: [0, 2 ** 32 - 1],
};
const INT64_TYPES = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);
const WRAPPERS: Record<string, string> = {
  '.google.protobuf.DoubleValue': 'double',
  '.google.protobuf.FloatValue': 'float',
  '.google.protobuf.Int64Value': 'int64',
  '.google.protobuf.UInt64Value': 'uint64',
  '.google.protobuf.Int32Value': 'int32',
  '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.BoolValue': 'bool',
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'bytes',
};
/** Well-known types whose JSON form is not an object of their fields; inside Any they sit under "value". */
const SPECIAL_JSON = new Set([
  ...Object.keys(WRAPPERS),
  '.google.protobuf.Duration',
  '.google.protobuf.Timestamp',
  '.google.protobuf.FieldMask',
  '.google.protobuf.Struct',
  '.google.protobuf.Value',
  '.google.protobuf.ListValue',
]);
const MAX_DURATION_SECONDS = 315_576_000_000;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function lowerCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = current;
    }
  }
  return row[b.length]!;
}

/** Field lookup by proto name and JSON name, cached per type. */
const fieldIndex = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();
function fieldsOf(type: protobuf.Type): Map<string, protobuf.Field> {
  let index = fieldIndex.get(type);
  if (!index) {
    index = new Map();
    for (const field of type.fieldsArray) {
      index.set(field.name, field);
      const jsonName = (field.options?.['json_name'] as string | undefined) ?? lowerCamel(field.name);
      index.set(jsonName, field);
    }
    fieldIndex.set(type, index);
  }
  return index;
}

/** Converts proto3 JSON into the permissive object protobufjs's `fromObject` takes, recording errors. */
class JsonToInput {
  constructor(errors: ProtoJsonError[]) {
    this.errors = errors;
  }

  private readonly errors: ProtoJsonError[];

  private fail(path: (string | number)[], message: string): undefined {
    this.errors.push({ path: [...path], message });
    return undefined;
  }

  message(type: protobuf.Type, json: unknown, path: (string | number)[]): unknown {
    const special = this.wellKnown(type, json, path);
    if (special !== NOT_SPECIAL) return special;
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      return this.fail(path, `expected an object for ${type.name}, got ${describe(json)}`);
    }
    const fields = fieldsOf(type);
    const out: Record<string, unknown> = {};
    const oneofSeen = new Map<string, string>();
    for (const [key, value] of Object.entries(json)) {
      const field = fields.get(key);
      if (!field) {
        const hint = closest(
          key,
          type.fieldsArray.map((f) => f.name),
        );
        this.fail(
          [...path, key],
          `unknown field '${key}' in ${type.fullName.slice(1)}${hint ? ` (did you mean '${hint}'?)` : ''}`,
        );
        continue;
      }
      if (field.name in out) {
        this.fail([...path, key], `field '${field.name}' is set twice (by its proto and its JSON name)`);
        continue;
      }
      if (value === null && field.resolvedType?.fullName !== '.google.protobuf.Value') continue;
      if (field.partOf) {
        const other = oneofSeen.get(field.partOf.name);
        if (other !== undefined) {
          this.fail(
            [...path, key],
            `'${field.name}' and '${other}' are both set, but only one of oneof '${field.partOf.name}' may be`,
          );
          continue;
        }
        oneofSeen.set(field.partOf.name, field.name);
      }
      const converted = this.field(field, value, [...path, key]);
      if (converted !== undefined) out[field.name] = converted;
    }
    return out;
  }

  private field(field: protobuf.Field, json: unknown, path: (string | number)[]): unknown {
    if (field instanceof protobuf.MapField) {
      if (json === null || typeof json !== 'object' || Array.isArray(json)) {
        return this.fail(path, `expected an object (map) , got ${describe(json)}`);
      }
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(json)) {
        if (field.keyType !== 'string' && !/^-?\d+$/.test(key))
          this.fail([...path, key], `map key must be an integer`);
        const converted = this.single(field, value, [...path, key]);
        if (converted !== undefined) out[key] = converted;
      }
      return out;
    }
    if (field.repeated) {
      if (!Array.isArray(json)) return this.fail(path, `expected a list, got ${describe(json)}`);
      return json.map((item, i) => this.single(field, item, [...path, i]));
    }
    return this.single(field, json, path);
  }

  private single(field: protobuf.Field, json: unknown, path: (string | number)[]): unknown {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) return this.message(resolved, json, path);
    if (resolved instanceof protobuf.Enum) return this.enumValue(resolved, json, path);
    return this.scalar(field.type, json, path);
  }

  private enumValue(type: protobuf.Enum, json: unknown, path: (string | number)[]): unknown {
    if (typeof json === 'string' && json in type.values) return json;
    if (typeof json === 'number' && Number.isInteger(json)) return json;
    const names = Object.keys(type.values);
    return this.fail(
      path,
      `invalid value ${describe(json)} for enum ${type.name}; expected one of ${names.join(', ')}`,
    );
  }

  scalar(kind: string, json: unknown, path: (string | number)[]): unknown {
    switch (kind) {
      case 'string':
        return typeof json === 'string' ? json : this.fail(path, `expected a string, got ${describe(json)}`);
      case 'bool':
        return typeof json === 'boolean'
          ? json
          : this.fail(path, `expected true or false, got ${describe(json)}`);
      case 'bytes':
        if (typeof json === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(json))
          return Buffer.from(json, 'base64');
        return this.fail(path, `expected base64 bytes, got ${describe(json)}`);
      case 'double':
      case 'float': {
        if (typeof json === 'number') return json;
        if (json === 'NaN' || json === 'Infinity' || json === '-Infinity') return Number(json);
        if (typeof json === 'string' && json.trim() !== '' && Number.isFinite(Number(json)))
          return Number(json);
        return this.fail(path, `expected a number, got ${describe(json)}`);
      }
      default: {
        const n =
          typeof json === 'number'
            ? json
            : typeof json === 'string' && /^-?\d+$/.test(json)
              ? Number(json)
              : NaN;
        if (!Number.isInteger(n))
          return this.fail(path, `expected an integer (${kind}), got ${describe(json)}`);
        const range = INT32_RANGE[kind];
        if (range && (n < range[0] || n > range[1]))
          return this.fail(path, `${n} is out of range for ${kind}`);
        if (INT64_TYPES.has(kind) && !Number.isSafeInteger(n)) return this.fail(path, `${json} is too large`);
        if (kind.startsWith('u') || kind.startsWith('fixed')) {
          if (n < 0) return this.fail(path, `${kind} cannot be negative`);
        }
        return n;
      }
    }
  }

  /** Well-known types with special JSON forms; returns NOT_SPECIAL for ordinary messages. */
  private wellKnown(type: protobuf.Type, json: unknown, path: (string | number)[]): unknown {
    const name = type.fullName;
    const wrapped = WRAPPERS[name];
    if (wrapped) {
      const value = this.scalar(wrapped, json, path);
      return value === undefined ? undefined : { value };
    }
    switch (name) {
      case '.google.protobuf.Any':
        return this.any(json, path);
      case '.google.protobuf.Duration':
        return this.duration(json, path);
      case '.google.protobuf.Timestamp':
        return this.timestamp(json, path);
      case '.google.protobuf.FieldMask':
        return typeof json === 'string'
          ? { paths: json === '' ? [] : json.split(',') }
          : this.fail(path, `expected a field mask string, got ${describe(json)}`);
      case '.google.protobuf.Struct':
        if (json === null || typeof json !== 'object' || Array.isArray(json)) {
          return this.fail(path, `expected an object, got ${describe(json)}`);
        }
        return structOf(json as Record<string, unknown>);
      case '.google.protobuf.Value':
        return jsonValue(json);
      case '.google.protobuf.ListValue':
        return Array.isArray(json)
          ? { values: json.map(jsonValue) }
          : this.fail(path, `expected a list, got ${describe(json)}`);
      default:
        return NOT_SPECIAL;
    }
  }

  private any(json: unknown, path: (string | number)[]): unknown {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      return this.fail(path, `expected an object with "@type", got ${describe(json)}`);
    }
    const { '@type': typeUrl, ...rest } = json as Record<string, unknown>;
    if (typeof typeUrl !== 'string')
      return this.fail([...path, '@type'], `"@type" is required for google.protobuf.Any`);
    const slash = typeUrl.lastIndexOf('/');
    const inner = lookupMessage(typeUrl.slice(slash + 1));
    if (slash < 0 || !inner) return this.fail([...path, '@type'], `unknown type URL '${typeUrl}'`);
    const body = SPECIAL_JSON.has(inner.fullName) ? rest['value'] : rest;
    const before = this.errors.length;
    const converted = this.message(inner, body, path);
    if (this.errors.length > before || converted === undefined) return undefined;
    const bytes = inner.encode(inner.fromObject(converted as object)).finish();
    return { type_url: TYPE_URL_PREFIX + inner.fullName.slice(1), value: Buffer.from(bytes) };
  }

  private duration(json: unknown, path: (string | number)[]): unknown {
    const match = typeof json === 'string' ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(json) : null;
    if (!match) return this.fail(path, `expected a duration like "1.5s", got ${describe(json)}`);
    const sign = match[1] ? -1 : 1;
    const seconds = Number(match[2]);
    if (seconds > MAX_DURATION_SECONDS) return this.fail(path, `duration ${json} is out of range`);
    const nanos = match[3] ? Number(match[3].padEnd(9, '0')) : 0;
    return { seconds: sign * seconds, nanos: sign * nanos };
  }

  private timestamp(json: unknown, path: (string | number)[]): unknown {
    const ms = typeof json === 'string' ? Date.parse(json) : NaN;
    if (!Number.isFinite(ms)) return this.fail(path, `expected an RFC 3339 timestamp, got ${describe(json)}`);
    const fraction = /\.(\d{1,9})/.exec(json as string)?.[1];
    return { seconds: Math.floor(ms / 1000), nanos: fraction ? Number(fraction.padEnd(9, '0')) : 0 };
  }
}

const NOT_SPECIAL = Symbol('not special');

// protobufjs's bundled google/protobuf/struct.proto names Value's fields in lowerCamel.
function jsonValue(json: unknown): unknown {
  if (json === null || json === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof json === 'number') return { numberValue: json };
  if (typeof json === 'string') return { stringValue: json };
  if (typeof json === 'boolean') return { boolValue: json };
  if (Array.isArray(json)) return { listValue: { values: json.map(jsonValue) } };
  return { structValue: structOf(json as Record<string, unknown>) };
}

function structOf(json: Record<string, unknown>): unknown {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) fields[key] = jsonValue(value);
  return { fields };
}
