import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, it, mock } from 'node:test';
import { StatsStore } from '../stats/stats.js';
import {
  ClusterManager,
  type DnsAnswer,
  type DnsResolver,
  type PooledConnection,
} from './cluster-manager.js';
import { assertNear, clusterConfig, countPicks, flush, loadAssignment } from './fixtures.test.util.js';

function endpoint(address: string, port: number, extra: object = {}): object {
  return { endpoint: { address: { socket_address: { address, port_value: port } } }, ...extra };
}

function staticCluster(name: string, addresses: string[], extra: object = {}, port = 80): object {
  return {
    name,
    type: 'STATIC',
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: addresses.map((a) => endpoint(a, port)) }],
    },
    ...extra,
  };
}

function dnsCluster(
  name: string,
  type: 'STRICT_DNS' | 'LOGICAL_DNS',
  hostnames: string[],
  extra: object = {},
): object {
  return {
    name,
    type,
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: hostnames.map((h) => endpoint(h, 8080)) }],
    },
    ...extra,
  };
}

class FakeResolver implements DnsResolver {
  readonly answers = new Map<string, DnsAnswer[]>();
  readonly calls: string[] = [];
  /** Names whose queries hang until `release(name)`. */
  readonly held = new Map<string, (() => void)[]>();

  set(name: string, ...addresses: string[]): void {
    this.answers.set(
      name,
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4, ttlSeconds: 30 })),
    );
  }

  hold(name: string): void {
    this.held.set(name, []);
  }

  release(name: string): void {
    for (const go of this.held.get(name) ?? []) go();
    this.held.delete(name);
  }

  async resolve(name: string): Promise<DnsAnswer[]> {
    this.calls.push(name);
    const waiters = this.held.get(name);
    if (waiters) await new Promise<void>((resolve) => waiters.push(resolve));
    const answers = this.answers.get(name);
    if (!answers) throw new Error(`ENOTFOUND ${name}`);
    return answers;
  }
}

function acquire(host: {
  pool: { acquire: PooledConnection['host']['pool']['acquire'] };
}): Promise<PooledConnection> {
  return new Promise((resolve, reject) => {
    host.pool.acquire((err, conn) => (err || !conn ? reject(new Error(err)) : resolve(conn)));
  });
}

function addresses(cluster: { hosts(): readonly { address: string; port: number }[] } | undefined): string[] {
  return (cluster?.hosts() ?? []).map((h) => `${h.address}:${h.port}`).sort();
}

describe('ClusterManager', () => {
  const managers: ClusterManager[] = [];
  function manager(options: Partial<ConstructorParameters<typeof ClusterManager>[0]> = {}) {
    const store = new StatsStore();
    const cm = new ClusterManager({ stats: store.root(), ...options });
    managers.push(cm);
    return { cm, store };
  }
  afterEach(() => {
    for (const cm of managers.splice(0)) cm.close();
    mock.timers.reset();
  });

  it('builds a STATIC cluster from Envoy JSON, with Envoy-named stats', async () => {
    const { cm, store } = manager();
    assert.deepEqual(cm.addOrUpdateCluster(clusterConfig(staticCluster('web', ['10.0.0.1', '10.0.0.2']))), {
      ok: true,
    });
    await cm.initialized();
    const web = cm.get('web')!;
    assert.equal(web.name, 'web');
    assert.equal(web.connectTimeoutMs, 5000);
    assert.equal(web.config.name, 'web');
    assert.deepEqual(addresses(web), ['10.0.0.1:80', '10.0.0.2:80']);
    const picked = new Set([0, 1, 2, 3].map(() => web.chooseHost({})!.address));
    assert.deepEqual([...picked].sort(), ['10.0.0.1', '10.0.0.2']);
    assert.equal(web.stats.membership_total.value, 2);
    assert.equal(web.stats.membership_healthy.value, 2);
    for (const name of [
      'cluster.web.upstream_cx_total',
      'cluster.web.upstream_rq_pending_overflow',
      'cluster.web.lb_healthy_panic',
      'cluster.web.circuit_breakers.default.cx_open',
      'cluster.web.circuit_breakers.high.rq_retry_open',
    ]) {
      assert.ok(store.stats.has(name), name);
    }
    assert.equal(store.stats.get('cluster.web.upstream_cx_total')!.tags['envoy_cluster_name'], 'web');
    assert.deepEqual(
      [...cm.clusters()].map((c) => c.name),
      ['web'],
    );
  });

  it('returns config errors with the caller’s path and keeps the previous cluster', () => {
    const { cm } = manager();
    cm.addOrUpdateCluster(clusterConfig(staticCluster('web', ['10.0.0.1'])));
    const result = cm.addOrUpdateCluster(
      clusterConfig(
        staticCluster('web', ['10.0.0.9'], { outlier_detection: { max_ejection_percent: 101 } }),
      ),
      ['static_resources', 'clusters', 2],
    );
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.errors.map((e) => e.path), [
      ['static_resources', 'clusters', 2, 'outlier_detection', 'max_ejection_percent', 'value'],
    ]);
    assert.deepEqual(addresses(cm.get('web')), ['10.0.0.1:80']);
  });

  describe('EDS', () => {
    const eds = (name: string, serviceName?: string): object => ({
      name,
      type: 'EDS',
      eds_cluster_config: { eds_config: { ads: {} }, ...(serviceName ? { service_name: serviceName } : {}) },
    });

    it('warms until the first assignment and chooses no host before it', async () => {
      const { cm } = manager();
      cm.addOrUpdateCluster(clusterConfig(eds('svc', 'outbound|80||svc')));
      let ready = false;
      void cm.initialized().then(() => {
        ready = true;
      });
      await flush();
      assert.equal(ready, false);
      assert.equal(cm.get('svc')!.chooseHost({}), undefined);
      const result = cm.updateLoadAssignment(
        loadAssignment({
          cluster_name: 'outbound|80||svc',
          endpoints: [
            {
              locality: { region: 'us', zone: 'a' },
              lb_endpoints: [
                endpoint('10.1.0.1', 9080, { load_balancing_weight: 3 }),
                endpoint('10.1.0.2', 9080, { health_status: 'UNHEALTHY' }),
              ],
            },
            { priority: 1, lb_endpoints: [endpoint('10.1.0.3', 9080)] },
          ],
        }),
      );
      assert.deepEqual(result, { ok: true });
      await flush();
      assert.equal(ready, true);
      const cluster = cm.get('svc')!;
      // P0 is half healthy: 1.4 × 50% = 70% of the load stays there, 30% spills to P1.
      const counts = countPicks(() => cluster.chooseHost({}), 10_000);
      assert.equal(counts.get('10.1.0.2'), undefined);
      assertNear((counts.get('10.1.0.3') ?? 0) / 10_000, 0.3, 0.03, 'P1 share');
      const host = cluster.hosts().find((h) => h.address === '10.1.0.1')!;
      assert.equal(host.weight, 3);
      assert.equal(host.locality, 'us/a/');
      assert.equal(cluster.hosts().find((h) => h.address === '10.1.0.2')!.healthy, false);
      assert.equal(cluster.hosts().find((h) => h.address === '10.1.0.3')!.priority, 1);
      assert.equal(cluster.stats.membership_healthy.value, 2);
    });

    it('stops warming after initial_fetch_timeout (15 s by default)', async () => {
      mock.timers.enable({ apis: ['setTimeout'] });
      const { cm } = manager();
      cm.addOrUpdateCluster(clusterConfig(eds('slow')));
      cm.addOrUpdateCluster(
        clusterConfig({
          ...eds('patient'),
          eds_cluster_config: { eds_config: { ads: {}, initial_fetch_timeout: '0s' } },
        }),
      );
      let slowReady = false;
      void cm.initialized().then(() => {
        slowReady = true;
      });
      mock.timers.tick(14_999);
      await flush();
      assert.equal(slowReady, false);
      cm.removeCluster('patient'); // waits forever otherwise
      mock.timers.tick(1);
      await flush();
      assert.equal(slowReady, true);
      assert.equal(cm.get('slow')!.stats.init_fetch_timeout.value, 1);
      assert.equal(cm.get('slow')!.chooseHost({}), undefined);
    });

    it('keeps host identity (and connections) across assignments, and drops removed hosts', () => {
      const { cm } = manager();
      cm.addOrUpdateCluster(clusterConfig(eds('svc')));
      cm.updateLoadAssignment(
        loadAssignment({
          cluster_name: 'svc',
          endpoints: [{ lb_endpoints: [endpoint('10.1.0.1', 80), endpoint('10.1.0.2', 80)] }],
        }),
      );
      const before = cm
        .get('svc')!
        .hosts()
        .find((h) => h.address === '10.1.0.1');
      cm.updateLoadAssignment(
        loadAssignment({
          cluster_name: 'svc',
          endpoints: [{ lb_endpoints: [endpoint('10.1.0.1', 80, { load_balancing_weight: 5 })] }],
        }),
      );
      const after = cm.get('svc')!.hosts();
      assert.equal(after.length, 1);
      assert.equal(after[0], before);
      assert.equal(after[0]!.weight, 5);
    });

    it('uses an assignment that arrived before the cluster, and rejects a bad one', async () => {
      const { cm } = manager();
      assert.deepEqual(
        cm.updateLoadAssignment(
          loadAssignment({
            cluster_name: 'later',
            endpoints: [{ lb_endpoints: [endpoint('10.2.0.1', 80)] }],
          }),
        ),
        {
          ok: true,
        },
      );
      cm.addOrUpdateCluster(clusterConfig(eds('later')));
      await cm.initialized();
      assert.equal(cm.get('later')!.chooseHost({})!.address, '10.2.0.1');
      const bad = cm.updateLoadAssignment(
        loadAssignment({
          cluster_name: 'later',
          endpoints: [{ lb_endpoints: [endpoint('db.internal', 80)] }],
        }),
        ['resources', 0],
      );
      assert.equal(bad.ok, false);
      assert.deepEqual(!bad.ok && bad.errors[0]!.path, [
        'resources',
        0,
        'endpoints',
        0,
        'lb_endpoints',
        0,
        'endpoint',
        'address',
        'socket_address',
        'address',
      ]);
      assert.equal(
        cm.get('later')!.chooseHost({})!.address,
        '10.2.0.1',
        'a rejected assignment changes nothing',
      );
    });
  });

  describe('STRICT_DNS', () => {
    it('makes every resolved address a host, carrying the endpoint’s hostname', async () => {
      const resolver = new FakeResolver();
      resolver.set('api.example', '10.3.0.1', '10.3.0.2', '10.3.0.1');
      resolver.set('db.example', '10.3.0.9');
      const { cm } = manager({ resolver });
      cm.addOrUpdateCluster(clusterConfig(dnsCluster('api', 'STRICT_DNS', ['api.example', 'db.example'])));
      await cm.initialized();
      await flush();
      const api = cm.get('api')!;
      assert.deepEqual(addresses(api), ['10.3.0.1:8080', '10.3.0.2:8080', '10.3.0.9:8080']);
      assert.equal(api.hosts().find((h) => h.address === '10.3.0.9')!.hostname, 'db.example');
      assert.equal(api.stats.update_success.value, 2);
    });

    it('re-resolves every dns_refresh_rate and keeps hosts when a query fails', async () => {
      mock.timers.enable({ apis: ['setTimeout'] });
      const resolver = new FakeResolver();
      resolver.set('api.example', '10.3.0.1');
      const { cm } = manager({ resolver });
      cm.addOrUpdateCluster(
        clusterConfig(dnsCluster('api', 'STRICT_DNS', ['api.example'], { dns_refresh_rate: '1s' })),
      );
      await cm.initialized();
      resolver.set('api.example', '10.3.0.1', '10.3.0.2');
      mock.timers.tick(999);
      await flush();
      assert.equal(resolver.calls.length, 1);
      mock.timers.tick(1);
      await flush();
      assert.equal(resolver.calls.length, 2);
      assert.deepEqual(addresses(cm.get('api')), ['10.3.0.1:8080', '10.3.0.2:8080']);
      resolver.answers.delete('api.example');
      mock.timers.tick(1000);
      await flush();
      assert.equal(cm.get('api')!.stats.update_failure.value, 1);
      assert.deepEqual(addresses(cm.get('api')), ['10.3.0.1:8080', '10.3.0.2:8080']);
    });

    it('with respect_dns_ttl, refreshes at the records’ TTL', async () => {
      mock.timers.enable({ apis: ['setTimeout'] });
      const resolver = new FakeResolver();
      resolver.set('api.example', '10.3.0.1'); // TTL 30 s
      const { cm } = manager({ resolver });
      cm.addOrUpdateCluster(
        clusterConfig(dnsCluster('api', 'STRICT_DNS', ['api.example'], { respect_dns_ttl: true })),
      );
      await cm.initialized();
      mock.timers.tick(29_999);
      await flush();
      assert.equal(resolver.calls.length, 1);
      mock.timers.tick(1);
      await flush();
      assert.equal(resolver.calls.length, 2);
    });

    it('applies dns_lookup_family: AUTO prefers IPv6, V4_ONLY filters', async () => {
      const resolver = new FakeResolver();
      resolver.set('dual.example', '10.3.0.1', 'fd00::1');
      const { cm } = manager({ resolver });
      cm.addOrUpdateCluster(clusterConfig(dnsCluster('auto', 'STRICT_DNS', ['dual.example'])));
      cm.addOrUpdateCluster(
        clusterConfig(dnsCluster('v4', 'STRICT_DNS', ['dual.example'], { dns_lookup_family: 'V4_ONLY' })),
      );
      await cm.initialized();
      await flush();
      assert.deepEqual(addresses(cm.get('auto')), ['fd00::1:8080']);
      assert.deepEqual(addresses(cm.get('v4')), ['10.3.0.1:8080']);
    });
  });

  it('LOGICAL_DNS keeps one logical host at the first address and follows changes', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const resolver = new FakeResolver();
    resolver.set('edge.example', '10.4.0.1', '10.4.0.2');
    const { cm } = manager({ resolver });
    cm.addOrUpdateCluster(clusterConfig(dnsCluster('edge', 'LOGICAL_DNS', ['edge.example'])));
    await cm.initialized();
    const edge = cm.get('edge')!;
    const host = edge.chooseHost({})!;
    assert.equal(host.address, '10.4.0.1');
    assert.equal(host.hostname, 'edge.example');
    assert.equal(edge.hosts().length, 1);
    resolver.set('edge.example', '10.4.0.7');
    mock.timers.tick(5000);
    await flush();
    assert.equal(edge.chooseHost({}), host, 'the same logical host');
    assert.equal(host.address, '10.4.0.7');
  });

  describe('ORIGINAL_DST', () => {
    const odst = (extra: object = {}): object => ({
      name: 'passthrough',
      type: 'ORIGINAL_DST',
      lb_policy: 'CLUSTER_PROVIDED',
      ...extra,
    });

    it('routes to the downstream’s original destination, creating hosts on demand', () => {
      const { cm } = manager();
      cm.addOrUpdateCluster(clusterConfig(odst()));
      const cluster = cm.get('passthrough')!;
      assert.equal(cluster.chooseHost({}), undefined);
      const host = cluster.chooseHost({ downstreamLocalAddress: '10.5.0.1', downstreamLocalPort: 443 })!;
      assert.deepEqual([host.address, host.port], ['10.5.0.1', 443]);
      assert.equal(
        cluster.chooseHost({ downstreamLocalAddress: '10.5.0.1', downstreamLocalPort: 443 }),
        host,
      );
      // The header is ignored unless use_http_header is set.
      assert.equal(cluster.chooseHost({ originalDstHeader: '10.5.0.2:80' }), undefined);
      assert.equal(cluster.originalDstHeaderName, undefined);
      assert.equal(cluster.hosts().length, 1);
    });

    it('with use_http_header, prefers a valid header and counts invalid ones', () => {
      const { cm } = manager();
      cm.addOrUpdateCluster(clusterConfig(odst({ original_dst_lb_config: { use_http_header: true } })));
      const cluster = cm.get('passthrough')!;
      assert.equal(cluster.originalDstHeaderName, 'x-envoy-original-dst-host');
      const local = { downstreamLocalAddress: '10.5.0.1', downstreamLocalPort: 443 };
      assert.equal(cluster.chooseHost({ ...local, originalDstHeader: '[fd00::5]:8443' })!.address, 'fd00::5');
      assert.equal(
        cluster.chooseHost({ ...local, originalDstHeader: 'example.com:80' })!.address,
        '10.5.0.1',
      );
      assert.equal(cluster.stats.original_dst_host_invalid.value, 1);
    });

    it('applies upstream_port_override', () => {
      const { cm } = manager();
      cm.addOrUpdateCluster(
        clusterConfig(odst({ original_dst_lb_config: { upstream_port_override: 15001 } })),
      );
      const host = cm
        .get('passthrough')!
        .chooseHost({ downstreamLocalAddress: '10.5.0.1', downstreamLocalPort: 80 })!;
      assert.equal(host.port, 15001);
    });

    it('removes hosts unused for a cleanup interval', () => {
      mock.timers.enable({ apis: ['setTimeout'] });
      const { cm } = manager();
      cm.addOrUpdateCluster(clusterConfig(odst({ cleanup_interval: '1s' })));
      const cluster = cm.get('passthrough')!;
      cluster.chooseHost({ downstreamLocalAddress: '10.5.0.1', downstreamLocalPort: 80 });
      mock.timers.tick(1000);
      assert.equal(cluster.hosts().length, 1, 'used since the last pass');
      mock.timers.tick(1000);
      assert.equal(cluster.hosts().length, 0);
    });
  });

  it('RING_HASH clusters pick by LbContext.hashKey', () => {
    const { cm } = manager();
    cm.addOrUpdateCluster(
      clusterConfig(
        staticCluster('sticky', ['10.6.0.1', '10.6.0.2', '10.6.0.3'], { lb_policy: 'RING_HASH' }),
      ),
    );
    const cluster = cm.get('sticky')!;
    for (let key = 0; key < 50; key++) {
      const hashKey = key * 0x9e3779b1;
      assert.equal(cluster.chooseHost({ hashKey }), cluster.chooseHost({ hashKey }));
    }
  });

  describe('cluster updates', () => {
    async function upstream(): Promise<{ server: net.Server; port: number }> {
      const server = net.createServer((s) => s.on('error', () => {}));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return { server, port: (server.address() as net.AddressInfo).port };
    }

    it('replacing a cluster keeps in-flight requests working and closes old idle connections', async () => {
      const { server, port } = await upstream();
      const { cm } = manager();
      const config = staticCluster('web', ['127.0.0.1'], {}, port);
      cm.addOrUpdateCluster(clusterConfig(config));
      const old = cm.get('web')!;
      const host = old.chooseHost({})!;
      const inFlight = await acquire(host);
      const idle = await acquire(host);
      idle.release();

      assert.deepEqual(cm.addOrUpdateCluster(clusterConfig(config)), { ok: true });
      assert.equal(cm.get('web'), old, 'an identical update changes nothing');
      assert.equal(idle.socket.destroyed, false);

      cm.addOrUpdateCluster(clusterConfig({ ...config, connect_timeout: '2s' }));
      const replacement = cm.get('web')!;
      assert.notEqual(replacement, old);
      assert.equal(replacement.connectTimeoutMs, 2000);
      assert.ok(idle.socket.destroyed, 'old idle connection closed');
      assert.equal(inFlight.socket.destroyed, false, 'in-flight connection untouched');
      assert.ok(inFlight.socket.write('GET / HTTP/1.1\r\n\r\n'));
      inFlight.release();
      assert.ok(inFlight.socket.destroyed, 'not reused once the old cluster drained');
      const fresh = await acquire(replacement.chooseHost({})!);
      assert.notEqual(fresh.socket, inFlight.socket);
      fresh.release();
      server.close();
    });

    it('a replacement DNS cluster warms before it takes over', async () => {
      const resolver = new FakeResolver();
      resolver.set('v1.example', '10.7.0.1');
      resolver.set('v2.example', '10.7.0.2');
      const { cm } = manager({ resolver });
      cm.addOrUpdateCluster(clusterConfig(dnsCluster('svc', 'STRICT_DNS', ['v1.example'])));
      await cm.initialized();
      resolver.hold('v2.example');
      cm.addOrUpdateCluster(clusterConfig(dnsCluster('svc', 'STRICT_DNS', ['v2.example'])));
      await flush();
      assert.deepEqual(
        addresses(cm.get('svc')),
        ['10.7.0.1:8080'],
        'old cluster serves while the new one warms',
      );
      resolver.release('v2.example');
      await cm.initialized();
      await flush();
      assert.deepEqual(addresses(cm.get('svc')), ['10.7.0.2:8080']);
    });

    it('removeCluster drops the cluster and its stats', () => {
      const { cm, store } = manager();
      cm.addOrUpdateCluster(clusterConfig(staticCluster('gone', ['10.8.0.1'])));
      assert.ok(store.stats.has('cluster.gone.upstream_cx_total'));
      assert.equal(cm.removeCluster('gone'), true);
      assert.equal(cm.get('gone'), undefined);
      assert.equal(store.stats.has('cluster.gone.upstream_cx_total'), false);
      assert.equal(store.stats.has('cluster.gone.circuit_breakers.default.cx_open'), false);
      assert.equal(cm.removeCluster('gone'), false);
    });

    it('close() stops DNS refresh and destroys pooled sockets', async () => {
      mock.timers.enable({ apis: ['setTimeout'] });
      const { server, port } = await upstream();
      const resolver = new FakeResolver();
      resolver.set('api.example', '10.3.0.1');
      const { cm } = manager({ resolver });
      cm.addOrUpdateCluster(clusterConfig(dnsCluster('api', 'STRICT_DNS', ['api.example'])));
      cm.addOrUpdateCluster(clusterConfig(staticCluster('web', ['127.0.0.1'], {}, port)));
      await cm.initialized();
      const conn = await acquire(cm.get('web')!.chooseHost({})!);
      conn.release();
      cm.close();
      assert.ok(conn.socket.destroyed);
      mock.timers.tick(60_000);
      await flush();
      assert.equal(resolver.calls.length, 1);
      server.close();
    });
  });
});
