/**
 * The one request every system under test receives, and the payloads the origin serves.
 *
 * The Host names one of the later virtual hosts of Skein's realistic route table and the
 * route header is what its header-matching route selects on; nginx, haproxy and the origin
 * ignore both, so every path sees byte-identical requests.
 */

export const VIRTUAL_HOSTS = 100;
export const ROUTES_PER_VIRTUAL_HOST = 10;
/** Index of the virtual host the benchmark traffic targets (a late one, so lookups cannot short-cut). */
export const TARGET_VIRTUAL_HOST = 87;

export function serviceHost(index: number): string {
  return `svc-${String(index).padStart(3, '0')}.bench.svc.cluster.local`;
}

export const BENCH_HOST = serviceHost(TARGET_VIRTUAL_HOST);
export const ROUTE_HEADER = 'x-bench-route';
export const ROUTE_HEADER_VALUE = 'stable';

export interface Payload {
  /** Short label used in tables, e.g. "1 KB". */
  label: string;
  /** Path the origin serves this body on. */
  path: string;
  bytes: number;
}

export const PAYLOAD_0B: Payload = { label: '0 B', path: '/p/0b', bytes: 0 };
export const PAYLOAD_1KB: Payload = { label: '1 KB', path: '/p/1kb', bytes: 1024 };
export const PAYLOADS: readonly Payload[] = [PAYLOAD_0B, PAYLOAD_1KB];

/** Headers sent with every benchmark request besides Host. */
export const EXTRA_HEADERS: ReadonlyArray<readonly [string, string]> = [
  [ROUTE_HEADER, ROUTE_HEADER_VALUE],
  ['user-agent', 'skein-bench'],
];

export function requestBytes(path: string): Buffer {
  const lines = [`GET ${path} HTTP/1.1`, `host: ${BENCH_HOST}`];
  for (const [name, value] of EXTRA_HEADERS) lines.push(`${name}: ${value}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}
