/**
 * Envoy v3 Bootstrap documents for Skein, with Envoy's own field names (checked against the
 * envoy-api protos by skein-bootstrap.test.ts).
 *
 * The realistic one is what a mesh sidecar carries: 100 virtual hosts × 10 routes, prefix,
 * exact-path, regex and header matches, one STATIC cluster per service, stats on. The
 * benchmark Host is a late virtual host, and the route it takes is the 8th of its list,
 * selected by a header after two other header routes with the same prefix were rejected.
 * The catch-all after it points at a closed port, so a proxy that mis-matches headers
 * shows up as errors rather than as a fast number.
 */
import {
  ROUTE_HEADER,
  ROUTE_HEADER_VALUE,
  ROUTES_PER_VIRTUAL_HOST,
  serviceHost,
  TARGET_VIRTUAL_HOST,
  VIRTUAL_HOSTS,
} from './workload.js';

/**
 * The resilience variant (`npm run bench -- --resilience`): what Istio puts on every sidecar
 * route and cluster — its default retry policy, outlier detection, circuit breakers — plus a
 * fault filter injecting nothing (0 %), to measure what those features cost when idle.
 */
export interface BootstrapOptions {
  readonly resilience?: boolean;
}

/** Istio's default HTTP retry policy (2 attempts, its retry_on list, previous-hosts predicate). */
const ISTIO_DEFAULT_RETRY = {
  retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
  num_retries: 2,
  retry_host_predicate: [
    {
      name: 'envoy.retry_host_predicates.previous_hosts',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' },
    },
  ],
  host_selection_retry_max_attempts: 5,
};

const RESILIENT_CLUSTER = {
  circuit_breakers: { thresholds: [{ max_connections: 4294967295, max_pending_requests: 4294967295, max_requests: 4294967295, max_retries: 4294967295 }] },
  outlier_detection: { consecutive_5xx: 5, interval: '10s', base_ejection_time: '30s', max_ejection_percent: 100 },
};

const FAULT_FILTER = {
  name: 'envoy.filters.http.fault',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
    abort: { http_status: 503, percentage: { numerator: 0, denominator: 'HUNDRED' } },
    delay: { fixed_delay: '1s', percentage: { numerator: 0, denominator: 'HUNDRED' } },
  },
};

export interface BootstrapPorts {
  /** `listenPorts[0]` takes the load; more ports make a daisy chain of listeners, the last to the origin. */
  listenPorts: readonly number[];
  adminPort: number;
  originPort: number;
  /** A port nothing listens on: where mis-routed requests go. */
  closedPort: number;
}

type Json = Record<string, unknown>;

const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
export const BENCH_CLUSTER = 'bench-origin';
export const MISROUTE_CLUSTER = 'bench-misrouted';

function socketAddress(address: string, port: number): Json {
  return { socket_address: { address, port_value: port } };
}

function staticCluster(name: string, endpoints: ReadonlyArray<readonly [string, number]>, options: BootstrapOptions = {}): Json {
  return {
    ...(options.resilience ? RESILIENT_CLUSTER : {}),
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    lb_policy: 'ROUND_ROBIN',
    load_assignment: {
      cluster_name: name,
      endpoints: [
        {
          lb_endpoints: endpoints.map(([address, port]) => ({
            endpoint: { address: socketAddress(address, port) },
          })),
        },
      ],
    },
  };
}

function headerExact(name: string, value: string): Json {
  return { name, string_match: { exact: value } };
}

/** The ten routes of one virtual host; `target` and `fallback` are the clusters of routes 8 and 10. */
function routes(service: string, target: string, fallback: string, options: BootstrapOptions): Json[] {
  const to = (cluster: string): Json => ({
    cluster,
    timeout: '15s',
    ...(options.resilience ? { retry_policy: ISTIO_DEFAULT_RETRY } : {}),
  });
  const list: Json[] = [
    { name: 'healthz', match: { path: '/healthz' }, route: to(service) },
    {
      name: 'api-v1-blue',
      match: { prefix: '/api/v1/', headers: [headerExact('x-tenant', 'blue')] },
      route: to(service),
    },
    { name: 'api-v1', match: { prefix: '/api/v1/' }, route: { ...to(service), prefix_rewrite: '/v1/' } },
    { name: 'items-by-id', match: { safe_regex: { regex: '^/api/v2/items/[0-9]+$' } }, route: to(service) },
    { name: 'static', match: { prefix: '/static/', case_sensitive: false }, route: to(service) },
    {
      name: 'canary',
      match: { prefix: '/', headers: [headerExact(ROUTE_HEADER, 'canary')] },
      route: to(service),
    },
    {
      name: 'admins',
      match: { prefix: '/', headers: [{ name: 'x-user', string_match: { prefix: 'admin-' } }] },
      route: to(service),
    },
    {
      name: 'stable',
      match: { prefix: '/', headers: [headerExact(ROUTE_HEADER, ROUTE_HEADER_VALUE)] },
      route: to(target),
    },
    {
      name: 'debug',
      match: { prefix: '/', headers: [{ name: 'x-debug', present_match: true }] },
      route: to(service),
    },
    { name: 'default', match: { prefix: '/' }, route: to(fallback) },
  ];
  if (list.length !== ROUTES_PER_VIRTUAL_HOST)
    throw new Error('route table and ROUTES_PER_VIRTUAL_HOST disagree');
  return list;
}

function virtualHost(index: number, benchTarget: string, options: BootstrapOptions): Json {
  const host = serviceHost(index);
  const service = `svc-${String(index).padStart(3, '0')}`;
  const isTarget = index === TARGET_VIRTUAL_HOST;
  return {
    name: service,
    domains: [host, `${host}:80`, `${service}.bench`, service],
    routes: routes(service, isTarget ? benchTarget : service, isTarget ? MISROUTE_CLUSTER : service, options),
  };
}

function listener(port: number, routeConfig: Json, name = 'bench-http', options: BootstrapOptions = {}): Json {
  return {
    name,
    address: socketAddress('127.0.0.1', port),
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM_TYPE,
              stat_prefix: 'bench_http',
              codec_type: 'AUTO',
              route_config: routeConfig,
              http_filters: [
                ...(options.resilience ? [FAULT_FILTER] : []),
                { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } },
              ],
            },
          },
        ],
      },
    ],
  };
}

function bootstrap(adminPort: number, listeners: Json[], clusters: Json[]): Json {
  return {
    node: { id: 'bench-sidecar~127.0.0.1~bench.default~default.svc.cluster.local', cluster: 'bench' },
    admin: { address: socketAddress('127.0.0.1', adminPort) },
    // Stats on: every default tag extracted, nothing rejected.
    stats_config: { use_all_default_tags: true, stats_matcher: { reject_all: false } },
    static_resources: { listeners, clusters },
  };
}

/**
 * 100 virtual hosts × 10 routes, 102 clusters, header matching on the benchmark's route.
 * In a chain, listener i has the same table with its benchmark route aimed at listener i+1.
 */
export function realisticBootstrap(ports: BootstrapPorts, options: BootstrapOptions = {}): Json {
  const origin: [string, number] = ['127.0.0.1', ports.originPort];
  const clusters: Json[] = [
    staticCluster(BENCH_CLUSTER, [origin], options),
    staticCluster(MISROUTE_CLUSTER, [['127.0.0.1', ports.closedPort]], options),
  ];
  for (let i = 0; i < VIRTUAL_HOSTS; i++) {
    // Never selected by the benchmark; pointed at the origin so nothing else can be reached.
    clusters.push(staticCluster(`svc-${String(i).padStart(3, '0')}`, [origin], options));
  }
  const listeners = ports.listenPorts.map((port, hop) => {
    const nextPort = ports.listenPorts[hop + 1];
    let target = BENCH_CLUSTER;
    if (nextPort !== undefined) {
      target = `bench-hop-${hop + 1}`;
      clusters.push(staticCluster(target, [['127.0.0.1', nextPort]], options));
    }
    const virtualHosts = Array.from({ length: VIRTUAL_HOSTS }, (_, i) => virtualHost(i, target, options));
    const suffix = hop === 0 ? '' : `-hop-${hop}`;
    return listener(
      port,
      { name: `bench-routes${suffix}`, virtual_hosts: virtualHosts },
      `bench-http${suffix}`,
      options,
    );
  });
  return bootstrap(ports.adminPort, listeners, clusters);
}

/** Loopback addresses, unique per endpoint, that nothing listens on (never connected to). */
function scaleEndpoint(cluster: number, endpoint: number): [string, number] {
  return [`127.${1 + (cluster >> 8)}.${cluster & 255}.${endpoint + 1}`, 9080];
}

/** One listener and route, and `clusters` STATIC clusters of `endpointsPerCluster` endpoints each. */
export function clusterScaleBootstrap(
  ports: { listenPort: number; adminPort: number },
  clusters: number,
  endpointsPerCluster: number,
): Json {
  const list: Json[] = [];
  for (let c = 0; c < clusters; c++) {
    const endpoints = Array.from({ length: endpointsPerCluster }, (_, e) => scaleEndpoint(c, e));
    list.push(staticCluster(`scale-${String(c).padStart(4, '0')}`, endpoints));
  }
  const routeConfig = {
    name: 'scale-routes',
    virtual_hosts: [
      {
        name: 'scale',
        domains: ['*'],
        routes: [{ match: { prefix: '/' }, route: { cluster: 'scale-0000' } }],
      },
    ],
  };
  return bootstrap(ports.adminPort, [listener(ports.listenPort, routeConfig)], list);
}
