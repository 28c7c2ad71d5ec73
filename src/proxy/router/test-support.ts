/** Shared by this folder's tests: build configs from Envoy JSON and requests from a few fields. */
import assert from 'node:assert/strict';
import type { RouteConfiguration__Output } from '../../xds/generated/envoy/config/route/v3/RouteConfiguration.js';
import { decodeProtoJson } from '../../xds/proto-json.js';
import type { ConfigError } from '../config/config-error.js';
import { compileRouteConfiguration } from './route-table.js';
import type { HeaderFormatContext, RouteRequest, RouteTable } from './types.js';

export function decodeRouteConfiguration(json: unknown): RouteConfiguration__Output {
  const decoded = decodeProtoJson<RouteConfiguration__Output>(
    'envoy.config.route.v3.RouteConfiguration',
    json,
  );
  assert.ok(decoded.ok, `decode failed: ${JSON.stringify(!decoded.ok && decoded.errors)}`);
  return decoded.value;
}

export function compileTable(json: unknown): RouteTable {
  const compiled = compileRouteConfiguration(decodeRouteConfiguration(json));
  assert.ok(compiled.ok, `compile failed: ${JSON.stringify(!compiled.ok && compiled.errors)}`);
  return compiled.table;
}

export function compileErrors(json: unknown): ConfigError[] {
  const compiled = compileRouteConfiguration(decodeRouteConfiguration(json));
  assert.ok(!compiled.ok, 'expected the config to be rejected');
  return compiled.errors;
}

/** A table with one catch-all virtual host holding `routes`. */
export function singleHost(routes: unknown[], extra: object = {}): unknown {
  return { name: 'test', virtual_hosts: [{ name: 'vh', domains: ['*'], routes, ...extra }] };
}

export function request(fields: Partial<RouteRequest> = {}): RouteRequest {
  return {
    authority: 'example.com',
    path: '/',
    method: 'GET',
    headers: [],
    scheme: 'http',
    sourceAddress: '10.0.0.1',
    ...fields,
  };
}

export function formatContext(fields: Partial<HeaderFormatContext> = {}): HeaderFormatContext {
  return {
    downstreamRemoteAddress: '10.0.0.1:5555',
    downstreamLocalAddress: '10.0.0.2:8080',
    protocol: 'HTTP/1.1',
    requestHeaders: [],
    ...fields,
  };
}
