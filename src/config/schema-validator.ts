/**
 * Validates a custom resource's spec against its CRD's openAPIV3Schema the way the Kubernetes
 * API server with strict field validation does (what `kubectl apply` and `istioctl validate`
 * report): structural-schema pruning of unknown fields becomes an "unknown field" error (with a
 * "did you mean" hint), `default`s are applied, and `x-kubernetes-validations` CEL rules and
 * `x-kubernetes-list-type` uniqueness are checked on the defaulted object.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isIPv4, isIPv6 } from 'node:net';
import { RE2JS } from 're2js';
import { compileCel } from './cel.js';
import { type Crd, type CrdVersion, crdSchema } from './crd-schemas.js';
import { type FieldPath, fieldPathFromPointer } from './field-path.js';
import { closest } from './suggest.js';

export interface Issue {
  readonly level: 'error' | 'warning';
  readonly path: FieldPath;
  readonly message: string;
}

export interface SchemaResult {
  /** The spec with the schema's defaults applied (the input is not modified). */
  readonly spec: unknown;
  readonly issues: readonly Issue[];
}

type Schema = Record<string, unknown>;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** Kubernetes checks `pattern` with Go's regexp (RE2), unanchored: so do we. */
function re2Engine(pattern: string): { test(s: string): boolean; toString(): string } {
  const compiled = RE2JS.compile(pattern);
  // ajv caches compiled patterns under toString(): it must be unique per pattern.
  return { test: (s: string) => compiled.matcher(s).find(), toString: () => `re2:${pattern}` };
}
re2Engine.code = 're2js';

let ajv: Ajv | undefined;
function getAjv(): Ajv {
  ajv ??= new Ajv({
    allErrors: true,
    strict: false,
    useDefaults: true,
    verbose: true,
    code: { regExp: re2Engine },
    // Integer and number formats are informational in Kubernetes; byte and date-time are checked.
    formats: {
      int32: true,
      int64: true,
      double: true,
      float: true,
      byte: BASE64,
      'date-time': RFC3339,
      ipv4: (s: string) => isIPv4(s),
      ipv6: (s: string) => isIPv6(s),
    },
  });
  return ajv;
}

/**
 * Structural-schema pruning drops fields a schema does not declare (unless it preserves unknown
 * fields); strict field validation reports them. additionalProperties: false says the same.
 */
function strictSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema as Schema)) {
    if (key === 'properties') {
      out[key] = Object.fromEntries(Object.entries(value as Schema).map(([name, child]) => [name, strictSchema(child)]));
    } else if (['items', 'additionalProperties', 'not', 'allOf', 'anyOf', 'oneOf'].includes(key)) {
      out[key] = strictSchema(value);
    } else {
      out[key] = value;
    }
  }
  if (out.type === 'object' && out['x-kubernetes-preserve-unknown-fields'] !== true && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

interface CompiledVersion {
  readonly validate: ValidateFunction;
  readonly specSchema: Schema | undefined;
  readonly specRequired: boolean;
}

const compiled = new Map<string, CompiledVersion>();

function compileVersion(schemaId: string): CompiledVersion {
  let entry = compiled.get(schemaId);
  if (!entry) {
    const root = crdSchema(schemaId);
    const properties = (root.properties ?? {}) as Schema;
    const specSchema = properties.spec as Schema | undefined;
    const specRequired = Array.isArray(root.required) && root.required.includes('spec');
    const wrapper = {
      type: 'object',
      properties: specSchema ? { spec: strictSchema(specSchema) } : {},
      ...(specRequired ? { required: ['spec'] } : {}),
    };
    entry = { validate: getAjv().compile(wrapper), specSchema, specRequired };
    compiled.set(schemaId, entry);
  }
  return entry;
}

/** Removes null-valued fields, as the API server prunes nulls of non-nullable fields. */
export function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) if (child !== null) out[key] = dropNulls(child);
  return out;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** For Istio's generated "at most one of" oneOf: the field names it ranges over. */
function oneOfFields(oneOf: unknown): string[] | undefined {
  if (!Array.isArray(oneOf)) return undefined;
  const fields: string[] = [];
  for (const branch of oneOf as Schema[]) {
    const required = branch.required;
    if (Array.isArray(required) && required.length === 1) fields.push(String(required[0]));
    else if (!branch.not) return undefined;
  }
  return fields;
}

function messageFor(error: ErrorObject): { path: FieldPath; message: string } {
  const path = fieldPathFromPointer(error.instancePath);
  const params = error.params as Record<string, unknown>;
  const parent = (error.parentSchema ?? {}) as Schema;
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const hint = closest(field, Object.keys((parent.properties ?? {}) as Schema));
      return { path: [...path, field], message: `unknown field "${field}"${hint ? ` (did you mean "${hint}"?)` : ''}` };
    }
    case 'required':
      return { path: [...path, String(params.missingProperty)], message: 'Required value' };
    case 'type':
      return { path, message: `Invalid value: ${describe(error.data)}: must be of type ${String(params.type)}` };
    case 'enum':
      return {
        path,
        message: `Unsupported value: ${describe(error.data)}: supported values: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'oneOf': {
      const fields = oneOfFields(parent.oneOf);
      const data = (error.data ?? {}) as Record<string, unknown>;
      if (fields) {
        const set = fields.filter((f) => f in data);
        return { path, message: `only one of ${fields.join(', ')} may be set, found ${set.join(' and ')}` };
      }
      return { path, message: 'must validate one and only one schema (oneOf)' };
    }
    case 'anyOf':
      return parent['x-kubernetes-int-or-string']
        ? { path, message: `Invalid value: ${describe(error.data)}: must be an integer or a string` }
        : { path, message: 'must validate at least one schema (anyOf)' };
    case 'pattern':
      return { path, message: `Invalid value: ${describe(error.data)}: should match '${String(params.pattern)}'` };
    case 'format':
      return { path, message: `Invalid value: ${describe(error.data)}: must be of format ${String(params.format)}` };
    case 'maximum':
    case 'minimum':
    case 'exclusiveMaximum':
    case 'exclusiveMinimum':
      return { path, message: `Invalid value: ${describe(error.data)}: ${error.message ?? ''}` };
    case 'maxItems':
      return { path, message: `Too many: ${(error.data as unknown[]).length}: must have at most ${String(params.limit)} items` };
    case 'minItems':
      return { path, message: `Invalid value: must have at least ${String(params.limit)} items` };
    case 'maxLength':
      return { path, message: `Too long: may not be more than ${String(params.limit)} bytes` };
    case 'minLength':
      return { path, message: `Invalid value: ${describe(error.data)}: should be at least ${String(params.limit)} chars long` };
    case 'maxProperties':
      return { path, message: `Too many: must have at most ${String(params.limit)} items` };
    default:
      return { path, message: error.message ?? error.keyword };
  }
}

/** Drops the errors of the branches of a failed oneOf/anyOf: the combinator's own error explains. */
function withoutBranchErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const combinators = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => `${e.schemaPath}/`);
  return errors.filter((e) => !combinators.some((prefix) => e.schemaPath.startsWith(prefix)));
}

// ---- CEL rules and list types, on the defaulted object ----

/** CEL rules the CRDs carry that Skein cannot evaluate (unsupported syntax), by rule text. */
export const unenforcedCelRules = new Map<string, string>();

function listKey(item: unknown, keys: readonly string[]): string {
  const object = (item ?? {}) as Record<string, unknown>;
  return JSON.stringify(keys.map((k) => object[k] ?? null));
}

function checkExtensions(schema: Schema, data: unknown, path: (string | number)[], issues: Issue[]): void {
  if (data === undefined) return;
  const rules = schema['x-kubernetes-validations'];
  if (Array.isArray(rules)) {
    for (const rule of rules as { rule: string; message?: string; fieldPath?: string }[]) {
      const program = compileCel(rule.rule);
      if (!program.ok) {
        unenforcedCelRules.set(rule.rule, program.error);
        continue;
      }
      if (program.program.transition) continue; // needs the stored object: skipped on create, as Kubernetes does
      let holds = true;
      try {
        holds = program.program.holds(data);
      } catch {
        // An evaluation error on schema-valid data (a missing optional field) is not a rule violation here.
      }
      if (!holds) {
        const where = rule.fieldPath ? [...path, ...rule.fieldPath.replace(/^\./, '').split('.')] : path;
        issues.push({ level: 'error', path: where, message: `Invalid value: ${rule.message ?? `failed rule: ${rule.rule}`}` });
      }
    }
  }
  const listType = schema['x-kubernetes-list-type'];
  if (Array.isArray(data) && (listType === 'set' || listType === 'map')) {
    const keys = (schema['x-kubernetes-list-map-keys'] ?? []) as string[];
    const seen = new Set<string>();
    data.forEach((item, i) => {
      const key = listType === 'set' ? JSON.stringify(item) : listKey(item, keys);
      if (seen.has(key)) issues.push({ level: 'error', path: [...path, i], message: `Duplicate value: ${describe(item)}` });
      seen.add(key);
    });
  }
  if (Array.isArray(data) && schema.items && typeof schema.items === 'object') {
    data.forEach((item, i) => checkExtensions(schema.items as Schema, item, [...path, i], issues));
  } else if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    const properties = (schema.properties ?? {}) as Schema;
    const additional = schema.additionalProperties;
    for (const [key, value] of Object.entries(data)) {
      const child = (properties[key] ?? (typeof additional === 'object' ? additional : undefined)) as Schema | undefined;
      if (child) checkExtensions(child, value, [...path, key], issues);
    }
  }
  for (const combinator of ['allOf'] as const) {
    const branches = schema[combinator];
    if (Array.isArray(branches)) for (const branch of branches as Schema[]) checkExtensions(branch, data, path, issues);
  }
}

/** Validates `spec` (already free of nulls) against the CRD version's schema. */
export function validateSpec(version: CrdVersion, spec: unknown): SchemaResult {
  const entry = compileVersion(version.schema);
  const wrapper: { spec?: unknown } = spec === undefined ? {} : { spec: structuredClone(spec) };
  const valid = entry.validate(wrapper);
  const issues: Issue[] = [];
  if (!valid) {
    for (const error of withoutBranchErrors(entry.validate.errors ?? [])) {
      const { path, message } = messageFor(error);
      issues.push({ level: 'error', path, message });
    }
  } else if (entry.specSchema) {
    checkExtensions(entry.specSchema, wrapper.spec, ['spec'], issues);
  }
  return { spec: wrapper.spec, issues };
}

/** The served version of `crd` named `version`, or why there is none. */
export function servedVersion(crd: Crd, version: string): CrdVersion | string {
  const found = crd.versions.find((v) => v.name === version);
  const served = crd.versions.filter((v) => v.served).map((v) => `${crd.group}/${v.name}`);
  if (!found || !found.served) {
    return `no matches for kind "${crd.kind}" in version "${crd.group}/${version}" (served: ${served.join(', ')})`;
  }
  return found;
}
