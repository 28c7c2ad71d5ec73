/**
 * Turns generated xDS resources (proto3 JSON, exactly as Envoy's config_dump prints them) into
 * the packed `google.protobuf.Any`s a DiscoveryResponse carries.
 *
 * Decoding is strict (src/xds/proto-json.ts): a resource with an unknown field, a bad enum or a
 * malformed duration is a generator bug, reported as an error for that resource and never sent.
 * Encodings are cached by object identity and by content, so one resource shared by 1,000
 * proxies (or rebuilt with the same content) is validated and encoded once.
 */
import { createHash } from 'node:crypto';
import { hashString } from '../lib/hash.js';
import { decodeProtoJson, formatPath } from './proto-json.js';
import { lookupMessage } from './protos.js';
import { nameFieldOf } from './type-rules.js';

/** One resource as a generator produces it: its name and the Envoy message in proto3 JSON form. */
export interface XdsResource {
  readonly name: string;
  /** e.g. a Cluster as `{ name, type: 'EDS', connect_timeout: '1s', ... }`; `Any`s as `{ '@type', ...fields }`. */
  readonly resource: object;
}

/** A validated, encoded resource, shared by every proxy that receives the same content. */
export interface EncodedResource {
  readonly name: string;
  readonly typeUrl: string;
  /** Content hash of the encoded message: the per-resource version of delta xDS. */
  readonly version: string;
  /** The packed `google.protobuf.Any` (`type_url` + encoded message). */
  readonly any: { readonly type_url: string; readonly value: Buffer };
  /** The proto3 JSON the resource was encoded from (for debug config dumps). */
  readonly json: object;
  /** Two independent 32-bit hashes of name and version, summed into type versions. */
  readonly entryHash: readonly [number, number];
}

export type EncodeResult = { ok: true; encoded: EncodedResource } | { ok: false; error: string };

export interface ResourceEncoderOptions {
  /** Upper bound on encoded bytes kept in the content cache (least recently used go first). */
  readonly maxCachedBytes?: number;
}

const DEFAULT_MAX_CACHED_BYTES = 256 * 1024 * 1024;

export class ResourceEncoder {
  constructor(options: ResourceEncoderOptions = {}) {
    this.maxCachedBytes = options.maxCachedBytes ?? DEFAULT_MAX_CACHED_BYTES;
  }

  private readonly maxCachedBytes: number;
  private readonly byIdentity = new WeakMap<object, EncodeResult & { typeUrl: string; name: string }>();
  private readonly byContent = new Map<string, EncodedResource>();
  private cachedBytes = 0;
  /** Resources decoded and encoded (cache misses), for tests and metrics. */
  encodings = 0;
  /** Calls answered by object identity: a resource object shared between proxies (cheapest). */
  identityHits = 0;
  /** Calls answered by content: a new object equal to one encoded before (hashed, not encoded). */
  contentHits = 0;

  encode(typeUrl: string, resource: XdsResource): EncodeResult {
    const known = this.byIdentity.get(resource.resource);
    if (known && known.typeUrl === typeUrl && known.name === resource.name) {
      this.identityHits++;
      return known;
    }
    const result = this.encodeByContent(typeUrl, resource);
    this.byIdentity.set(resource.resource, { ...result, typeUrl, name: resource.name });
    return result;
  }

  private encodeByContent(typeUrl: string, resource: XdsResource): EncodeResult {
    let text: string;
    try {
      text = JSON.stringify(resource.resource);
    } catch (err) {
      return { ok: false, error: `resource '${resource.name}' is not JSON: ${(err as Error).message}` };
    }
    const key = createHash('sha1').update(typeUrl).update('\n').update(resource.name).update('\n').update(text).digest('base64');
    const cached = this.byContent.get(key);
    if (cached) {
      this.contentHits++;
      this.byContent.delete(key); // re-insert: Map order is the LRU order
      this.byContent.set(key, cached);
      return { ok: true, encoded: cached };
    }
    const result = encodeResource(typeUrl, resource);
    this.encodings++;
    if (result.ok) this.remember(key, result.encoded);
    return result;
  }

  private remember(key: string, encoded: EncodedResource): void {
    this.byContent.set(key, encoded);
    this.cachedBytes += encoded.any.value.length;
    for (const [oldest, entry] of this.byContent) {
      if (this.cachedBytes <= this.maxCachedBytes) break;
      this.byContent.delete(oldest);
      this.cachedBytes -= entry.any.value.length;
    }
  }
}

/** Strictly decodes one resource and packs it into an `Any`; no caching. */
export function encodeResource(typeUrl: string, resource: XdsResource): EncodeResult {
  const type = lookupMessage(typeUrl);
  if (!type) return { ok: false, error: `unknown resource type ${typeUrl}` };
  const json = resource.resource as Record<string, unknown>;
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, error: `resource '${resource.name}' is not an object` };
  }
  const declaredType = json['@type'];
  if (declaredType !== undefined && declaredType !== typeUrl) {
    return { ok: false, error: `resource '${resource.name}' has @type ${String(declaredType)}, expected ${typeUrl}` };
  }
  const nameField = nameFieldOf(typeUrl);
  const field = type.fields[nameField];
  if (field) {
    const named = json[nameField] ?? json[field.options?.['json_name'] ?? camel(nameField)];
    if (named !== resource.name) {
      return {
        ok: false,
        error: `resource '${resource.name}' has ${nameField} ${JSON.stringify(named ?? '')}; the two must match`,
      };
    }
  }
  // Decoding `{"@type": url, ...fields}` as an Any validates every field strictly and encodes
  // the message from exactly the fields that were set (no proto3 defaults written).
  const decoded = decodeProtoJson<{ type_url: string; value: Buffer }>('google.protobuf.Any', {
    ...json,
    '@type': typeUrl,
  });
  if (!decoded.ok) {
    const errors = decoded.errors.map((e) => `${formatPath(e.path)}: ${e.message}`);
    return { ok: false, error: `resource '${resource.name}': ${errors.join('; ')}` };
  }
  const value = decoded.value.value;
  const version = createHash('sha256').update(value).digest('hex').slice(0, 16);
  const entryKey = `${resource.name}\0${version}`;
  return {
    ok: true,
    encoded: {
      name: resource.name,
      typeUrl,
      version,
      any: { type_url: typeUrl, value },
      json: resource.resource,
      entryHash: [hashString(entryKey), hashString(entryKey, 0x9747b28c)],
    },
  };
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * The version of a set of resources: order-independent (sums of per-entry hashes), so a
 * proxy's type version can be recomputed cheaply after every change.
 */
export function versionOfSet(entries: Iterable<{ readonly entryHash: readonly [number, number] }>): string {
  let a = 0;
  let b = 0;
  for (const entry of entries) {
    a = (a + entry.entryHash[0]) >>> 0;
    b = (b + entry.entryHash[1]) >>> 0;
  }
  return `${a.toString(16).padStart(8, '0')}${b.toString(16).padStart(8, '0')}`;
}
