/** Shared by this folder's tests: decode Envoy JSON exactly as users write it. */
import assert from 'node:assert/strict';
import { decodeProtoJson } from '../../xds/proto-json.js';

export function decode<T>(typeName: string, json: unknown): T {
  const result = decodeProtoJson<T>(typeName, json);
  assert.ok(result.ok, `decode failed: ${JSON.stringify(!result.ok && result.errors)}`);
  return result.value;
}

/** A HeaderSource over a flat [name, value, ...] list, joining repeats with ','. */
export function headerSource(flat: readonly string[]) {
  return {
    joinedHeader(name: string): string | undefined {
      const values: string[] = [];
      for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) values.push(flat[i + 1]!);
      return values.length === 0 ? undefined : values.join(',');
    },
  };
}
