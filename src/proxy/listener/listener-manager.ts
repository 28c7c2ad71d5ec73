/**
 * Owns the proxy's listeners. Each Envoy `Listener` is compiled (filter chains and their
 * network filters) before anything changes, so a bad listener is rejected whole and the old
 * one keeps serving. An update on the same address swaps the compiled chains in place: new
 * connections get the new config while connections of the old one drain (they finish the
 * request in flight and close). Removal stops accepting, drains, then force-closes after the
 * drain time.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Listener__Output } from '../../xds/generated/envoy/config/listener/v3/Listener.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { type ConnectionHandler, type FilterContext, networkFilterFactory } from '../filters/registry.js';
import { unpackTypedConfig } from '../filters/typed-config.js';
import type { Counter, Gauge, StatsScope } from '../stats/stats.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';
import {
  type CompiledMatch,
  compileFilterChainMatch,
  matchKey,
  selectFilterChain,
} from './filter-chain-match.js';

const LISTENER_TYPE = 'envoy.config.listener.v3.Listener';
const SUPPORTED = [
  'name',
  'address',
  'filter_chains',
  'default_filter_chain',
  'per_connection_buffer_limit_bytes',
  'stat_prefix',
  'traffic_direction',
  'drain_type',
  'bind_to_port',
];
const DEFAULT_BUFFER_LIMIT = 1024 * 1024;

interface CompiledChain {
  readonly name: string;
  readonly match: CompiledMatch;
  readonly handler: ConnectionHandler;
}

interface CompiledListener {
  readonly config: Listener__Output;
  readonly host: string;
  readonly port: number;
  readonly chains: readonly CompiledChain[];
  readonly defaultChain: CompiledChain | undefined;
}

interface ListenerStats {
  readonly downstream_cx_total: Counter;
  readonly downstream_cx_active: Gauge;
  readonly downstream_cx_destroy: Counter;
  readonly no_filter_chain_match: Counter;
}

class ActiveListener {
  readonly server: Server;
  current: CompiledListener;
  boundPort = 0;
  readonly stats: ListenerStats;

  constructor(compiled: CompiledListener, stats: ListenerStats) {
    this.current = compiled;
    this.stats = stats;
    // allowHalfOpen: a client that half-closes after its request still gets the response.
    this.server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.onConnection(socket));
  }

  private onConnection(socket: Socket): void {
    const { current, stats } = this;
    stats.downstream_cx_total.inc();
    stats.downstream_cx_active.inc();
    socket.once('close', () => {
      stats.downstream_cx_active.dec();
      stats.downstream_cx_destroy.inc();
    });
    const info = {
      remoteAddress: stripMapped(socket.remoteAddress ?? ''),
      remotePort: socket.remotePort ?? 0,
      localAddress: stripMapped(socket.localAddress ?? ''),
      localPort: socket.localPort ?? 0,
    };
    const chain =
      selectFilterChain(current.chains, {
        destinationPort: info.localPort,
        destinationAddress: info.localAddress,
        sourceAddress: info.remoteAddress,
        sourcePort: info.remotePort,
        serverName: '',
        transportProtocol: 'raw_buffer',
      }) ?? current.defaultChain;
    if (!chain) {
      stats.no_filter_chain_match.inc();
      socket.destroy();
      return;
    }
    chain.handler.onConnection(socket, info);
  }
}

function stripMapped(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export interface ListenerManagerOptions {
  readonly clusterManager: ClusterManager;
  readonly stats: StatsScope;
  /** How long draining connections get before they are closed (Envoy's --drain-time-s). */
  readonly drainTimeMs: number;
  readonly log: (message: string) => void;
}

export type ListenerResult = { ok: true } | { ok: false; errors: ConfigError[] };

export class ListenerManager {
  private readonly options: ListenerManagerOptions;
  private readonly active = new Map<string, ActiveListener>();
  private readonly draining = new Set<ConnectionHandler>();
  private readonly managerStats: { added: Counter; modified: Counter; removed: Counter; active: Gauge };

  constructor(options: ListenerManagerOptions) {
    this.options = options;
    const scope = options.stats.scope('listener_manager.');
    this.managerStats = {
      added: scope.counter('listener_added'),
      modified: scope.counter('listener_modified'),
      removed: scope.counter('listener_removed'),
      active: scope.gauge('total_listeners_active'),
    };
  }

  /** Validates, compiles and applies one listener; on any error nothing changes. */
  async addOrUpdate(config: Listener__Output, path: FieldPath = []): Promise<ListenerResult> {
    const errors: ConfigError[] = [];
    const compiled = this.compile(config, path, errors);
    if (!compiled) return { ok: false, errors };
    const existing = this.active.get(config.name);
    const samePort =
      existing && (existing.current.port === compiled.port || existing.boundPort === compiled.port);
    if (existing && samePort && existing.current.host === compiled.host) {
      const old = existing.current;
      existing.current = compiled;
      this.drainHandlers(old);
      this.managerStats.modified.inc();
      return { ok: true };
    }
    const scope = this.options.stats.scope(`listener.${compiled.host}_${compiled.port}.`, 'listener.', {
      envoy_listener_address: `${compiled.host}_${compiled.port}`,
    });
    const listener = new ActiveListener(compiled, {
      downstream_cx_total: scope.counter('downstream_cx_total'),
      downstream_cx_active: scope.gauge('downstream_cx_active'),
      downstream_cx_destroy: scope.counter('downstream_cx_destroy'),
      no_filter_chain_match: scope.counter('no_filter_chain_match'),
    });
    try {
      await new Promise<void>((resolve, reject) => {
        listener.server.once('error', reject);
        listener.server.listen({ host: compiled.host, port: compiled.port, backlog: 1024 }, () => {
          listener.server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.destroyHandlers(compiled);
      return {
        ok: false,
        errors: [
          {
            path: [...path, 'address'],
            message: `cannot bind ${compiled.host}:${compiled.port}: ${(err as Error).message}`,
          },
        ],
      };
    }
    const address = listener.server.address();
    listener.boundPort = typeof address === 'object' && address ? address.port : compiled.port;
    listener.server.on('error', (err) => this.options.log(`listener ${config.name}: ${err.message}`));
    if (existing) this.retire(existing);
    this.active.set(config.name, listener);
    if (existing) this.managerStats.modified.inc();
    else this.managerStats.added.inc();
    this.managerStats.active.set(this.active.size);
    return { ok: true };
  }

  remove(name: string): boolean {
    const listener = this.active.get(name);
    if (!listener) return false;
    this.active.delete(name);
    this.retire(listener);
    this.managerStats.removed.inc();
    this.managerStats.active.set(this.active.size);
    return true;
  }

  /** The port a listener actually bound (useful with port 0). */
  boundPort(name: string): number | undefined {
    return this.active.get(name)?.boundPort;
  }

  configs(): Listener__Output[] {
    return [...this.active.values()].map((l) => l.current.config);
  }

  /** Admin /drain_listeners: stop accepting (unless `graceful` only), drain every connection. */
  drainAll(stopAccepting: boolean): void {
    for (const listener of this.active.values()) {
      if (stopAccepting) listener.server.close();
      this.drainHandlers(listener.current);
    }
  }

  /** Stops everything now. */
  async close(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const listener of this.active.values()) {
      closing.push(new Promise((resolve) => listener.server.close(() => resolve())));
      this.destroyHandlers(listener.current);
    }
    for (const handler of this.draining) handler.destroy();
    this.active.clear();
    await Promise.all(closing);
  }

  /** Connections still open across all listeners (active and draining). */
  activeConnections(): number {
    let total = 0;
    for (const listener of this.active.values()) {
      for (const chain of allChains(listener.current)) total += chain.handler.activeConnections;
    }
    for (const handler of this.draining) total += handler.activeConnections;
    return total;
  }

  private retire(listener: ActiveListener): void {
    listener.server.close();
    this.drainHandlers(listener.current);
  }

  private drainHandlers(compiled: CompiledListener): void {
    for (const chain of allChains(compiled)) {
      const handler = chain.handler;
      handler.drain();
      this.draining.add(handler);
      setTimeout(() => {
        handler.destroy();
        this.draining.delete(handler);
      }, this.options.drainTimeMs).unref();
    }
  }

  private destroyHandlers(compiled: CompiledListener): void {
    for (const chain of allChains(compiled)) chain.handler.destroy();
  }

  private compile(
    config: Listener__Output,
    path: FieldPath,
    errors: ConfigError[],
  ): CompiledListener | undefined {
    checkSupported(LISTENER_TYPE, config, SUPPORTED, path, errors);
    if (!config.name) errors.push({ path: [...path, 'name'], message: 'listener name is required' });
    const socketAddress = config.address?.socket_address;
    if (!socketAddress) {
      errors.push({
        path: [...path, 'address'],
        message: 'a socket_address is required (pipes are not supported)',
      });
    } else if (socketAddress.protocol !== 'TCP') {
      errors.push({
        path: [...path, 'address', 'socket_address', 'protocol'],
        message: 'only TCP listeners are supported',
      });
    }
    if (config.bind_to_port?.value === false) {
      errors.push({ path: [...path, 'bind_to_port'], message: 'bind_to_port: false is not supported yet' });
    }
    const context: FilterContext = {
      clusterManager: this.options.clusterManager,
      stats: this.options.stats,
      listenerName: config.name,
      bufferLimitBytes: config.per_connection_buffer_limit_bytes?.value ?? DEFAULT_BUFFER_LIMIT,
      log: this.options.log,
    };
    const chains: CompiledChain[] = [];
    const seen = new Map<string, number>();
    config.filter_chains.forEach((chain, i) => {
      const chainPath = [...path, 'filter_chains', i];
      const compiled = this.compileChain(chain, chainPath, errors, context);
      if (!compiled) return;
      const key = matchKey(compiled.match);
      const twin = seen.get(key);
      if (twin !== undefined) {
        errors.push({
          path: [...chainPath, 'filter_chain_match'],
          message: `same filter_chain_match as filter_chains[${twin}]`,
        });
      }
      seen.set(key, i);
      chains.push(compiled);
    });
    const defaultChain = config.default_filter_chain
      ? this.compileChain(config.default_filter_chain, [...path, 'default_filter_chain'], errors, context)
      : undefined;
    if (chains.length === 0 && !defaultChain) {
      errors.push({
        path: [...path, 'filter_chains'],
        message: 'a listener needs at least one filter chain',
      });
    }
    if (errors.length > 0 || !socketAddress) {
      for (const chain of chains) chain.handler.destroy();
      defaultChain?.handler.destroy();
      return undefined;
    }
    return { config, host: socketAddress.address, port: socketAddress.port_value ?? 0, chains, defaultChain };
  }

  private compileChain(
    chain: NonNullable<Listener__Output['default_filter_chain']>,
    path: FieldPath,
    errors: ConfigError[],
    context: FilterContext,
  ): CompiledChain | undefined {
    checkSupported(
      'envoy.config.listener.v3.FilterChain',
      chain,
      ['filter_chain_match', 'filters', 'name'],
      path,
      errors,
    );
    const match = compileFilterChainMatch(chain.filter_chain_match, [...path, 'filter_chain_match'], errors);
    if (chain.filters.length !== 1) {
      errors.push({
        path: [...path, 'filters'],
        message: 'exactly one (terminal) network filter is supported per chain',
      });
      return undefined;
    }
    const filter = chain.filters[0]!;
    const filterPath = [...path, 'filters', 0, 'typed_config'];
    const typed = unpackTypedConfig<unknown>(filter.typed_config, filterPath, errors);
    if (!typed) return undefined;
    const factory = networkFilterFactory(typed.typeName);
    if (!factory) {
      errors.push({
        path: filterPath,
        message: `network filter ${typed.typeName} is not supported by Skein`,
      });
      return undefined;
    }
    const handler = factory.create(typed.config, filterPath, errors, context);
    return handler ? { name: chain.name, match, handler } : undefined;
  }
}

function allChains(compiled: CompiledListener): CompiledChain[] {
  return compiled.defaultChain ? [...compiled.chains, compiled.defaultChain] : [...compiled.chains];
}
