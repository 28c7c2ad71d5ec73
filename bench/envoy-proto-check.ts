/**
 * Checks a JSON/YAML-shaped Envoy config against the envoy-api protos shipped with
 * @grpc/grpc-js-xds: unknown or deprecated fields, wrong value kinds, unknown enum names,
 * two members of one oneof, and the protoc-gen-validate rules Envoy enforces on load
 * (required messages and oneofs, non-empty strings, minimum list sizes). Used by the tests
 * to make sure the benchmark's bootstraps are ones Envoy itself would accept.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import protobuf from 'protobufjs';

const WRAPPER_KINDS: Record<string, string> = {
  '.google.protobuf.BoolValue': 'boolean',
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'string',
  '.google.protobuf.DoubleValue': 'number',
  '.google.protobuf.FloatValue': 'number',
  '.google.protobuf.Int32Value': 'integer',
  '.google.protobuf.UInt32Value': 'integer',
  '.google.protobuf.Int64Value': 'integer',
  '.google.protobuf.UInt64Value': 'integer',
};

const SCALAR_KINDS: Record<string, string> = {
  string: 'string',
  bytes: 'string',
  bool: 'boolean',
  double: 'number',
  float: 'number',
};

type Options = Record<string, unknown>;

/** Loads the given protos (paths relative to the envoy-api root) with their imports. */
export function loadEnvoyProtos(files: readonly string[]): protobuf.Root {
  const require = createRequire(import.meta.url);
  const xds = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
  const pbjs = path.dirname(require.resolve('protobufjs/package.json'));
  const dirs = [
    ...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(xds, 'deps', d)),
    pbjs,
  ];
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => dirs.map((d) => path.join(d, target)).find(existsSync) ?? target;
  root.loadSync([...files], { keepCase: true });
  root.resolveAll();
  return root;
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function kindMatches(expected: string, value: unknown): boolean {
  const kind = kindOf(value);
  if (expected === 'number') return kind === 'number' || kind === 'integer';
  // 64-bit integers may be written as strings in proto3 JSON.
  if (expected === 'integer')
    return kind === 'integer' || (kind === 'string' && /^-?\d+$/.test(String(value)));
  return kind === expected;
}

export class EnvoyConfigChecker {
  readonly problems: string[] = [];
  private readonly root: protobuf.Root;

  constructor(root: protobuf.Root) {
    this.root = root;
  }

  /** Checks `value` as a message of `typeName`; returns every problem found. */
  check(typeName: string, value: unknown): string[] {
    this.message(this.root.lookupType(typeName), value, typeName);
    return this.problems;
  }

  private message(type: protobuf.Type, value: unknown, at: string): void {
    if (kindOf(value) !== 'object') {
      this.problems.push(`${at}: expected a ${type.name} object, got ${kindOf(value)}`);
      return;
    }
    const obj = value as Record<string, unknown>;
    if (type.fullName === '.google.protobuf.Any') {
      const url = obj['@type'];
      if (typeof url !== 'string') {
        this.problems.push(`${at}: Any without @type`);
        return;
      }
      const inner = this.root.lookup(url.slice(url.lastIndexOf('/') + 1));
      if (!(inner instanceof protobuf.Type)) {
        this.problems.push(`${at}: unknown @type ${url}`);
        return;
      }
      const { '@type': _, ...rest } = obj;
      this.message(inner, rest, `${at}<${inner.name}>`);
      return;
    }
    if (type.fullName === '.google.protobuf.Struct') return;
    const chosen = new Map<string, string>();
    for (const [key, v] of Object.entries(obj)) {
      const field = type.fields[key];
      if (!field) {
        this.problems.push(`${at}.${key}: no such field in ${type.fullName.slice(1)}`);
        continue;
      }
      const options = (field.options ?? {}) as Options;
      if (options['deprecated'] === true) this.problems.push(`${at}.${key}: deprecated field`);
      const oneof = field.partOf;
      if (oneof && !oneof.name.startsWith('_')) {
        const other = chosen.get(oneof.name);
        if (other) this.problems.push(`${at}: ${other} and ${key} are both set in oneof ${oneof.name}`);
        chosen.set(oneof.name, key);
      }
      this.field(field, v, `${at}.${key}`);
    }
    this.validateRules(type, obj, chosen, at);
  }

  private validateRules(
    type: protobuf.Type,
    obj: Record<string, unknown>,
    chosen: Map<string, string>,
    at: string,
  ): void {
    for (const oneof of type.oneofsArray) {
      if (
        (oneof.options as Options | undefined)?.['(validate.required)'] === true &&
        !chosen.has(oneof.name)
      ) {
        this.problems.push(`${at}: one of ${oneof.oneof.join(', ')} is required`);
      }
    }
    for (const field of type.fieldsArray) {
      if (field.partOf && obj[field.name] === undefined) continue;
      const options = (field.options ?? {}) as Options;
      const v = obj[field.name];
      if (options['(validate.rules).message.required'] === true && v === undefined) {
        this.problems.push(`${at}.${field.name}: required`);
      }
      const minLen = options['(validate.rules).string.min_len'];
      if (typeof minLen === 'number' && (typeof v !== 'string' || v.length < minLen)) {
        this.problems.push(`${at}.${field.name}: must be a string of at least ${minLen} character(s)`);
      }
      const minItems = options['(validate.rules).repeated.min_items'];
      if (typeof minItems === 'number' && (!Array.isArray(v) || v.length < minItems)) {
        this.problems.push(`${at}.${field.name}: needs at least ${minItems} item(s)`);
      }
    }
  }

  private field(field: protobuf.Field, value: unknown, at: string): void {
    if (field.map) {
      if (kindOf(value) !== 'object') this.problems.push(`${at}: expected a map`);
      else for (const [k, v] of Object.entries(value as object)) this.single(field, v, `${at}[${k}]`);
    } else if (field.repeated) {
      if (!Array.isArray(value)) this.problems.push(`${at}: expected a list`);
      else for (const [i, v] of value.entries()) this.single(field, v, `${at}[${i}]`);
    } else this.single(field, value, at);
  }

  private single(field: protobuf.Field, value: unknown, at: string): void {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Enum) {
      const known = typeof value === 'string' ? value in resolved.values : Number.isInteger(value);
      if (!known) this.problems.push(`${at}: ${JSON.stringify(value)} is not a ${resolved.name} value`);
      return;
    }
    if (resolved instanceof protobuf.Type) {
      const name = resolved.fullName;
      const wrapper = WRAPPER_KINDS[name];
      if (wrapper !== undefined) {
        if (!kindMatches(wrapper, value))
          this.problems.push(`${at}: expected ${wrapper}, got ${kindOf(value)}`);
      } else if (name === '.google.protobuf.Duration') {
        if (typeof value !== 'string' || !/^-?\d+(\.\d{1,9})?s$/.test(value))
          this.problems.push(`${at}: expected a duration like "1.5s", got ${JSON.stringify(value)}`);
      } else this.message(resolved, value, at);
      return;
    }
    const expected = SCALAR_KINDS[field.type] ?? 'integer';
    if (!kindMatches(expected, value))
      this.problems.push(`${at}: expected ${expected}, got ${kindOf(value)}`);
  }
}
