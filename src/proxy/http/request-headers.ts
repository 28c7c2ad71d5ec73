/**
 * What the connection manager does to request headers before any filter sees them, following
 * Envoy's HCM header sanitizing: drop hop-by-hop and framing headers (the proxy re-frames),
 * then x-forwarded-for, x-forwarded-proto, x-request-id and internal-header rules.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/header_sanitizing
 */
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { HOP_BY_HOP_HEADERS } from '../http1/headers.js';
import type { HcmConfig } from './hcm-config.js';

/** Headers the proxy rebuilds rather than forwards: hop-by-hop ones, framing, Expect, Host. */
const REBUILT_BY_PROXY: ReadonlySet<string> = new Set([...HOP_BY_HOP_HEADERS, 'content-length', 'expect', 'host']);

/** The downstream peer, classified once per connection. */
export interface DownstreamPeer {
  readonly address: string;
  /** RFC 1918, loopback or unique-local IPv6: Envoy's default internal ranges. */
  readonly internal: boolean;
}

export interface SanitizedRequest {
  headers: string[];
  /** The x-request-id now on the request. */
  requestId: string;
  /** True when the peer counts as internal (RFC 1918, loopback, unique-local IPv6). */
  internal: boolean;
}

/**
 * Rebuilds the header list in one pass: removes hop-by-hop and framing headers (and any header
 * named in Connection), `te` unless it is `trailers`, and applies the x-forwarded-* and request-id
 * rules. Returns undefined when headers_with_underscores_action rejects the request.
 */
export function sanitizeRequestHeaders(
  received: readonly string[],
  connectionOptions: readonly string[] | undefined,
  peer: DownstreamPeer,
  scheme: 'http' | 'https',
  config: HcmConfig,
): SanitizedRequest | undefined {
  const { address: remoteAddress, internal } = peer;
  // Only an edge proxy (use_remote_address) treats the peer as possibly external and
  // strips what an outsider must not set.
  const external = config.useRemoteAddress && !internal;
  const headers: string[] = [];
  let xff: string | undefined;
  let requestId: string | undefined;
  let forwardedProto: string | undefined;
  for (let i = 0; i < received.length; i += 2) {
    const name = received[i]!;
    const value = received[i + 1]!;
    if (name === 'te') {
      // TE is hop-by-hop, but `te: trailers` is forwarded (gRPC needs it), as Envoy does.
      if (value.trim().toLowerCase() === 'trailers') headers.push(name, value);
      continue;
    }
    if (REBUILT_BY_PROXY.has(name) || connectionOptions?.includes(name)) continue;
    if (config.headersWithUnderscores !== 'ALLOW' && name.includes('_')) {
      if (config.headersWithUnderscores === 'REJECT_REQUEST') return undefined;
      continue;
    }
    if (external && (name.startsWith('x-envoy-') || name === 'x-forwarded-client-cert')) continue;
    if (name === 'x-forwarded-for') {
      xff = xff === undefined ? value : `${xff},${value}`;
      continue;
    }
    if (name === 'x-request-id') {
      if (requestId === undefined) requestId = value;
      continue;
    }
    if (name === 'x-forwarded-proto') {
      if (forwardedProto === undefined) forwardedProto = value;
      continue;
    }
    headers.push(name, value);
  }

  // x-forwarded-for: appended only with use_remote_address and not skip_xff_append.
  if (config.useRemoteAddress && !config.skipXffAppend) {
    xff = xff === undefined ? remoteAddress : `${xff},${remoteAddress}`;
  }
  if (xff !== undefined) headers.push('x-forwarded-for', xff);

  // x-forwarded-proto: an edge proxy overwrites it with the real scheme; others keep a received one.
  headers.push(
    'x-forwarded-proto',
    config.useRemoteAddress || forwardedProto === undefined ? scheme : forwardedProto,
  );

  if (
    config.generateRequestId &&
    (requestId === undefined || (external && !config.preserveExternalRequestId))
  ) {
    requestId = randomUUID();
  }
  if (requestId !== undefined) headers.push('x-request-id', requestId);
  if (config.via) headers.push('via', config.via);
  return { headers, requestId: requestId ?? '', internal };
}

/** Envoy's default internal address ranges: RFC 1918, loopback, and IPv6 unique-local. */
export function isInternalAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) {
    const [a, b] = v4.split('.').map(Number) as [number, number];
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  }
  const lower = address.toLowerCase();
  return lower === '::1' || lower.startsWith('fc') || lower.startsWith('fd');
}
