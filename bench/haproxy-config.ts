/**
 * haproxy as the one-hop proxy under test: `mode http`, one thread, no logging, and the
 * default `http-reuse safe` for upstream keep-alive.
 */
export function haproxyConfig(port: number, originPort: number): string {
  return `global
  nbthread 1
  maxconn 20000

defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout client 300s
  timeout server 300s
  timeout http-keep-alive 300s

frontend bench
  bind 127.0.0.1:${port}
  default_backend origin

backend origin
  server origin1 127.0.0.1:${originPort}
`;
}
