/**
 * Checks that a decoded Envoy message sets only fields Skein implements. Envoy's schema is
 * accepted whole by the decoder; this is where a field we would otherwise silently ignore
 * becomes an error naming its path, so a bootstrap never means something other than it says.
 */
import protobuf from 'protobufjs';
import type { FieldPath, ProtoJsonError } from '../../xds/proto-json.js';
import { formatPath } from '../../xds/proto-json.js';
import { lookupMessage } from '../../xds/protos.js';

export type ConfigError = ProtoJsonError;

/** Thrown only on the config path (never on traffic) to abort applying a resource. */
export class ConfigRejected extends Error {
  readonly errors: readonly ConfigError[];
  constructor(errors: readonly ConfigError[]) {
    super(errors.map((e) => `${formatPath(e.path)}: ${e.message}`).join('; '));
    this.errors = errors;
  }
}

/** True when a field of a decoded `__Output` message holds something other than its default. */
export function isSet(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'string') return value !== '';
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'boolean') return value;
  if (value instanceof Uint8Array) return value.length > 0;
  return true; // a present sub-message, even an empty one, was set explicitly
}

interface TypeShape {
  readonly enumZero: ReadonlyMap<string, string>;
  readonly oneofs: ReadonlySet<string>;
  readonly maps: ReadonlySet<string>;
}
const shapes = new Map<string, TypeShape>();

function shapeOf(typeName: string): TypeShape {
  let shape = shapes.get(typeName);
  if (!shape) {
    const type = lookupMessage(typeName);
    if (!type) throw new Error(`unknown message type ${typeName}`);
    const enumZero = new Map<string, string>();
    for (const field of type.fieldsArray) {
      field.resolve();
      if (field.resolvedType instanceof protobuf.Enum && !field.repeated) {
        const zero = Object.entries(field.resolvedType.values).find(([, n]) => n === 0)?.[0];
        if (zero) enumZero.set(field.name, zero);
      }
    }
    const maps = new Set(type.fieldsArray.filter((f) => f instanceof protobuf.MapField).map((f) => f.name));
    shape = { enumZero, oneofs: new Set(type.oneofsArray.map((o) => o.name)), maps };
    shapes.set(typeName, shape);
  }
  return shape;
}

/**
 * Appends an error for every field of `message` (a decoded `typeName`) that is set but not in
 * `supported`. Enum fields at their zero value count as unset; oneof discriminators are skipped.
 */
export function checkSupported(
  typeName: string,
  message: object,
  supported: readonly string[],
  path: FieldPath,
  errors: ConfigError[],
): void {
  const shape = shapeOf(typeName);
  for (const [key, value] of Object.entries(message as Record<string, unknown>)) {
    if (supported.includes(key) || shape.oneofs.has(key)) continue;
    if (shape.enumZero.get(key) === value || !isSet(value)) continue;
    if (shape.maps.has(key) && Object.keys(value as object).length === 0) continue;
    errors.push({ path: [...path, key], message: `field '${key}' is not supported by Skein yet` });
  }
}
