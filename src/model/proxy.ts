/**
 * A proxy connected to the control plane (Istio pilot/pkg/model/context.go `Proxy`), built from
 * its xDS node id and node metadata exactly as Istio parses them.
 */
import type { Locality } from './endpoint.js';
import type { Labels } from './labels.js';

/** `sidecar` (one per workload) or `router` (gateways). */
export type ProxyType = 'sidecar' | 'router';

/**
 * How application traffic reaches the sidecar.
 * - `iptables`: Istio's shape: outbound traffic is redirected to 15001 (original destination
 *   kept), inbound to 15006.
 * - `http-proxy`: Skein's local runtime: no interception; applications send outbound requests
 *   to the sidecar's HTTP proxy port (`HTTP_PROXY=http://<proxy ip>:<port>`), and peers reach
 *   the workload at the proxy's own IP on each service port. Requested with node metadata
 *   `INTERCEPTION_MODE: NONE` plus an HTTP proxy port.
 */
export type CaptureMode = 'iptables' | 'http-proxy';

/**
 * Node metadata keys as Istio's agent sends them (pkg/model/proxy.go `NodeMetadata`), plus
 * Skein's local-runtime keys. Values arrive as a protobuf Struct, so every field is optional.
 */
export interface NodeMetadata {
  readonly NAMESPACE?: string;
  readonly LABELS?: Readonly<Record<string, string>>;
  /** Comma-separated IPs of the workload. */
  readonly INSTANCE_IPS?: string;
  readonly SERVICE_ACCOUNT?: string;
  readonly WORKLOAD_NAME?: string;
  readonly CLUSTER_ID?: string;
  readonly NETWORK?: string;
  readonly MESH_ID?: string;
  readonly ISTIO_VERSION?: string;
  /** `grpc` for proxyless gRPC clients (Istio's GRPC generator). */
  readonly GENERATOR?: string;
  /** `REDIRECT` (default), `TPROXY` or `NONE`. */
  readonly INTERCEPTION_MODE?: string;
  /** Per-proxy override of MeshConfig `proxyHttpPort`. */
  readonly HTTP_PROXY_PORT?: string;
  /** Skein local runtime: where the application listens (default 127.0.0.1). */
  readonly SKEIN_APP_ADDRESS?: string;
  /** Skein local runtime: `servicePort:appPort` pairs, comma-separated (`9080:31001,9443:31002`). */
  readonly SKEIN_APP_PORTS?: string;
  readonly [key: string]: unknown;
}

export interface Proxy {
  /** The node id as sent: `sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local`. */
  readonly nodeId: string;
  readonly type: ProxyType;
  /** Istio's proxy ID, the third part of the node id: `pod.ns`. */
  readonly id: string;
  readonly ipAddresses: readonly string[];
  /** The fourth part of the node id: `ns.svc.cluster.local`. */
  readonly dnsDomain: string;
  /** Config namespace: NAMESPACE metadata, else the first label of dnsDomain (Istio `GetProxyConfigNamespace`). */
  readonly namespace: string;
  readonly labels: Labels;
  readonly serviceAccount: string;
  readonly workloadName: string;
  readonly metadata: NodeMetadata;
  /** The xDS node's locality (Envoy `Node.locality`); empty parts when unknown. */
  readonly locality: Locality;
  /** `grpc` for proxyless gRPC; undefined for Envoy-shaped proxies. */
  readonly generator?: string;
  readonly captureMode: CaptureMode;
  /** The HTTP proxy port (HTTP_PROXY_PORT metadata or MeshConfig proxyHttpPort); 0 = none. */
  readonly httpProxyPort: number;
  /** `http-proxy` mode: the address the application listens on. */
  readonly appAddress: string;
  /** `http-proxy` mode: service (target) port → application port, where they differ. */
  readonly appPorts: Readonly<Record<number, number>>;
}

export type ParseProxyResult = { ok: true; proxy: Proxy } | { ok: false; error: string };

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIpAddress(value: string): boolean {
  return IPV4.test(value) || (value.includes(':') && /^[0-9a-fA-F:.]+$/.test(value));
}

function parseAppPorts(value: string | undefined): Record<number, number> | string {
  const out: Record<number, number> = {};
  if (!value) return out;
  for (const pair of value.split(',')) {
    const match = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(pair);
    if (!match) return `invalid SKEIN_APP_PORTS entry ${JSON.stringify(pair)} (want servicePort:appPort)`;
    out[Number(match[1])] = Number(match[2]);
  }
  return out;
}

/**
 * Istio's `ParseServiceNodeWithMetadata`: `type~ip~id~domain`, four parts, type sidecar or
 * router; IPs from INSTANCE_IPS, else the node id's IP part.
 */
export interface ParseProxyOptions {
  /** MeshConfig `proxyHttpPort`, used when the node has no HTTP_PROXY_PORT. */
  readonly meshProxyHttpPort?: number;
  /** The node's locality as sent in the xDS `Node`. */
  readonly locality?: Locality;
}

export function parseProxy(nodeId: string, metadata: NodeMetadata = {}, options: ParseProxyOptions = {}): ParseProxyResult {
  const parts = nodeId.split('~');
  if (parts.length !== 4) return { ok: false, error: `missing parts in the service node "${nodeId}"` };
  const [type = '', ip = '', id = '', dnsDomain = ''] = parts;
  if (type !== 'sidecar' && type !== 'router') {
    return { ok: false, error: `invalid node type (valid types: sidecar, router) in the service node "${nodeId}"` };
  }
  const instanceIps = (metadata.INSTANCE_IPS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  let ipAddresses: string[] = [];
  if (instanceIps.length > 0 && instanceIps.every(isIpAddress)) ipAddresses = instanceIps;
  else if (isIpAddress(ip)) ipAddresses = [ip];
  if (ipAddresses.length === 0) return { ok: false, error: 'no valid IP address in the service node id or metadata' };

  const namespace = metadata.NAMESPACE || (dnsDomain.includes('.') ? (dnsDomain.split('.')[0] ?? '') : '');
  let httpProxyPort = options.meshProxyHttpPort ?? 0;
  if (metadata.HTTP_PROXY_PORT) {
    const port = Number(metadata.HTTP_PROXY_PORT);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      return { ok: false, error: `invalid HTTP_PROXY_PORT ${JSON.stringify(metadata.HTTP_PROXY_PORT)}` };
    }
    httpProxyPort = port;
  }
  const appPorts = parseAppPorts(metadata.SKEIN_APP_PORTS);
  if (typeof appPorts === 'string') return { ok: false, error: appPorts };
  const captureMode: CaptureMode = metadata.INTERCEPTION_MODE === 'NONE' && httpProxyPort > 0 ? 'http-proxy' : 'iptables';
  return {
    ok: true,
    proxy: {
      nodeId,
      type,
      id,
      ipAddresses,
      dnsDomain,
      namespace,
      labels: metadata.LABELS ?? {},
      serviceAccount: metadata.SERVICE_ACCOUNT ?? '',
      workloadName: metadata.WORKLOAD_NAME ?? '',
      metadata,
      locality: options.locality ?? { region: '', zone: '', subzone: '' },
      ...(metadata.GENERATOR ? { generator: metadata.GENERATOR } : {}),
      captureMode,
      httpProxyPort,
      appAddress: metadata.SKEIN_APP_ADDRESS ?? '127.0.0.1',
      appPorts,
    },
  };
}

/** Istio's node id for a proxy: `type~ip~pod.ns~ns.svc.<domain>`. */
export function proxyNodeId(type: ProxyType, ip: string, podName: string, namespace: string, domainSuffix = 'cluster.local'): string {
  return `${type}~${ip}~${podName}.${namespace}~${namespace}.svc.${domainSuffix}`;
}
