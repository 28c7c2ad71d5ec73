/**
 * Envoy's v3 API as protobufjs reflection, loaded once from the .proto files that ship
 * inside @grpc/grpc-js-xds. Messages are decoded with the same options the generated
 * `__Output` types describe (snake_case field names, enums as strings, 64-bit integers as
 * numbers, defaults filled in, oneof discriminators), so a decoded object is exactly its
 * generated type whether it came from YAML, JSON or the wire.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import protobuf from 'protobufjs';
import { PROTO_FILES } from './generated/proto-files.js';

export const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** The conversion options matching `proto-loader-gen-types --keepCase --longs Number --enums String --defaults --oneofs`. */
export const OUTPUT_OPTIONS: protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  bytes: Buffer as unknown as typeof String,
  defaults: true,
  oneofs: true,
};

let root: protobuf.Root | undefined;

function includeDirs(): string[] {
  const require = createRequire(import.meta.url);
  const deps = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  return [
    path.dirname(require.resolve('protobufjs/package.json')), // google/protobuf/descriptor.proto
    path.join(deps, 'envoy-api'),
    path.join(deps, 'xds'),
    path.join(deps, 'googleapis'),
    path.join(deps, 'protoc-gen-validate'),
  ];
}

/** The shared Root with every Envoy type Skein knows. Loaded on first use (about 150 ms). */
export function envoyRoot(): protobuf.Root {
  if (root) return root;
  const dirs = includeDirs();
  const loaded = new protobuf.Root();
  loaded.resolvePath = (_origin, target) => {
    if (path.isAbsolute(target)) return target;
    for (const dir of dirs) {
      const candidate = path.join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target;
  };
  loaded.loadSync([...PROTO_FILES], { keepCase: true });
  loaded.resolveAll();
  root = loaded;
  return loaded;
}

/** Looks up a message type by full name (`envoy.config.route.v3.RouteConfiguration`) or type URL. */
export function lookupMessage(nameOrUrl: string): protobuf.Type | undefined {
  const name = nameOrUrl.startsWith(TYPE_URL_PREFIX) ? nameOrUrl.slice(TYPE_URL_PREFIX.length) : nameOrUrl;
  const found = envoyRoot().lookup(name);
  return found instanceof protobuf.Type ? found : undefined;
}

export function typeUrlOf(fullName: string): string {
  return TYPE_URL_PREFIX + fullName;
}

/** Decodes wire bytes of a message into its `__Output` shape. */
export function decodeMessage<T>(type: protobuf.Type, bytes: Uint8Array): T {
  return type.toObject(type.decode(bytes), OUTPUT_OPTIONS) as T;
}

/** Encodes an object in the (permissive) input shape to wire bytes. */
export function encodeMessage(type: protobuf.Type, value: object): Uint8Array {
  return type.encode(type.fromObject(value)).finish();
}

export interface AnyMessage {
  readonly type_url: string;
  readonly value: Uint8Array;
}

/** Unpacks a `google.protobuf.Any` into its `__Output` shape, or explains why it cannot. */
export function unpackAny<T>(
  any: AnyMessage,
): { ok: true; value: T; typeName: string } | { ok: false; error: string } {
  const type = lookupMessage(any.type_url.slice(any.type_url.lastIndexOf('/') + 1));
  if (!type) return { ok: false, error: `unknown type URL '${any.type_url}'` };
  try {
    return { ok: true, value: decodeMessage<T>(type, any.value), typeName: type.fullName.slice(1) };
  } catch (err) {
    return { ok: false, error: `cannot decode ${any.type_url}: ${(err as Error).message}` };
  }
}
