/**
 * Proxyless gRPC resources, checked by the validators of @grpc/grpc-js-xds itself (the client
 * that will consume them): each resource is encoded to protobuf as the ADS server sends it and
 * decoded by grpc-js-xds's resource types, which reject anything they do not support.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { register } from '@grpc/grpc-js-xds';
import { ClusterResourceType } from '@grpc/grpc-js-xds/build/src/xds-resource-type/cluster-resource-type.js';
import { EndpointResourceType } from '@grpc/grpc-js-xds/build/src/xds-resource-type/endpoint-resource-type.js';
import { ListenerResourceType } from '@grpc/grpc-js-xds/build/src/xds-resource-type/listener-resource-type.js';
import { RouteConfigurationResourceType } from '@grpc/grpc-js-xds/build/src/xds-resource-type/route-config-resource-type.js';
import type { XdsDecodeContext, XdsResourceType } from '@grpc/grpc-js-xds/build/src/xds-resource-type/xds-resource-type.js';
import { decodeProtoJson } from '../xds/proto-json.js';
import { encodeMessage, lookupMessage } from '../xds/protos.js';
import { assertEnvoyResources, config, proxyOf, service, snapshotOf, workload } from './fixtures.test.util.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, generate, LISTENER_TYPE_URL, ROUTE_TYPE_URL, type XdsResource } from './index.js';

type J = Record<string, unknown>;
register();

const context = { server: {}, bootstrap: { certificateProviders: {} } } as unknown as XdsDecodeContext;

/** Encodes like the ADS server and decodes like grpc-js-xds; fails on any validation error. */
function acceptedByGrpc(type: XdsResourceType, typeUrl: string, resources: readonly XdsResource[]): object[] {
  assertEnvoyResources(typeUrl, resources);
  const typeName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  const message = lookupMessage(typeName);
  assert.ok(message);
  return resources.map((r) => {
    const decoded = decodeProtoJson<object>(typeName, r.resource);
    assert.ok(decoded.ok);
    const value = Buffer.from(encodeMessage(message, decoded.value));
    const result = type.decode(context, { type_url: typeUrl, value });
    assert.equal(result.error, undefined, `${r.name}: ${result.error}`);
    assert.equal(result.name, r.name);
    return result.value as object;
  });
}

const echo = service('echo', 'default', [{ name: 'grpc', port: 7070, protocol: 'GRPC' }], { addresses: ['10.96.1.7'] });
const workloads = [
  workload('echo-v1', 'default', '10.0.7.1', { app: 'echo', version: 'v1' }),
  workload('echo-v2', 'default', '10.0.7.2', { app: 'echo', version: 'v2' }),
];
const configs = [
  config('DestinationRule', 'echo', { host: 'echo', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] }),
  config('VirtualService', 'echo', {
    hosts: ['echo'],
    http: [
      { match: [{ headers: { 'x-canary': { exact: 'true' } } }], route: [{ destination: { host: 'echo', subset: 'v2' } }] },
      { route: [{ destination: { host: 'echo', subset: 'v1' }, weight: 80 }, { destination: { host: 'echo', subset: 'v2' }, weight: 20 }] },
    ],
  }),
];
const client = proxyOf('sidecar~10.0.0.3~client.default~default.svc.cluster.local', { NAMESPACE: 'default', GENERATOR: 'grpc' });
const snapshot = snapshotOf([echo], workloads, configs);

describe('proxyless gRPC (GENERATOR=grpc)', () => {
  test('LDS: an API listener per requested host:port, with RDS over ADS, fault and router filters', () => {
    const lds = generate(snapshot, client, LISTENER_TYPE_URL, ['echo.default.svc.cluster.local:7070', 'echo:7070', 'unknown:1']);
    assert.deepEqual(lds.map((l) => l.name), ['echo:7070', 'echo.default.svc.cluster.local:7070']);
    acceptedByGrpc(ListenerResourceType.get(), LISTENER_TYPE_URL, lds);
    const hcm = ((lds[1]?.resource.api_listener as J).api_listener ?? {}) as J;
    assert.deepEqual(hcm.rds, { config_source: { ads: {} }, route_config_name: 'outbound|7070||echo.default.svc.cluster.local' });
    assert.deepEqual((hcm.http_filters as J[]).map((f) => f.name), ['envoy.filters.http.fault', 'envoy.filters.http.router']);
  });

  test('RDS: the virtual host for that service, host:port domains, header match and weighted split', () => {
    const rds = generate(snapshot, client, ROUTE_TYPE_URL, ['outbound|7070||echo.default.svc.cluster.local']);
    acceptedByGrpc(RouteConfigurationResourceType.get(), ROUTE_TYPE_URL, rds);
    const [vh] = rds[0]?.resource.virtual_hosts as J[];
    assert.ok((vh?.domains as string[]).includes('echo.default.svc.cluster.local:7070'));
    assert.ok((vh?.domains as string[]).includes('echo:7070'));
    const routes = vh?.routes as J[];
    assert.equal((routes[0]?.route as J).cluster, 'outbound|7070|v2|echo.default.svc.cluster.local');
    assert.deepEqual((routes[0]?.route as J).max_stream_duration, { max_stream_duration: '0s' });
    assert.deepEqual(((routes[1]?.route as J).weighted_clusters as J).clusters, [
      { name: 'outbound|7070|v1|echo.default.svc.cluster.local', weight: 80 },
      { name: 'outbound|7070|v2|echo.default.svc.cluster.local', weight: 20 },
    ]);
  });

  test('CDS and EDS: EDS clusters by name, endpoints with localities', () => {
    const names = ['outbound|7070|v1|echo.default.svc.cluster.local', 'outbound|7070|v2|echo.default.svc.cluster.local'];
    const cds = generate(snapshot, client, CLUSTER_TYPE_URL, names);
    assert.deepEqual(cds.map((c) => c.name), names);
    acceptedByGrpc(ClusterResourceType.get(), CLUSTER_TYPE_URL, cds);
    const eds = generate(snapshot, client, ENDPOINT_TYPE_URL, names);
    acceptedByGrpc(EndpointResourceType.get(), ENDPOINT_TYPE_URL, eds);
    assert.match(JSON.stringify(eds[1]?.resource), /"address":"10.0.7.2","port_value":7070/);
  });
});
