/**
 * Envoy's admin API on its own port (Istio's sidecar uses 15000): readiness, server info,
 * stats (text and Prometheus), clusters, config dump, and the drain/health/quit controls.
 * Mutating endpoints require POST, as in Envoy. Not on the request hot path.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { SKEIN_VERSION } from '../../lib/version.js';
import type { ProxyServer } from '../server.js';
import { renderPrometheus, renderText } from '../stats/render.js';
import { buildConfigDump } from './config-dump.js';

type Handler = (server: ProxyServer, url: URL, res: ServerResponse) => void;

interface Endpoint {
  readonly help: string;
  readonly post: boolean;
  readonly handle: Handler;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=UTF-8'): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache',
  });
  res.end(body);
}

function sendJson(res: ServerResponse, value: unknown): void {
  send(res, 200, `${JSON.stringify(value, null, 2)}\n`, 'application/json');
}

const ENDPOINTS: Record<string, Endpoint> = {
  '/ready': {
    help: 'print server state, return 200 if LIVE, otherwise return 503',
    post: false,
    handle: (server, _url, res) => {
      const state = server.healthCheckFailed && server.state === 'LIVE' ? 'DRAINING' : server.state;
      send(res, state === 'LIVE' ? 200 : 503, `${state}\n`);
    },
  },
  '/server_info': {
    help: 'print server version/status information',
    post: false,
    handle: (server, _url, res) => {
      const uptime = `${Math.floor((Date.now() - server.startTime) / 1000)}s`;
      sendJson(res, {
        version: SKEIN_VERSION,
        state: server.state,
        hot_restart_version: 'disabled',
        command_line_options: { drain_time: `${server.drainTimeMs / 1000}s` },
        node: server.bootstrap?.node ?? {},
        uptime_current_epoch: uptime,
        uptime_all_epochs: uptime,
      });
    },
  },
  '/stats': {
    help: 'print server stats (?filter=REGEX, ?format=json|prometheus)',
    post: false,
    handle: (server, url, res) => {
      const format = url.searchParams.get('format');
      if (format === 'prometheus') {
        send(res, 200, renderPrometheus(server.stats), 'text/plain; version=0.0.4');
        return;
      }
      const pattern = url.searchParams.get('filter');
      let filter: RegExp | undefined;
      if (pattern) {
        try {
          filter = new RegExp(pattern);
        } catch {
          send(res, 400, `invalid regex: ${pattern}\n`);
          return;
        }
      }
      if (format === 'json') {
        const stats = [...server.stats.stats.values()]
          .filter((s) => !filter || filter.test(s.name))
          .map((s) =>
            'value' in s
              ? { name: s.name, value: s.value }
              : { name: s.name, histogram: { count: s.count, sum: s.sum } },
          );
        sendJson(res, { stats });
        return;
      }
      send(res, 200, renderText(server.stats, filter));
    },
  },
  '/stats/prometheus': {
    help: 'print server stats in prometheus format',
    post: false,
    handle: (server, _url, res) =>
      send(res, 200, renderPrometheus(server.stats), 'text/plain; version=0.0.4'),
  },
  '/clusters': {
    help: 'upstream cluster status (?format=json)',
    post: false,
    handle: (server, url, res) => {
      const clusters = [...server.clusterManager.clusters()];
      if (url.searchParams.get('format') === 'json') {
        return sendJson(res, {
          cluster_statuses: clusters.map((c) => ({
            name: c.name,
            host_statuses: c.hosts().map((h) => ({
              address: { socket_address: { address: h.address, port_value: h.port } },
              health_status: { eds_health_status: h.healthy ? 'HEALTHY' : 'UNHEALTHY' },
              weight: h.weight,
              priority: h.priority,
              hostname: h.hostname,
            })),
          })),
        });
      }
      let out = '';
      for (const cluster of clusters) {
        for (const host of cluster.hosts()) {
          const id = `${cluster.name}::${host.address}:${host.port}`;
          out += `${id}::rq_active::${host.activeRequests}\n`;
          out += `${id}::weight::${host.weight}\n`;
          out += `${id}::priority::${host.priority}\n`;
          out += `${id}::health_flags::${host.healthFlagsString()}\n`;
          out += `${id}::hostname::${host.hostname}\n`;
        }
      }
      send(res, 200, out);
    },
  },
  '/config_dump': {
    help: 'dump current Envoy configs (?include_eds: with endpoints)',
    post: false,
    handle: (server, url, res) => sendJson(res, buildConfigDump(server, url.searchParams.has('include_eds'))),
  },
  '/listeners': {
    help: 'print listener info',
    post: false,
    handle: (server, _url, res) => {
      const lines = server.listenerManager.configs().map((l) => {
        const a = l.address?.socket_address;
        return `${l.name}::${a?.address}:${server.listenerManager.boundPort(l.name) ?? a?.port_value}`;
      });
      send(res, 200, `${lines.join('\n')}\n`);
    },
  },
  '/drain_listeners': {
    help: 'drain listeners (?graceful: keep accepting while draining)',
    post: true,
    handle: (server, url, res) => {
      server.listenerManager.drainAll(!url.searchParams.has('graceful'));
      send(res, 200, 'OK\n');
    },
  },
  '/healthcheck/fail': {
    help: 'cause the server to fail health checks',
    post: true,
    handle: (server, _url, res) => {
      server.healthCheckFailed = true;
      send(res, 200, 'OK\n');
    },
  },
  '/healthcheck/ok': {
    help: 'cause the server to pass health checks',
    post: true,
    handle: (server, _url, res) => {
      server.healthCheckFailed = false;
      send(res, 200, 'OK\n');
    },
  },
  '/quitquitquit': {
    help: 'exit the server',
    post: true,
    handle: (server, _url, res) => {
      send(res, 200, 'OK\n');
      void server.shutdown().then(() => process.emit('SIGTERM'));
    },
  },
};

export class AdminServer {
  private readonly http: Server;
  port: number | undefined;

  constructor(server: ProxyServer) {
    this.http = createServer((req, res) => this.handle(server, req, res));
  }

  private handle(server: ProxyServer, req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://admin');
    if (url.pathname === '/' || url.pathname === '/help') {
      const lines = Object.entries(ENDPOINTS).map(([path, e]) => `  ${path}: ${e.help}`);
      send(res, 200, `admin commands are:\n${lines.join('\n')}\n`);
      return;
    }
    const endpoint = ENDPOINTS[url.pathname];
    if (!endpoint) {
      send(res, 404, `invalid path. admin commands are listed at /help\n`);
      return;
    }
    if (endpoint.post && req.method !== 'POST') {
      send(res, 405, 'This endpoint requires POST\n');
      return;
    }
    try {
      endpoint.handle(server, url, res);
    } catch (err) {
      send(res, 500, `admin error: ${(err as Error).message}\n`);
    }
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        const address = this.http.address();
        this.port = typeof address === 'object' && address ? address.port : port;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.http.closeAllConnections();
      this.http.close(() => resolve());
    });
  }
}
