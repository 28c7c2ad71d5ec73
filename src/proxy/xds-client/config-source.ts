/**
 * Checks an Envoy `ConfigSource` that names where a dynamic resource comes from. Skein's proxy
 * has one source of dynamic config, the ADS stream, so only `ads: {}` is accepted (what Istio
 * generates for CDS, LDS, EDS and RDS), with its `initial_fetch_timeout`.
 */
import { durationMs } from '../../xds/duration.js';
import type { ConfigSource__Output } from '../../xds/generated/envoy/config/core/v3/ConfigSource.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';

/** ConfigSource.initial_fetch_timeout's default; 0 waits forever. */
export const DEFAULT_INITIAL_FETCH_TIMEOUT_MS = 15_000;

export function checkAdsConfigSource(
  source: ConfigSource__Output | null | undefined,
  path: FieldPath,
  errors: ConfigError[],
): void {
  if (!source) {
    errors.push({ path, message: 'a config source is required' });
    return;
  }
  checkSupported(
    'envoy.config.core.v3.ConfigSource',
    source,
    ['ads', 'initial_fetch_timeout', 'resource_api_version'],
    path,
    errors,
  );
  if (!source.config_source_specifier) {
    errors.push({ path, message: 'set ads: {} (the proxy has one ADS stream)' });
  } else if (source.config_source_specifier !== 'ads') {
    errors.push({
      path: [...path, source.config_source_specifier],
      message: 'only ads config sources are supported (the proxy has one ADS stream)',
    });
  }
  // AUTO (the zero value) means v3 since the v2 API was removed.
  if (source.resource_api_version !== 'AUTO' && source.resource_api_version !== 'V3') {
    errors.push({ path: [...path, 'resource_api_version'], message: 'only the v3 xDS API is supported' });
  }
}

export function initialFetchTimeoutMs(source: ConfigSource__Output | null | undefined): number {
  return durationMs(source?.initial_fetch_timeout, DEFAULT_INITIAL_FETCH_TIMEOUT_MS);
}
