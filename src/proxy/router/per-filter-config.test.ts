import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registerBuiltinFilters } from '../filters/builtin.js';
import { FaultSettings } from '../filters/http/fault-settings.js';
import {
  allPerFilterConfigs,
  filterDisabled,
  mostSpecificPerFilterConfig,
  routeTableDisablesFilter,
} from './per-filter-config.js';
import { compileErrors, compileTable, request } from './test-support.js';
import type { RouteTable } from './types.js';

const FAULT = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
const FILTER_CONFIG = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';
const NAME = 'fault';
const abort = (status: number) => ({ '@type': FAULT, abort: { http_status: status, percentage: { numerator: 100 } } });

function table(levels: { route?: object; host?: object; table?: object }): RouteTable {
  registerBuiltinFilters();
  return compileTable({
    name: 't',
    typed_per_filter_config: levels.table ?? {},
    virtual_hosts: [
      {
        name: 'vh',
        domains: ['*'],
        typed_per_filter_config: levels.host ?? {},
        routes: [
          { match: { prefix: '/configured' }, route: { cluster: 'c' }, typed_per_filter_config: levels.route ?? {} },
          { match: { prefix: '/' }, route: { cluster: 'c' } },
        ],
      },
    ],
  });
}

function stream(routes: RouteTable, path = '/configured') {
  const req = request({ path });
  return { routeTable: routes, route: () => routes.route(req) };
}

function abortStatus(settings: FaultSettings | undefined): number | undefined {
  return settings?.abort?.kind === 'http' ? settings.abort.status : undefined;
}

describe('typed_per_filter_config', () => {
  it('finds the most specific config: route, then virtual host, then route configuration', () => {
    const all = table({ route: { [NAME]: abort(501) }, host: { [NAME]: abort(502) }, table: { [NAME]: abort(503) } });
    assert.equal(abortStatus(mostSpecificPerFilterConfig(stream(all), NAME, FaultSettings)), 501);
    assert.equal(abortStatus(mostSpecificPerFilterConfig(stream(all, '/other'), NAME, FaultSettings)), 502);
    const tableOnly = table({ table: { [NAME]: abort(503) } });
    assert.equal(abortStatus(mostSpecificPerFilterConfig(stream(tableOnly), NAME, FaultSettings)), 503);
    assert.equal(mostSpecificPerFilterConfig(stream(tableOnly), 'other-name', FaultSettings), undefined);
    assert.deepEqual(
      allPerFilterConfigs(stream(all), NAME, FaultSettings).map(abortStatus),
      [503, 502, 501],
    );
  });

  it('reads FilterConfig: disabled, enabled with a config, and the most specific level decides', () => {
    const routes = table({
      route: { [NAME]: { '@type': FILTER_CONFIG, disabled: true } },
      host: { [NAME]: { '@type': FILTER_CONFIG, config: abort(502) } },
    });
    assert.equal(filterDisabled(stream(routes), NAME), true);
    assert.equal(filterDisabled(stream(routes, '/other'), NAME), false);
    assert.equal(filterDisabled(stream(routes), 'unmentioned'), undefined);
    // A disabled level carries no config, so the virtual host's is the most specific one.
    assert.equal(abortStatus(mostSpecificPerFilterConfig(stream(routes), NAME, FaultSettings)), 502);
    assert.equal(routeTableDisablesFilter(routes, NAME), true);
    assert.equal(routeTableDisablesFilter(table({ host: { [NAME]: abort(502) } }), NAME), false);
  });

  it('rejects what Envoy rejects, naming the entry', () => {
    registerBuiltinFilters();
    const errors = (map: object) =>
      compileErrors({ virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [], typed_per_filter_config: map }] }).map(
        (e) => `${e.path.join('.')}: ${e.message}`,
      );
    assert.deepEqual(errors({ x: { '@type': 'type.googleapis.com/google.protobuf.Empty' } }), [
      "virtual_hosts.0.typed_per_filter_config.x: Didn't find a registered implementation for 'x' with type URL: 'google.protobuf.Empty'",
    ]);
    assert.deepEqual(errors({ r: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }), [
      "virtual_hosts.0.typed_per_filter_config.r: The filter r doesn't support virtual host or route specific configurations",
    ]);
    assert.deepEqual(errors({ c: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' } }), [
      'virtual_hosts.0.typed_per_filter_config.c: the per-route config of envoy.extensions.filters.http.cors.v3.Cors must be a envoy.extensions.filters.http.cors.v3.CorsPolicy, not envoy.extensions.filters.http.cors.v3.Cors',
    ]);
    assert.deepEqual(errors({ f: { '@type': FILTER_CONFIG } }), [
      'virtual_hosts.0.typed_per_filter_config.f.config: Empty route/virtual host per filter configuration for f filter',
    ]);
    assert.deepEqual(errors({ f: { ...abort(700) } }), [
      'virtual_hosts.0.typed_per_filter_config.f.abort.http_status: http_status must be in [200, 600)',
    ]);
    // is_optional lets a config for a filter Skein lacks through.
    const optional = table({
      host: { x: { '@type': FILTER_CONFIG, is_optional: true, config: { '@type': 'type.googleapis.com/google.protobuf.Empty' } } },
    });
    assert.equal(filterDisabled(stream(optional), 'x'), false);
  });

  it('refuses a weighted cluster typed_per_filter_config rather than ignore it', () => {
    registerBuiltinFilters();
    const errors = compileErrors({
      virtual_hosts: [
        {
          name: 'vh',
          domains: ['*'],
          routes: [
            {
              match: { prefix: '/' },
              route: { weighted_clusters: { clusters: [{ name: 'a', weight: 1, typed_per_filter_config: { [NAME]: abort(503) } }] } },
            },
          ],
        },
      ],
    });
    assert.deepEqual(errors.map((e) => e.path.join('.')), [
      'virtual_hosts.0.routes.0.route.weighted_clusters.clusters.0.typed_per_filter_config',
    ]);
  });
});
