/**
 * The other direction of proto-json.ts: a decoded `__Output` message back to canonical proto3
 * JSON, as Envoy's admin prints config (`/config_dump`): proto field names (snake_case, as
 * Envoy's dump keeps them), fields at their default omitted, enums by name, 64-bit integers as
 * strings, bytes as base64, `Any` as `{"@type": url, ...fields}` unpacked recursively, and the
 * well-known types in their JSON forms (`"1.5s"` durations, RFC 3339 timestamps, bare wrappers,
 * plain JSON for Struct and Value). https://protobuf.dev/programming-guides/json/
 */
import protobuf from 'protobufjs';
import { formatDuration } from './duration.js';
import { lookupMessage, unpackAny } from './protos.js';

const WRAPPERS = new Set([
  '.google.protobuf.DoubleValue',
  '.google.protobuf.FloatValue',
  '.google.protobuf.Int64Value',
  '.google.protobuf.UInt64Value',
  '.google.protobuf.Int32Value',
  '.google.protobuf.UInt32Value',
  '.google.protobuf.BoolValue',
  '.google.protobuf.StringValue',
  '.google.protobuf.BytesValue',
]);
const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** `value` (a decoded `typeName`) as proto3 JSON; undefined when the type is unknown. */
export function encodeProtoJson(typeName: string, value: object): Json | undefined {
  const type = lookupMessage(typeName);
  return type ? message(type, value as Record<string, unknown>) : undefined;
}

function message(type: protobuf.Type, value: Record<string, unknown>): Json {
  const name = type.fullName;
  if (name === '.google.protobuf.Any') return any(value);
  if (name === '.google.protobuf.Duration') {
    return formatDuration(Number(value.seconds ?? 0) * 1000 + Number(value.nanos ?? 0) / 1e6);
  }
  if (name === '.google.protobuf.Timestamp') {
    return new Date(Number(value.seconds ?? 0) * 1000 + Number(value.nanos ?? 0) / 1e6).toISOString();
  }
  if (WRAPPERS.has(name)) return scalar(type.fields.value!, value.value);
  if (name === '.google.protobuf.Struct') return struct(value);
  if (name === '.google.protobuf.Value') return jsonValue(value);
  if (name === '.google.protobuf.ListValue') return ((value.values as Record<string, unknown>[]) ?? []).map(jsonValue);
  if (name === '.google.protobuf.FieldMask') return ((value.paths as string[]) ?? []).join(',');
  const out: { [key: string]: Json } = {};
  for (const field of type.fieldsArray) {
    const v = value[field.name];
    if (v === undefined || v === null) continue;
    field.resolve();
    // A oneof member is present when chosen, even at its default; other fields when not default.
    const chosen = field.partOf !== null && field.partOf !== undefined && value[field.partOf.name] === field.name;
    if (field.map) {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) continue;
      out[field.name] = Object.fromEntries(entries.map(([k, e]) => [k, fieldValue(field, e)]));
    } else if (field.repeated) {
      const list = v as unknown[];
      if (list.length > 0) out[field.name] = list.map((e) => fieldValue(field, e));
    } else if (chosen || field.resolvedType instanceof protobuf.Type || field.options?.proto3_optional || !isDefault(field, v)) {
      out[field.name] = fieldValue(field, v);
    }
  }
  return out;
}

function fieldValue(field: protobuf.Field, v: unknown): Json {
  if (field.resolvedType instanceof protobuf.Type) return message(field.resolvedType, v as Record<string, unknown>);
  if (field.resolvedType instanceof protobuf.Enum) {
    return typeof v === 'number' ? (field.resolvedType.valuesById[v] ?? v) : (v as string);
  }
  return scalar(field, v);
}

function scalar(field: protobuf.Field, v: unknown): Json {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (INT64.has(field.type)) return String(v);
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  return v as Json;
}

function isDefault(field: protobuf.Field, v: unknown): boolean {
  if (field.resolvedType instanceof protobuf.Enum) {
    return v === 0 || field.resolvedType.values[v as string] === 0;
  }
  if (v instanceof Uint8Array) return v.length === 0;
  return v === 0 || v === '' || v === false;
}

function any(value: Record<string, unknown>): Json {
  const typeUrl = String(value.type_url ?? '');
  const unpacked = unpackAny<Record<string, unknown>>({ type_url: typeUrl, value: (value.value as Uint8Array) ?? new Uint8Array() });
  if (!unpacked.ok) return { '@type': typeUrl, value: Buffer.from((value.value as Uint8Array) ?? []).toString('base64') };
  const type = lookupMessage(unpacked.typeName)!;
  const inner = message(type, unpacked.value);
  // Well-known types with a non-object JSON form sit under "value" inside an Any.
  return inner !== null && typeof inner === 'object' && !Array.isArray(inner)
    ? { '@type': typeUrl, ...inner }
    : { '@type': typeUrl, value: inner };
}

function struct(value: Record<string, unknown>): Json {
  const fields = (value.fields ?? {}) as Record<string, Record<string, unknown>>;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, jsonValue(v)]));
}

function jsonValue(value: Record<string, unknown>): Json {
  switch (value.kind) {
    case 'nullValue':
      return null;
    case 'numberValue':
      return value.numberValue as number;
    case 'stringValue':
      return value.stringValue as string;
    case 'boolValue':
      return value.boolValue as boolean;
    case 'structValue':
      return struct(value.structValue as Record<string, unknown>);
    case 'listValue':
      return (((value.listValue as Record<string, unknown>).values as Record<string, unknown>[]) ?? []).map(jsonValue);
    default:
      return null;
  }
}
