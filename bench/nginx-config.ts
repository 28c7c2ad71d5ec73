/**
 * nginx configurations: the origin (fixed bodies via `return 200`) and nginx as the
 * one-hop proxy under test. Both run one worker, log nothing per request and keep
 * client connections alive indefinitely, as every other path does.
 */
import { PAYLOADS } from './workload.js';

function common(dir: string): string {
  return [
    'worker_processes 1;',
    'daemon off;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    'events { worker_connections 8192; }',
  ].join('\n');
}

function httpCommon(dir: string): string {
  return [
    '  access_log off;',
    '  keepalive_requests 10000000;',
    '  keepalive_timeout 300s;',
    '  default_type text/plain;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t}_temp;`),
  ].join('\n');
}

export function originConfig(dir: string, port: number): string {
  const locations = PAYLOADS.map((p) => `    location = ${p.path} { return 200 "${'x'.repeat(p.bytes)}"; }`);
  return `${common(dir)}
http {
${httpCommon(dir)}
  server {
    listen 127.0.0.1:${port} backlog=4096;
${locations.join('\n')}
    location / { return 404; }
  }
}
`;
}

/**
 * nginx as the proxy: `ports[0]` takes the load; with more than one port the servers form a
 * daisy chain inside the one worker (port i forwards to port i+1, the last to the origin).
 */
export function nginxProxyConfig(dir: string, ports: readonly number[], originPort: number): string {
  const upstreams: string[] = [];
  const servers: string[] = [];
  ports.forEach((port, i) => {
    const next = ports[i + 1] ?? originPort;
    upstreams.push(`  upstream hop${i} {
    server 127.0.0.1:${next};
    keepalive 64;
    keepalive_requests 10000000;
  }`);
    servers.push(`  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass http://hop${i};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }`);
  });
  return `${common(dir)}
http {
${httpCommon(dir)}
${upstreams.join('\n')}
${servers.join('\n')}
}
`;
}
