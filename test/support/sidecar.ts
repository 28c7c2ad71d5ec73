/**
 * A real Skein sidecar as a child process (`skein proxy --xds …`) in the local runtime's
 * capture mode: its own loopback IP, admin on that IP, optionally an outbound HTTP proxy port
 * (clients send absolute-form requests, as with HTTP_PROXY) and inbound forwarding to an app.
 */
import { request } from 'node:http';
import { proxyNodeId } from '../../src/model/proxy.js';
import { TestProcess } from './child-processes.js';

export const ADMIN_PORT = 15000;
export const HTTP_PROXY_PORT = 15080;

export interface SidecarOptions {
  readonly xdsPort: number;
  /** The workload's (and sidecar's) loopback IP. */
  readonly ip: string;
  readonly pod: string;
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Outbound HTTP proxy port (node metadata HTTP_PROXY_PORT); default 15080. */
  readonly httpProxyPort?: number;
  /** Inbound: where the app listens, and service port → app port. */
  readonly appAddress?: string;
  readonly appPorts?: Readonly<Record<number, number>>;
}

export class Sidecar {
  readonly ip: string;
  readonly httpProxyPort: number;
  readonly nodeId: string;
  readonly process: TestProcess;

  constructor(options: SidecarOptions) {
    const namespace = options.namespace ?? 'default';
    this.ip = options.ip;
    this.httpProxyPort = options.httpProxyPort ?? HTTP_PROXY_PORT;
    this.nodeId = proxyNodeId('sidecar', options.ip, options.pod, namespace);
    const metadata = [`HTTP_PROXY_PORT=${this.httpProxyPort}`];
    if (options.appAddress) metadata.push(`SKEIN_APP_ADDRESS=${options.appAddress}`);
    const appPorts = Object.entries(options.appPorts ?? {}).map(([service, app]) => `${service}:${app}`);
    if (appPorts.length > 0) metadata.push(`SKEIN_APP_PORTS=${appPorts.join(',')}`);
    const labels = Object.entries(options.labels).map(([k, v]) => `${k}=${v}`);
    this.process = TestProcess.skein(options.pod, [
      'proxy',
      '--xds', `127.0.0.1:${options.xdsPort}`,
      '--node-id', this.nodeId,
      '--namespace', namespace,
      '--instance-ips', options.ip,
      '--admin-address', options.ip,
      '--admin-port', String(ADMIN_PORT),
      '--drain-time-s', '1',
      ...(labels.length > 0 ? ['--labels', labels.join(',')] : []),
      '--metadata', metadata.join(','),
    ]);
  }

  /** Istio's proxy id (`pod.namespace`), as /debug/syncz names it. */
  get proxyId(): string {
    return this.nodeId.split('~')[2] ?? this.nodeId;
  }

  /** GET on the admin API. */
  admin(path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: this.ip, port: ADMIN_PORT, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Resolves once the proxy's admin says LIVE (initial xDS config applied). */
  async ready(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.process.running) throw new Error(`${this.process.name} exited:\n${this.process.output}`);
      const state = await this.admin('/ready').catch(() => undefined);
      if (state?.status === 200) return;
      if (Date.now() > deadline) throw new Error(`${this.process.name} not LIVE after ${timeoutMs} ms (${state?.body.trim() ?? 'no admin'}):\n${this.process.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Counter and gauge values from `/stats` (`name: value` lines). */
  async stats(): Promise<Map<string, number>> {
    const { body } = await this.admin('/stats');
    const out = new Map<string, number>();
    for (const line of body.split('\n')) {
      const match = /^(\S+): (\d+)$/.exec(line);
      if (match) out.set(match[1]!, Number(match[2]));
    }
    return out;
  }

  stop(): Promise<unknown> {
    return this.process.stop();
  }
}
