/**
 * Config text → validated resources. Each YAML/JSON document (or `List` item) is recognised by
 * apiVersion/kind, its metadata checked, its spec validated against the CRD schema and then by
 * Istio's semantic rules. Every problem becomes a diagnostic naming file, line and field path.
 */
import { createHash } from 'node:crypto';
import type { ConfigResource } from '../model/config.js';
import { crdFor } from './crd-schemas.js';
import { type Diagnostic, MSG, type ResourceRef, diagnostic } from './diagnostic.js';
import { type FieldPath, formatFieldPath } from './field-path.js';
import { KUBERNETES_GROUPS, KUBERNETES_KINDS, type ResourceType, UNSUPPORTED_KINDS, sameType, splitApiVersion, typeKey } from './kinds.js';
import { dropNulls, type Issue, servedVersion, validateSpec } from './schema-validator.js';
import { closest } from './suggest.js';
import { isDns1123Label, isDns1123Subdomain } from './validation/common.js';
import { validateSemantics } from './validation/index.js';
import { parseYamlDocuments } from './yaml-documents.js';

/** A resource that passed validation, with the way back to its source lines. */
export interface ParsedResource {
  readonly type: ResourceType;
  readonly resource: ConfigResource;
  /** 1-based line of a field (path from the object root, e.g. `['spec', 'http', 0]`). */
  lineOf(path: FieldPath): number;
}

export interface ParseOptions {
  /** Namespace of resources that name none (`default`, as kubectl). */
  readonly defaultNamespace?: string;
}

export interface ParseResult {
  readonly resources: readonly ParsedResource[];
  /** Errors, warnings and notes; an error means the file is not acceptable as a whole. */
  readonly diagnostics: readonly Diagnostic[];
}

const OBJECT_META_FIELDS = [
  'name', 'namespace', 'labels', 'annotations', 'generateName', 'uid', 'resourceVersion', 'generation',
  'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'finalizers', 'ownerReferences', 'managedFields', 'selfLink',
];
const TOP_LEVEL_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function stringMap(value: unknown, path: FieldPath, errors: Issue[]): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) {
    errors.push({ level: 'error', path, message: `Invalid value: must be a map of strings` });
    return {};
  }
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') errors.push({ level: 'error', path: [...path, key], message: `Invalid value: ${JSON.stringify(v)}: must be a string` });
    else out[key] = v;
  }
  return out;
}

function revisionOf(object: unknown): string {
  return createHash('sha256').update(JSON.stringify(object)).digest('hex').slice(0, 16);
}

interface DocumentContext {
  readonly file: string;
  readonly options: ParseOptions;
  readonly lineOf: (path: FieldPath) => number;
  readonly resources: ParsedResource[];
  readonly diagnostics: Diagnostic[];
}

/** Validates one object (at `prefix` inside its document) and records the resource or the problems. */
function parseObject(object: unknown, prefix: FieldPath, context: DocumentContext): void {
  const { file, diagnostics } = context;
  const at = (path: FieldPath): number => context.lineOf([...prefix, ...path]);
  const schemaError = (path: FieldPath, message: string, resource?: ResourceRef): void => {
    diagnostics.push(
      diagnostic(MSG.SchemaValidationError, `Schema validation error: ${path.length > 0 ? `${formatFieldPath(path)}: ` : ''}${message}`, {
        file,
        line: at(path),
        path,
        ...(resource ? { resource } : {}),
      }),
    );
  };
  if (!isObject(object)) return schemaError([], 'a config document must be an object with apiVersion and kind');
  const apiVersion = object.apiVersion;
  const kind = object.kind;
  if (typeof apiVersion !== 'string' || apiVersion === '') return schemaError(['apiVersion'], "Object 'apiVersion' is missing or not a string");
  if (typeof kind !== 'string' || kind === '') return schemaError(['kind'], "Object 'Kind' is missing or not a string");
  const { group, version } = splitApiVersion(apiVersion);

  // `kind: List` (and `<Kind>List`), as kubectl get -o yaml writes: each item is a document.
  if (kind === 'List' || (kind.endsWith('List') && Array.isArray(object.items))) {
    if (!Array.isArray(object.items)) return schemaError(['items'], 'a List needs items');
    object.items.forEach((item, i) => parseObject(item, [...prefix, 'items', i], context));
    return;
  }

  const type: ResourceType = { group, kind };
  const crd = crdFor(group, kind);
  const kubernetes = KUBERNETES_KINDS.get(typeKey(type));
  if (!crd && !kubernetes) {
    if (KUBERNETES_GROUPS.has(group)) {
      diagnostics.push(diagnostic(MSG.IgnoredKind, `${kind} (${apiVersion}) is not used by Skein's control plane; ignored`, { file, line: at([]) }));
    } else {
      diagnostics.push(diagnostic(MSG.UnknownKind, `no matches for kind "${kind}" in version "${apiVersion}"`, { file, line: at(['kind']), path: ['kind'] }));
    }
    return;
  }

  const errors: Issue[] = [];
  const metadata = object.metadata;
  if (metadata !== undefined && !isObject(metadata)) errors.push({ level: 'error', path: ['metadata'], message: 'Invalid value: must be an object' });
  const meta: Json = isObject(metadata) ? metadata : {};
  for (const key of Object.keys(meta)) {
    if (!OBJECT_META_FIELDS.includes(key)) {
      const hint = closest(key, OBJECT_META_FIELDS);
      errors.push({ level: 'error', path: ['metadata', key], message: `unknown field "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}` });
    }
  }
  const name = typeof meta.name === 'string' ? meta.name : '';
  if (name === '') errors.push({ level: 'error', path: ['metadata', 'name'], message: 'Required value: name is required' });
  else if (!isDns1123Subdomain(name)) {
    errors.push({ level: 'error', path: ['metadata', 'name'], message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character` });
  }
  const clusterScoped = crd ? crd.scope === 'Cluster' : kubernetes?.clusterScoped === true;
  let namespace = clusterScoped ? '' : (context.options.defaultNamespace ?? 'default');
  if (!clusterScoped && meta.namespace !== undefined) {
    if (typeof meta.namespace !== 'string' || !isDns1123Label(meta.namespace)) {
      errors.push({ level: 'error', path: ['metadata', 'namespace'], message: `Invalid value: ${JSON.stringify(meta.namespace)}: a namespace must be a DNS-1123 label` });
    } else {
      namespace = meta.namespace;
    }
  }
  const labels = stringMap(meta.labels, ['metadata', 'labels'], errors);
  const annotations = stringMap(meta.annotations, ['metadata', 'annotations'], errors);
  const ref: ResourceRef = { group, kind, namespace, name };

  let spec: unknown;
  let issues: Issue[] = [];
  if (crd) {
    for (const key of Object.keys(object)) {
      if (!TOP_LEVEL_FIELDS.includes(key)) {
        const hint = closest(key, TOP_LEVEL_FIELDS);
        errors.push({ level: 'error', path: [key], message: `unknown field "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}` });
      }
    }
    const served = servedVersion(crd, version);
    if (typeof served === 'string') {
      diagnostics.push(diagnostic(MSG.UnknownKind, served, { file, line: at(['apiVersion']), path: ['apiVersion'], resource: ref }));
      return;
    }
    const result = validateSpec(served, dropNulls(object.spec));
    spec = result.spec;
    issues = [...result.issues];
  } else {
    const body = kubernetes?.body === 'spec' ? object.spec : Object.fromEntries(Object.entries(object).filter(([k]) => !['apiVersion', 'kind', 'metadata'].includes(k)));
    spec = dropNulls(body ?? {});
  }

  const creationTimestamp = typeof meta.creationTimestamp === 'string' ? meta.creationTimestamp : undefined;
  const resource: ConfigResource = {
    kind,
    group,
    version,
    name,
    namespace,
    labels,
    annotations,
    spec,
    source: { file, line: at([]) },
    revision: revisionOf({ labels, annotations, spec }),
    ...(creationTimestamp ? { creationTimestamp } : {}),
  };
  if (errors.length === 0 && !issues.some((i) => i.level === 'error')) issues.push(...validateSemantics(type, resource));
  for (const issue of [...errors, ...issues]) {
    if (issue.level === 'error') schemaError(issue.path, issue.message, ref);
    else {
      diagnostics.push(
        diagnostic(MSG.SchemaWarning, `Schema validation warning: ${issue.path.length > 0 ? `${formatFieldPath(issue.path)}: ` : ''}${issue.message}`, {
          file,
          line: at(issue.path),
          path: issue.path,
          resource: ref,
        }),
      );
    }
  }
  if (errors.length > 0 || issues.some((i) => i.level === 'error')) return;
  if (UNSUPPORTED_KINDS.some((u) => sameType(u, type))) {
    diagnostics.push(diagnostic(MSG.UnsupportedKind, `${kind} is accepted but not supported by Skein: it has no effect`, { file, line: at([]), resource: ref }));
  }
  context.resources.push({ type, resource, lineOf: (path) => at(path) });
}

/** Parses and validates every document of one file's text. `file` labels diagnostics. */
export function parseConfig(text: string, file: string, options: ParseOptions = {}): ParseResult {
  const { documents, errors } = parseYamlDocuments(text);
  const diagnostics: Diagnostic[] = errors.map((e) => diagnostic(MSG.YamlSyntaxError, `YAML syntax error: ${e.message}`, { file, line: e.line }));
  const resources: ParsedResource[] = [];
  for (const document of documents) {
    parseObject(document.value, [], { file, options, lineOf: document.lineOf, resources, diagnostics });
  }
  return { resources, diagnostics };
}
