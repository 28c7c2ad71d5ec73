/**
 * istiod's monitoring and debug HTTP port (15014): `/metrics` in Prometheus text,
 * `/debug/syncz` (per-proxy sync status, read by `skein proxy-status`) and
 * `/debug/config_dump?proxyID=` (what was last sent to one proxy). Read-only; it binds to
 * loopback by default because config dumps expose the mesh's configuration.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { XdsServer } from './xds-server.js';

export const DEFAULT_MONITORING_PORT = 15014;

/** An extra endpoint mounted by the component that embeds the control plane (the local runtime's API). */
export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void;

export class DebugServer {
  constructor(xds: XdsServer) {
    this.xds = xds;
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  private readonly xds: XdsServer;
  private readonly server: http.Server;
  private readonly routes = new Map<string, RouteHandler>();

  /** Mounts `handler` for `METHOD /path` (exact path). */
  route(method: string, pathname: string, handler: RouteHandler): void {
    this.routes.set(`${method} ${pathname}`, handler);
  }

  listen(port = DEFAULT_MONITORING_PORT, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const mounted = this.routes.get(`${req.method} ${url.pathname}`);
    if (mounted) {
      mounted(req, res, url);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    switch (url.pathname) {
      case '/metrics':
        res
          .writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
          .end(this.xds.metrics.registry.render());
        return;
      case '/debug/syncz':
        json(res, 200, this.xds.syncStatus());
        return;
      case '/debug/config_dump': {
        const proxyId = url.searchParams.get('proxyID');
        if (!proxyId) {
          json(res, 400, { error: 'proxyID is required' });
          return;
        }
        const dump = this.xds.configDump(proxyId);
        if (dump) json(res, 200, dump);
        else json(res, 404, { error: `proxy ${proxyId} is not connected` });
        return;
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body, null, 2)}\n`);
}
