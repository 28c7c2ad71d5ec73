import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeResource } from '../src/xds/resource-encoding.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from '../src/xds/type-urls.js';
import { HCM_TYPE_URL, nameDiff, nameField, type RawAny, type RawResponse, ResourceDigests, SimEnvoy } from './xds-sim-envoy.js';

function encoded(typeUrl: string, name: string, resource: object): RawAny {
  const result = encodeResource(typeUrl, { name, resource });
  if (!result.ok) throw new Error(result.error);
  return result.encoded.any;
}

function edsCluster(name: string, serviceName?: string): RawAny {
  return encoded(CLUSTER_TYPE_URL, name, {
    name,
    type: 'EDS',
    connect_timeout: '10s',
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, ...(serviceName ? { service_name: serviceName } : {}) },
  });
}

function staticCluster(name: string): RawAny {
  return encoded(CLUSTER_TYPE_URL, name, { name, type: 'STATIC', connect_timeout: '1s' });
}

function httpListener(name: string, port: number, route: string): RawAny {
  return encoded(LISTENER_TYPE_URL, name, {
    name,
    address: { socket_address: { address: '0.0.0.0', port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM_TYPE_URL,
              stat_prefix: name,
              rds: { route_config_name: route, config_source: { ads: {}, resource_api_version: 'V3' } },
              http_filters: [
                { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
              ],
            },
          },
        ],
      },
    ],
  });
}

function tcpListener(name: string): RawAny {
  return encoded(LISTENER_TYPE_URL, name, {
    name,
    address: { socket_address: { address: '0.0.0.0', port_value: 15001 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.tcp_proxy',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
              stat_prefix: 'PassthroughCluster',
              cluster: 'PassthroughCluster',
            },
          },
        ],
      },
    ],
  });
}

const sotw = (type_url: string, nonce: string, resources: RawAny[]): RawResponse => ({ type_url, nonce, version_info: `v-${nonce}`, resources });

const NODE = { id: 'sidecar~127.16.0.1~a-v1-0.ns~ns.svc.cluster.local', cluster: 'a.ns', metadata: { fields: {} }, user_agent_name: 'envoy' };

describe('nameField', () => {
  it('reads the name of an encoded Cluster and Listener', () => {
    assert.equal(nameField(edsCluster('outbound|9080||a.ns.svc.cluster.local').value), 'outbound|9080||a.ns.svc.cluster.local');
    assert.equal(nameField(httpListener('0.0.0.0_9080', 9080, '9080').value), '0.0.0.0_9080');
  });
});

describe('ResourceDigests', () => {
  it('derives the EDS name Envoy subscribes to: service_name, else the cluster name, none for STATIC', () => {
    const digests = new ResourceDigests();
    assert.equal(digests.edsName('a', edsCluster('a', 'svc-a').value), 'svc-a');
    assert.equal(digests.edsName('b', edsCluster('b').value), 'b');
    assert.equal(digests.edsName('c', staticCluster('c').value), undefined);
  });

  it('finds the route names of RDS-backed HTTP connection managers only', () => {
    const digests = new ResourceDigests();
    assert.deepEqual(digests.routeNames('0.0.0.0_9080', httpListener('0.0.0.0_9080', 9080, '9080').value), ['9080']);
    assert.deepEqual(digests.routeNames('virtualOutbound', tcpListener('virtualOutbound').value), []);
  });

  it('decodes a resource again only when its bytes change', () => {
    const digests = new ResourceDigests();
    digests.edsName('a', edsCluster('a', 'x').value);
    digests.edsName('a', edsCluster('a', 'x').value);
    assert.equal(digests.decoded, 1);
    assert.equal(digests.edsName('a', edsCluster('a', 'y').value), 'y');
    assert.equal(digests.decoded, 2);
  });
});

describe('SimEnvoy, state of the world', () => {
  it('subscribes in Envoy order — CDS, EDS by name, LDS, RDS by name — and ACKs each response', () => {
    const envoy = new SimEnvoy('sotw', NODE, new ResourceDigests());
    const [first] = envoy.start();
    assert.deepEqual(first, { type_url: CLUSTER_TYPE_URL, resource_names: [], node: NODE });

    const cds = envoy.onResponse(sotw(CLUSTER_TYPE_URL, 'n1', [edsCluster('b'), edsCluster('a'), staticCluster('s')]));
    assert.deepEqual(cds, [
      { type_url: CLUSTER_TYPE_URL, resource_names: [], version_info: 'v-n1', response_nonce: 'n1' },
      { type_url: ENDPOINT_TYPE_URL, resource_names: ['a', 'b'], version_info: '', response_nonce: '' },
    ]);
    const eds = envoy.onResponse(sotw(ENDPOINT_TYPE_URL, 'n2', []));
    assert.deepEqual(eds, [
      { type_url: ENDPOINT_TYPE_URL, resource_names: ['a', 'b'], version_info: 'v-n2', response_nonce: 'n2' },
      { type_url: LISTENER_TYPE_URL, resource_names: [] },
    ]);
    const lds = envoy.onResponse(sotw(LISTENER_TYPE_URL, 'n3', [httpListener('l1', 9080, '9080'), httpListener('l2', 9090, '9090'), tcpListener('t')]));
    assert.deepEqual(lds[1], { type_url: ROUTE_TYPE_URL, resource_names: ['9080', '9090'], version_info: '', response_nonce: '' });
    assert.equal(envoy.synced, false);
    const rds = envoy.onResponse(sotw(ROUTE_TYPE_URL, 'n4', []));
    assert.deepEqual(rds, [{ type_url: ROUTE_TYPE_URL, resource_names: ['9080', '9090'], version_info: 'v-n4', response_nonce: 'n4' }]);
    assert.equal(envoy.synced, true);
  });

  it('re-requests EDS after a CDS update changes the clusters, and only then', () => {
    const envoy = new SimEnvoy('sotw', NODE, new ResourceDigests());
    envoy.start();
    envoy.onResponse(sotw(CLUSTER_TYPE_URL, 'n1', [edsCluster('a')]));
    envoy.onResponse(sotw(ENDPOINT_TYPE_URL, 'n2', []));
    assert.equal(envoy.onResponse(sotw(CLUSTER_TYPE_URL, 'n3', [edsCluster('a')])).length, 1);
    const changed = envoy.onResponse(sotw(CLUSTER_TYPE_URL, 'n4', [edsCluster('c')]));
    assert.deepEqual(changed[1], { type_url: ENDPOINT_TYPE_URL, resource_names: ['c'], version_info: 'v-n2', response_nonce: 'n2' });
  });

  it('goes straight to LDS when no cluster uses EDS', () => {
    const envoy = new SimEnvoy('sotw', NODE, new ResourceDigests());
    envoy.start();
    const out = envoy.onResponse(sotw(CLUSTER_TYPE_URL, 'n1', [staticCluster('s')]));
    assert.deepEqual(out[1], { type_url: LISTENER_TYPE_URL, resource_names: [] });
  });
});

describe('SimEnvoy, delta', () => {
  it('subscribes and unsubscribes EDS names as clusters come and go', () => {
    const envoy = new SimEnvoy('delta', NODE, new ResourceDigests());
    assert.deepEqual(envoy.start(), [{ type_url: CLUSTER_TYPE_URL, resource_names_subscribe: [], node: NODE }]);
    const first = envoy.onResponse({
      type_url: CLUSTER_TYPE_URL,
      nonce: 'n1',
      resources: [
        { name: 'a', resource: edsCluster('a') },
        { name: 'b', resource: edsCluster('b') },
      ],
      removed_resources: [],
    });
    assert.deepEqual(first, [
      { type_url: CLUSTER_TYPE_URL, response_nonce: 'n1' },
      { type_url: ENDPOINT_TYPE_URL, resource_names_subscribe: ['a', 'b'], resource_names_unsubscribe: [] },
    ]);
    const second = envoy.onResponse({
      type_url: CLUSTER_TYPE_URL,
      nonce: 'n2',
      resources: [{ name: 'c', resource: edsCluster('c') }],
      removed_resources: ['a'],
    });
    assert.deepEqual(second[1], { type_url: ENDPOINT_TYPE_URL, resource_names_subscribe: ['c'], resource_names_unsubscribe: ['a'] });
  });
});

describe('nameDiff', () => {
  it('lists added and removed names', () => {
    assert.deepEqual(nameDiff(['a', 'b'], ['b', 'c']), { subscribe: ['c'], unsubscribe: ['a'] });
  });
});
