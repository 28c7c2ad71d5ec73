/**
 * haproxy as the proxy under test: `mode http`, one thread, no logging, and the default
 * `http-reuse safe` for upstream keep-alive. `ports[0]` takes the load; with more than one
 * port the frontends form a daisy chain inside the one process, the last one to the origin.
 */
export function haproxyConfig(ports: readonly number[], originPort: number): string {
  const sections = ports.map((port, i) => {
    const next = ports[i + 1] ?? originPort;
    return `frontend hop${i}
  bind 127.0.0.1:${port}
  default_backend hop${i}

backend hop${i}
  server next 127.0.0.1:${next}
`;
  });
  return `global
  nbthread 1
  maxconn 4000

defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout client 300s
  timeout server 300s
  timeout http-keep-alive 300s

${sections.join('\n')}`;
}
