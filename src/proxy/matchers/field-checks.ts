/**
 * The protoc-gen-validate rules Envoy enforces on the fields we compile. The decoder checks
 * types only, so these constraints (which Envoy applies before any config is used) live here.
 */

import type { FieldPath } from '../../xds/proto-json.js';
import type { ConfigError } from '../config/config-error.js';

// PGV `well_known_regex: HTTP_HEADER_NAME/HTTP_HEADER_VALUE, strict: false` both forbid NUL, LF, CR.
const FORBIDDEN_IN_HEADERS = /[\0\r\n]/;

export function checkHeaderName(name: string, path: FieldPath, errors: ConfigError[]): boolean {
  if (name === '') {
    errors.push({ path, message: 'header name must not be empty' });
    return false;
  }
  if (FORBIDDEN_IN_HEADERS.test(name)) {
    errors.push({ path, message: 'header name must not contain NUL, CR or LF' });
    return false;
  }
  return true;
}

export function checkHeaderValue(value: string, path: FieldPath, errors: ConfigError[]): boolean {
  if (FORBIDDEN_IN_HEADERS.test(value)) {
    errors.push({ path, message: 'value must not contain NUL, CR or LF' });
    return false;
  }
  return true;
}
