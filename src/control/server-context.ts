/** What a connection needs from the server that owns it. */
import type { ResourceEncoder } from '../xds/resource-encoding.js';
import type { XdsConnection } from './connection.js';
import type { XdsGenerator } from './generator.js';
import type { ControlPlaneMetrics } from './metrics.js';

export interface XdsLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface ServerContext {
  readonly generator: XdsGenerator;
  readonly encoder: ResourceEncoder;
  readonly metrics: ControlPlaneMetrics;
  readonly log: XdsLogger;
  nextNonce(): string;
  nextConnectionId(nodeId: string): string;
  /** The stream's first valid request arrived: the proxy is known and may be pushed to. */
  connected(connection: XdsConnection): void;
  disconnected(connection: XdsConnection): void;
  /** A generated resource that cannot be sent (a generator bug): logged once per push, counted. */
  reportResourceError(typeUrl: string, error: string): void;
}
