/**
 * DirectResponseAction: a fixed status (200-599) and an optional inline body of at most
 * max_direct_response_body_size_bytes (default 4096, config_impl.cc). Like Envoy's router, a 201
 * or 3xx direct response carries `location: <scheme>://<host><path>` of the request itself.
 */
import type { DirectResponseAction__Output } from '../../xds/generated/envoy/config/route/v3/DirectResponseAction.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import type { DirectResponseAction } from './types.js';

export const DEFAULT_MAX_DIRECT_RESPONSE_BODY_SIZE_BYTES = 4096;

export function compileDirectResponse(
  action: DirectResponseAction__Output,
  maxBodyBytes: number,
  path: FieldPath,
  errors: ConfigError[],
): DirectResponseAction | undefined {
  const before = errors.length;
  checkSupported('envoy.config.route.v3.DirectResponseAction', action, ['status', 'body'], path, errors);
  const status = action.status;
  if (status < 200 || status >= 600)
    errors.push({ path: [...path, 'status'], message: 'status must be in [200, 600)' });
  let body: Buffer | undefined;
  if (action.body) {
    const bodyPath = [...path, 'body'];
    // filename / environment_variable would read outside the config; only inline bodies are supported.
    checkSupported(
      'envoy.config.core.v3.DataSource',
      action.body,
      ['inline_string', 'inline_bytes'],
      bodyPath,
      errors,
    );
    if (action.body.specifier === 'inline_string')
      body = Buffer.from(action.body.inline_string ?? '', 'utf8');
    else if (action.body.specifier === 'inline_bytes') body = Buffer.from(action.body.inline_bytes ?? []);
    if (body && body.length > maxBodyBytes) {
      errors.push({
        path: bodyPath,
        message: `body is ${body.length} bytes; at most ${maxBodyBytes} are allowed (max_direct_response_body_size_bytes)`,
      });
    }
  }
  if (errors.length > before) return undefined;
  const withLocation = status === 201 || (status >= 300 && status < 400);
  return {
    kind: 'direct_response',
    status,
    body,
    location: (req) => (withLocation ? `${req.scheme}://${req.authority}${req.path}` : undefined),
  };
}
