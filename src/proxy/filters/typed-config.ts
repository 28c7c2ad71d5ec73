import type { FieldPath } from '../../xds/proto-json.js';
import type { AnyMessage } from '../../xds/protos.js';
import { unpackAny } from '../../xds/protos.js';
import type { ConfigError } from '../config/config-error.js';

/** Unpacks a filter's `typed_config`, recording an error at `path` when it cannot. */
export function unpackTypedConfig<T>(
  any: AnyMessage | null | undefined,
  path: FieldPath,
  errors: ConfigError[],
): { typeName: string; config: T } | undefined {
  if (!any) {
    errors.push({ path, message: 'typed_config is required (Skein selects filters by their type URL)' });
    return undefined;
  }
  const unpacked = unpackAny<T>(any);
  if (!unpacked.ok) {
    errors.push({ path, message: unpacked.error });
    return undefined;
  }
  return { typeName: unpacked.typeName, config: unpacked.value };
}
