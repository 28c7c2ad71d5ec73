/**
 * Istio's port protocols, spelled as Istio spells them (pkg/config/protocol/instance.go), and
 * how a Kubernetes-style port name or appProtocol maps to one (pkg/config/kube/conversion.go).
 */

export type Protocol =
  | 'GRPC'
  | 'GRPC-Web'
  | 'HTTP'
  | 'HTTP_PROXY'
  | 'HTTP2'
  | 'HTTPS'
  | 'TCP'
  | 'TLS'
  | 'UDP'
  | 'Mongo'
  | 'Redis'
  | 'MySQL'
  | 'UnsupportedProtocol';

/** Istio's `protocol.Parse`: case-insensitive, anything else is `UnsupportedProtocol`. */
export function parseProtocol(name: string): Protocol {
  switch (name.toLowerCase()) {
    case 'tcp':
      return 'TCP';
    case 'udp':
      return 'UDP';
    case 'grpc':
      return 'GRPC';
    case 'grpc-web':
      return 'GRPC-Web';
    case 'http':
      return 'HTTP';
    case 'http_proxy':
      return 'HTTP_PROXY';
    case 'http2':
      return 'HTTP2';
    case 'https':
      return 'HTTPS';
    case 'tls':
      return 'TLS';
    case 'mongo':
      return 'Mongo';
    case 'redis':
      return 'Redis';
    case 'mysql':
      return 'MySQL';
    default:
      return 'UnsupportedProtocol';
  }
}

/** Ports Istio treats as TCP when the name says nothing (SMTP, DNS, MySQL, MongoDB). */
const WELL_KNOWN_TCP_PORTS = new Set([25, 53, 3306, 27017]);

/**
 * Istio's `kube.ConvertProtocol`: appProtocol wins over the port name; `grpc-web` is checked
 * before the `<protocol>-<suffix>` split; unnamed well-known ports are TCP; otherwise the
 * protocol is `UnsupportedProtocol` (sniffed at runtime by Istio, treated as TCP by Skein).
 */
export function protocolFromPortName(port: number, portName: string, appProtocol?: string, udp = false): Protocol {
  if (udp) return 'UDP';
  let name = portName;
  if (appProtocol !== undefined) {
    name = appProtocol;
    if (name === 'kubernetes.io/h2c') return 'HTTP2';
    if (name === 'kubernetes.io/ws') return 'HTTP';
    if (name === 'kubernetes.io/wss') return 'HTTPS';
  }
  if (name.toLowerCase().startsWith('grpc-web')) return 'GRPC-Web';
  const dash = name.indexOf('-');
  const protocol = parseProtocol(dash >= 0 ? name.slice(0, dash) : name);
  if (protocol === 'UnsupportedProtocol' && WELL_KNOWN_TCP_PORTS.has(port)) return 'TCP';
  return protocol;
}

/** HTTP/2 transport: HTTP2, GRPC, GRPC-Web (Istio `IsHTTP2`). */
export function isHttp2Protocol(protocol: Protocol): boolean {
  return protocol === 'HTTP2' || protocol === 'GRPC' || protocol === 'GRPC-Web';
}

/** Carried over HTTP (Istio `IsHTTP`). */
export function isHttpProtocol(protocol: Protocol): boolean {
  return protocol === 'HTTP' || protocol === 'HTTP_PROXY' || isHttp2Protocol(protocol);
}

/** Opaque TCP (Istio `IsTCP`): TCP, HTTPS, TLS, Mongo, Redis, MySQL. */
export function isTcpProtocol(protocol: Protocol): boolean {
  return (
    protocol === 'TCP' ||
    protocol === 'HTTPS' ||
    protocol === 'TLS' ||
    protocol === 'Mongo' ||
    protocol === 'Redis' ||
    protocol === 'MySQL'
  );
}

/** Carried over TLS (Istio `IsTLS`). */
export function isTlsProtocol(protocol: Protocol): boolean {
  return protocol === 'HTTPS' || protocol === 'TLS';
}
