/**
 * The one outbound HTTP client every Bookinfo service uses.
 *
 * Node's `http.request` ignores `HTTP_PROXY`, so this client implements the convention itself,
 * the way curl does: with a proxy set (and `NO_PROXY` not excluding the target), it connects to
 * the proxy and sends the request in absolute-form (`GET http://reviews:9080/reviews/0 HTTP/1.1`,
 * `Host: reviews:9080`). That is how the local mesh runtime steers an app's outbound traffic
 * into its sidecar without root (RFC 9112 §3.2.2: a proxy receives absolute-form targets).
 */
import http from 'node:http';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import net from 'node:net';

export interface HttpClientRequest {
  method?: string;
  /** An `http:` URL; the client sends nothing else. */
  url: string;
  headers?: Readonly<Record<string, string>>;
  body?: string;
  /** Deadline for one attempt, from connecting to the last byte of the response body. */
  timeoutMs: number;
}

export interface HttpClientResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpClient {
  /** Rejects on connection errors, timeouts and oversized bodies; any HTTP status resolves. */
  request(request: HttpClientRequest): Promise<HttpClientResponse>;
  /** Closes the pooled keep-alive connections. */
  close(): void;
}

export interface ProxySettings {
  /** The forward proxy for `http:` targets, or undefined to connect directly. */
  proxy: URL | undefined;
  /** True when `NO_PROXY` says to bypass the proxy for this host and port. */
  bypass(hostname: string, port: number): boolean;
}

/** Bookinfo bodies are a few hundred bytes; anything this large is a broken peer. */
const MAX_BODY_BYTES = 1 << 20;

type Env = Readonly<Record<string, string | undefined>>;

/** Lowercase wins over uppercase, as in curl and Python's urllib. */
function envAny(env: Env, name: string): string | undefined {
  const value = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Reads `HTTP_PROXY`/`http_proxy` and `NO_PROXY`/`no_proxy`. Throws on an unusable proxy URL. */
export function proxySettingsFromEnv(env: Env): ProxySettings {
  const raw = envAny(env, 'http_proxy');
  let proxy: URL | undefined;
  if (raw !== undefined) {
    // curl accepts `host:port` without a scheme and assumes http://.
    proxy = new URL(raw.includes('://') ? raw : `http://${raw}`);
    if (proxy.protocol !== 'http:') {
      throw new Error(`HTTP_PROXY: only http:// proxies are supported, got ${proxy.protocol}`);
    }
  }
  return { proxy, bypass: noProxyMatcher(envAny(env, 'no_proxy') ?? '') };
}

/**
 * `NO_PROXY` as curl and Go read it: comma-separated; `*` bypasses everything; an entry is a
 * domain (matching itself and its subdomains, a leading `.` or `*.` is optional), an IP
 * address, a CIDR block, any of these optionally followed by `:port`.
 */
export function noProxyMatcher(value: string): (hostname: string, port: number) => boolean {
  const entries = value
    .split(/[\s,]+/)
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '');
  if (entries.includes('*')) return () => true;
  const rules = entries.map(parseNoProxyEntry);
  return (hostname, port) => {
    const host = unbracket(hostname.toLowerCase());
    return rules.some((rule) => (rule.port === undefined || rule.port === port) && rule.matches(host));
  };
}

interface NoProxyRule {
  port: number | undefined;
  matches(host: string): boolean;
}

function parseNoProxyEntry(entry: string): NoProxyRule {
  let name = entry;
  let port: number | undefined;
  const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
  if (withPort?.[1] !== undefined && withPort[2] !== undefined) {
    name = withPort[1];
    port = Number(withPort[2]);
  }
  name = unbracket(name);
  const cidr = /^(.+)\/(\d{1,3})$/.exec(name);
  if (cidr?.[1] !== undefined && cidr[2] !== undefined && net.isIP(cidr[1]) !== 0) {
    const blocks = new net.BlockList();
    const family = net.isIP(cidr[1]) === 4 ? 'ipv4' : 'ipv6';
    blocks.addSubnet(cidr[1], Number(cidr[2]), family);
    return { port, matches: (host) => net.isIP(host) !== 0 && blocks.check(host, net.isIP(host) === 4 ? 'ipv4' : 'ipv6') };
  }
  if (net.isIP(name) !== 0) return { port, matches: (host) => host === name };
  const domain = name.replace(/^\*?\./, '');
  return { port, matches: (host) => host === domain || host.endsWith(`.${domain}`) };
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** A client whose proxy settings come from `env` (normally `process.env`). */
export function createHttpClient(env: Env = process.env): HttpClient {
  const settings = proxySettingsFromEnv(env);
  const agent = new http.Agent({ keepAlive: true });
  return {
    request: (request) => send(request, settings, agent),
    close: () => agent.destroy(),
  };
}

function send(request: HttpClientRequest, settings: ProxySettings, agent: http.Agent): Promise<HttpClientResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(request.url);
    if (target.protocol !== 'http:') {
      reject(new Error(`unsupported URL scheme ${target.protocol} in ${request.url}`));
      return;
    }
    const targetPort = target.port === '' ? 80 : Number(target.port);
    const headers: OutgoingHttpHeaders = { ...request.headers, host: target.host };
    if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
    const proxy = settings.proxy !== undefined && !settings.bypass(target.hostname, targetPort) ? settings.proxy : undefined;
    const options: http.RequestOptions = proxy === undefined
      ? { host: unbracket(target.hostname), port: targetPort, path: `${target.pathname}${target.search}` }
      : { host: unbracket(proxy.hostname), port: proxy.port === '' ? 80 : Number(proxy.port), path: target.href };
    if (proxy !== undefined && proxy.username !== '') {
      const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
      headers['proxy-authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
    }
    const req = http.request({ ...options, method: request.method ?? 'GET', headers, agent });
    const timer = setTimeout(() => req.destroy(new Error(`timeout after ${request.timeoutMs} ms`)), request.timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) req.destroy(new Error(`response body over ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.end(request.body);
  });
}
