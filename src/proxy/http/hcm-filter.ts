/**
 * `envoy.filters.network.http_connection_manager`: the network filter that turns a TCP
 * connection into HTTP/1.1 streams. One instance per filter chain; it owns its connections
 * so a listener update or removal can drain exactly them.
 */
import type { Socket } from 'node:net';
import type { HttpConnectionManager__Output } from '../../xds/generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.js';
import type {
  ConnectionHandler,
  ConnectionInfo,
  FilterContext,
  NetworkFilterFactory,
} from '../filters/registry.js';
import { compileHcm, type HcmConfig } from './hcm-config.js';
import { type ConnectionOwner, Http1ServerConnection } from './http1-server-connection.js';

const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

export const httpConnectionManagerFactory: NetworkFilterFactory = {
  typeName: HCM_TYPE,
  create(config, path, errors, context) {
    const compiled = compileHcm(config as HttpConnectionManager__Output, path, errors, context);
    return compiled ? new HttpConnectionManager(compiled, context) : undefined;
  },
};

class HttpConnectionManager implements ConnectionHandler, ConnectionOwner {
  private readonly config: HcmConfig;
  private readonly context: FilterContext;
  private readonly connections = new Set<Http1ServerConnection>();
  private draining = false;

  constructor(config: HcmConfig, context: FilterContext) {
    this.config = config;
    this.context = context;
  }

  get activeConnections(): number {
    return this.connections.size;
  }

  onConnection(socket: Socket, info: ConnectionInfo): void {
    const connection = new Http1ServerConnection(
      socket,
      info,
      this.config,
      this,
      this.context.bufferLimitBytes,
    );
    this.connections.add(connection);
    if (this.draining) connection.drain();
  }

  onConnectionClosed(connection: Http1ServerConnection): void {
    this.connections.delete(connection);
  }

  logError(message: string, err: unknown): void {
    this.context.log(`${message}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }

  drain(): void {
    this.draining = true;
    for (const connection of this.connections) connection.drain();
  }

  destroy(): void {
    for (const connection of this.connections) connection.destroy();
    this.config.routeConfigProvider?.release();
  }
}
