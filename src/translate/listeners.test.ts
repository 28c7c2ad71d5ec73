import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertEnvoyResources, config, find, proxyOf, service, snapshotOf, workload } from './fixtures.test.util.js';
import { CLUSTER_TYPE_URL, generate, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from './index.js';

type J = Record<string, unknown>;
const web = service('web', 'default', [{ name: 'http-web', port: 8080, protocol: 'HTTP' }], { addresses: ['10.96.0.1'] });
const db = service('db', 'default', [{ name: 'tcp-db', port: 5432, protocol: 'TCP' }], { addresses: ['10.96.0.2'] });
const dbReplica = service('db-replica', 'default', [{ name: 'tcp-db', port: 5432, protocol: 'TCP' }]);
const workloads = [
  workload('web-1', 'default', '127.0.10.3', { app: 'web' }, { ports: { 'http-web': 8080 } }),
  workload('db-1', 'default', '10.0.0.5', { app: 'db' }),
];

function typed(listener: J, chain = 0): J {
  const chains = listener.filter_chains as J[];
  return (((chains[chain]?.filters as J[])[0] as J).typed_config ?? {}) as J;
}

describe('LDS: iptables capture', () => {
  const proxy = proxyOf('sidecar~10.0.0.9~client.default~default.svc.cluster.local');

  test('TCP services listen on their VIP with tcp_proxy; tcp routes become weighted clusters', () => {
    const vs = config('VirtualService', 'db', {
      hosts: ['db'],
      tcp: [{ match: [{ port: 5432 }], route: [{ destination: { host: 'db' }, weight: 90 }, { destination: { host: 'db-replica' }, weight: 10 }] }],
    });
    const lds = generate(snapshotOf([web, db, dbReplica], workloads, [vs]), proxy, LISTENER_TYPE_URL);
    assertEnvoyResources(LISTENER_TYPE_URL, lds);
    assert.deepEqual(lds.map((l) => l.name), ['virtualOutbound', '0.0.0.0_5432', '10.96.0.2_5432', '0.0.0.0_8080', 'virtualInbound']);
    assert.deepEqual(typed(find(lds, '10.96.0.2_5432')), {
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
      stat_prefix: 'outbound|5432||db.default.svc.cluster.local',
      weighted_clusters: {
        clusters: [
          { name: 'outbound|5432||db.default.svc.cluster.local', weight: 90 },
          { name: 'outbound|5432||db-replica.default.svc.cluster.local', weight: 10 },
        ],
      },
    });
    assert.equal(typed(find(lds, '0.0.0.0_5432')).cluster, 'outbound|5432||db-replica.default.svc.cluster.local');
    assert.equal(find(lds, '0.0.0.0_8080').bind_to_port, false);
  });

  test('virtualInbound has one chain per served port, then passthrough', () => {
    const dbProxy = proxyOf('sidecar~10.0.0.5~db-1.default~default.svc.cluster.local');
    const lds = generate(snapshotOf([web, db], workloads), dbProxy, LISTENER_TYPE_URL);
    const inbound = find(lds, 'virtualInbound');
    const chains = inbound.filter_chains as J[];
    assert.deepEqual(chains.map((c) => [c.name, c.filter_chain_match]), [
      ['0.0.0.0_5432', { destination_port: 5432 }],
      ['virtualInbound', undefined],
    ]);
    assert.equal(typed(inbound).cluster, 'inbound|5432||');
  });
});

describe('LDS: http-proxy capture (local runtime)', () => {
  const proxy = proxyOf('sidecar~127.0.10.3~web-1.default~default.svc.cluster.local', {
    INTERCEPTION_MODE: 'NONE',
    HTTP_PROXY_PORT: '15080',
    SKEIN_APP_ADDRESS: '127.0.0.1',
    SKEIN_APP_PORTS: '8080:31080',
  });
  const snapshot = snapshotOf([web, db], workloads);

  test('one HTTP proxy listener plus a bound inbound listener per served port', () => {
    const lds = generate(snapshot, proxy, LISTENER_TYPE_URL);
    assertEnvoyResources(LISTENER_TYPE_URL, lds);
    assert.deepEqual(lds.map((l) => l.name), ['127.0.10.3_15080', '127.0.10.3_8080']);
    const outbound = typed(find(lds, '127.0.10.3_15080'));
    assert.equal((outbound.rds as J).route_config_name, 'http_proxy');
    assert.deepEqual(outbound.http_protocol_options, { allow_absolute_url: true });
    const inbound = find(lds, '127.0.10.3_8080');
    assert.deepEqual(inbound.address, { socket_address: { address: '127.0.10.3', port_value: 8080 } });
    assert.equal(inbound.bind_to_port, undefined);
    const routeConfig = typed(inbound).route_config as J;
    assert.equal(routeConfig.name, 'inbound|8080||');
  });

  test('the inbound cluster points at the application; passthrough reads the authority', () => {
    const cds = generate(snapshot, proxy, CLUSTER_TYPE_URL);
    assertEnvoyResources(CLUSTER_TYPE_URL, cds);
    const inbound = find(cds, 'inbound|8080||');
    assert.equal(inbound.type, 'STATIC');
    assert.match(JSON.stringify(inbound.load_assignment), /"address":"127.0.0.1","port_value":31080/);
    assert.deepEqual(find(cds, 'PassthroughCluster').original_dst_lb_config, { use_http_header: true, http_header_name: ':authority' });
    assert.ok(!cds.some((c) => c.name === 'InboundPassthroughCluster'));
    const rds = generate(snapshot, proxy, ROUTE_TYPE_URL);
    assert.deepEqual(rds.map((r) => r.name), ['http_proxy']);
    const allowAny = (find(rds, 'http_proxy').virtual_hosts as J[]).at(-1) as J;
    assert.deepEqual((allowAny.routes as J[]).map((r) => [r.name, (r.route as J | undefined)?.cluster ?? (r.direct_response as J).status]), [
      ['allow_any', 'PassthroughCluster'],
      ['block_all', 502],
    ]);
  });
});

describe('LDS/RDS: Istio Gateway', () => {
  const gw = proxyOf('router~10.0.9.1~ingress.istio-system~istio-system.svc.cluster.local', { NAMESPACE: 'istio-system', LABELS: { istio: 'ingressgateway' } });
  const gateway = config('Gateway', 'gw', {
    selector: { istio: 'ingressgateway' },
    servers: [
      { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['default/*.example.com'] },
      { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: 'SIMPLE', credentialName: 'c' } },
    ],
  });
  const vs = (name: string, hosts: string[], prefix: string, creationTimestamp: string, namespace = 'default') =>
    config('VirtualService', name, { hosts, gateways: ['default/gw'], http: [{ match: [{ uri: { prefix } }], route: [{ destination: { host: 'web.default.svc.cluster.local' } }] }, { route: [{ destination: { host: 'web.default.svc.cluster.local' } }] }] }, { namespace, creationTimestamp });

  test('virtual hosts for the intersection of server and VirtualService hosts; routes of several VirtualServices merged, catch-alls last', () => {
    const snapshot = snapshotOf([web], workloads, [
      gateway,
      vs('one', ['a.example.com'], '/one', '2024-01-01T00:00:00Z'),
      vs('two', ['a.example.com', 'b.other.com'], '/two', '2024-02-01T00:00:00Z'),
      vs('wide', ['*'], '/wide', '2024-03-01T00:00:00Z'),
      vs('elsewhere', ['c.example.com'], '/x', '2024-03-01T00:00:00Z', 'other'),
    ]);
    const lds = generate(snapshot, gw, LISTENER_TYPE_URL);
    assertEnvoyResources(LISTENER_TYPE_URL, lds);
    assert.deepEqual(lds.map((l) => l.name), ['0.0.0.0_80']);
    assert.equal(typed(lds[0]?.resource ?? {}).use_remote_address, true);
    const rds = generate(snapshot, gw, ROUTE_TYPE_URL);
    assertEnvoyResources(ROUTE_TYPE_URL, rds);
    const hosts = find(rds, 'http.80').virtual_hosts as J[];
    assert.deepEqual(hosts.map((h) => [h.name, h.domains]), [
      ['*.example.com:80', ['*.example.com']],
      ['a.example.com:80', ['a.example.com']],
    ]);
    const paths = (h: J) => (h.routes as J[]).map((r) => (r.match as J).prefix);
    assert.deepEqual(paths(hosts[1] ?? {}), ['/one', '/two', '/', '/']);
    assert.deepEqual(paths(hosts[0] ?? {}), ['/wide', '/']);
  });

  test('a gateway with no bound VirtualService answers from a blackhole virtual host', () => {
    const rds = generate(snapshotOf([web], workloads, [gateway]), gw, ROUTE_TYPE_URL);
    assert.deepEqual(find(rds, 'http.80').virtual_hosts, [{ name: 'blackhole:80', domains: ['*'], routes: [] }]);
  });
});
