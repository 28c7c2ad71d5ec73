/**
 * Owns the proxy's listeners. Each Envoy `Listener` is compiled (filter chains and their
 * network filters) before anything changes, so a bad listener is rejected whole and the old
 * one keeps serving. An update on the same address swaps the compiled chains in place: new
 * connections get the new config while connections of the old one drain (they finish the
 * request in flight and close). Removal stops accepting, drains, then force-closes after the
 * drain time.
 *
 * Warming, as Envoy's: a listener whose filters registered init targets (an HCM waiting for its
 * RDS route configuration) is held aside, not bound and not accepting, until every target is
 * ready; an update of a running listener keeps the old one serving until the new one has warmed.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Listener__Output } from '../../xds/generated/envoy/config/listener/v3/Listener.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { type ConnectionHandler, type FilterContext, networkFilterFactory } from '../filters/registry.js';
import { unpackTypedConfig } from '../filters/typed-config.js';
import type { Counter, Gauge, StatsScope } from '../stats/stats.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';
import type { RouteConfigProviders } from '../xds-client/route-config-providers.js';
import {
  type CompiledMatch,
  compileFilterChainMatch,
  matchKey,
  selectFilterChain,
} from './filter-chain-match.js';
import type { InitTarget } from './init-target.js';

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

/** Where a listener came from, for config_dump. */
export interface ListenerMeta {
  /** False for bootstrap static_resources listeners (LDS may neither change nor remove those). */
  readonly addedViaApi: boolean;
  /** The LDS version_info that carried it ('' for static listeners). */
  readonly versionInfo: string;
  readonly lastUpdated: string;
}

interface CompiledListener {
  readonly config: Listener__Output;
  readonly host: string;
  readonly port: number;
  readonly chains: readonly CompiledChain[];
  readonly defaultChain: CompiledChain | undefined;
  readonly initTargets: readonly InitTarget[];
  meta: ListenerMeta;
}

/** A listener compiled and validated but not applied yet (see ListenerManager.prepare). */
export interface PreparedListener {
  readonly config: Listener__Output;
  /** Gives back what compiling took (RDS subscriptions) when the listener is not applied. */
  discard(): void;
}

/** A listener's states as config_dump shows them (Envoy's DynamicListener). */
export interface ListenerState {
  readonly name: string;
  readonly active?: { readonly config: Listener__Output; readonly meta: ListenerMeta };
  readonly warming?: { readonly config: Listener__Output; readonly meta: ListenerMeta };
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

const STATIC_META: ListenerMeta = { addedViaApi: false, versionInfo: '', lastUpdated: '' };

class Prepared implements PreparedListener {
  readonly compiled: CompiledListener;
  readonly path: FieldPath;
  private readonly destroy: (compiled: CompiledListener) => void;

  constructor(compiled: CompiledListener, path: FieldPath, destroy: (compiled: CompiledListener) => void) {
    this.compiled = compiled;
    this.path = path;
    this.destroy = destroy;
  }

  get config(): Listener__Output {
    return this.compiled.config;
  }

  discard(): void {
    this.destroy(this.compiled);
  }
}

export class ListenerManager {
  private readonly options: ListenerManagerOptions;
  private readonly active = new Map<string, ActiveListener>();
  private readonly warming = new Map<string, CompiledListener>();
  private readonly draining = new Set<ConnectionHandler>();
  private warmWaiters: (() => void)[] = [];
  private readonly managerStats: {
    added: Counter;
    modified: Counter;
    removed: Counter;
    createSuccess: Counter;
    createFailure: Counter;
    active: Gauge;
    warming: Gauge;
  };
  /** RDS, once the proxy has an ADS stream (set before any listener that uses rds is added). */
  routeConfigProviders: RouteConfigProviders | undefined;

  constructor(options: ListenerManagerOptions) {
    this.options = options;
    const scope = options.stats.scope('listener_manager.');
    this.managerStats = {
      added: scope.counter('listener_added'),
      modified: scope.counter('listener_modified'),
      removed: scope.counter('listener_removed'),
      createSuccess: scope.counter('listener_create_success'),
      createFailure: scope.counter('listener_create_failure'),
      active: scope.gauge('total_listeners_active'),
      warming: scope.gauge('total_listeners_warming'),
    };
  }

  /** Validates, compiles and applies one listener; on any error nothing changes. */
  async addOrUpdate(config: Listener__Output, path: FieldPath = [], meta = STATIC_META): Promise<ListenerResult> {
    const prepared = this.prepare(config, path);
    if (!prepared.ok) return prepared;
    return this.commit(prepared.prepared, meta);
  }

  /** Validates and compiles a listener without applying it (LDS checks a whole response first). */
  prepare(
    config: Listener__Output,
    path: FieldPath = [],
  ): { ok: true; prepared: PreparedListener } | { ok: false; errors: ConfigError[] } {
    const errors: ConfigError[] = [];
    const compiled = this.compile(config, path, errors);
    if (!compiled) return { ok: false, errors };
    return { ok: true, prepared: new Prepared(compiled, path, (c) => this.destroyHandlers(c)) };
  }

  /**
   * Applies a prepared listener: at once when nothing is pending, else as a warming listener
   * that replaces any warming one of the same name and goes live once its targets are ready.
   */
  async commit(prepared: PreparedListener, meta = STATIC_META): Promise<ListenerResult> {
    const { compiled, path } = prepared as Prepared;
    compiled.meta = meta;
    const name = compiled.config.name;
    const replacedWarming = this.warming.get(name);
    if (replacedWarming) {
      this.warming.delete(name);
      this.destroyHandlers(replacedWarming);
    }
    const pending = compiled.initTargets.filter((target) => !target.isReady);
    if (pending.length === 0) {
      const result = await this.activate(compiled, path);
      this.publishWarming();
      return result;
    }
    if (this.active.has(name) || replacedWarming) this.managerStats.modified.inc();
    else this.managerStats.added.inc();
    this.warming.set(name, compiled);
    this.publishWarming();
    void Promise.all(pending.map((target) => target.whenReady)).then(async () => {
      if (this.warming.get(name) !== compiled) return;
      const result = await this.activate(compiled, path, false);
      if (this.warming.get(name) === compiled) this.warming.delete(name);
      if (!result.ok) {
        this.options.log(`listener ${name} failed after warming: ${result.errors.map((e) => e.message).join('; ')}`);
      }
      this.publishWarming();
    });
    return { ok: true };
  }

  /** True when `config` is exactly the listener already warming or active under its name. */
  isCurrent(config: Listener__Output): boolean {
    const current = this.warming.get(config.name) ?? this.active.get(config.name)?.current;
    return current !== undefined && JSON.stringify(current.config) === JSON.stringify(config);
  }

  /** Resolves when no listener is warming (the server's initial listeners are ready). */
  whenWarm(): Promise<void> {
    if (this.warming.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.warmWaiters.push(resolve));
  }

  /** Every listener with its active and warming versions, for config_dump. */
  states(): ListenerState[] {
    const names = new Set([...this.active.keys(), ...this.warming.keys()]);
    return [...names].map((name) => {
      const active = this.active.get(name)?.current;
      const warming = this.warming.get(name);
      return {
        name,
        ...(active ? { active: { config: active.config, meta: active.meta } } : {}),
        ...(warming ? { warming: { config: warming.config, meta: warming.meta } } : {}),
      };
    });
  }

  private async activate(compiled: CompiledListener, path: FieldPath, count = true): Promise<ListenerResult> {
    const config = compiled.config;
    const existing = this.active.get(config.name);
    const samePort =
      existing && (existing.current.port === compiled.port || existing.boundPort === compiled.port);
    if (existing && samePort && existing.current.host === compiled.host) {
      const old = existing.current;
      existing.current = compiled;
      this.drainHandlers(old);
      if (count) this.managerStats.modified.inc();
      this.managerStats.createSuccess.inc();
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
      this.managerStats.createFailure.inc();
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
    if (count && existing) this.managerStats.modified.inc();
    else if (count) this.managerStats.added.inc();
    this.managerStats.createSuccess.inc();
    this.managerStats.active.set(this.active.size);
    return { ok: true };
  }

  /** Removes a listener: the active one drains, a warming one is dropped. */
  remove(name: string): boolean {
    const listener = this.active.get(name);
    const warming = this.warming.get(name);
    if (!listener && !warming) return false;
    if (warming) {
      this.warming.delete(name);
      this.destroyHandlers(warming);
      this.publishWarming();
    }
    if (listener) {
      this.active.delete(name);
      this.retire(listener);
      this.managerStats.active.set(this.active.size);
    }
    this.managerStats.removed.inc();
    return true;
  }

  /** How a listener was added (undefined when there is no listener of that name). */
  meta(name: string): ListenerMeta | undefined {
    return (this.warming.get(name) ?? this.active.get(name)?.current)?.meta;
  }

  /** The port a listener actually bound (useful with port 0). */
  boundPort(name: string): number | undefined {
    return this.active.get(name)?.boundPort;
  }

  /** The active listeners' configs (warming ones are not serving yet). */
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
    for (const warming of this.warming.values()) this.destroyHandlers(warming);
    this.active.clear();
    this.warming.clear();
    this.publishWarming();
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

  private publishWarming(): void {
    this.managerStats.warming.set(this.warming.size);
    if (this.warming.size > 0) return;
    const waiters = this.warmWaiters;
    this.warmWaiters = [];
    for (const resolve of waiters) resolve();
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
    const initTargets: InitTarget[] = [];
    const context: FilterContext = {
      clusterManager: this.options.clusterManager,
      stats: this.options.stats,
      listenerName: config.name,
      bufferLimitBytes: config.per_connection_buffer_limit_bytes?.value ?? DEFAULT_BUFFER_LIMIT,
      log: this.options.log,
      routeConfigProviders: this.routeConfigProviders,
      addInitTarget: (target) => initTargets.push(target),
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
    return {
      config,
      host: socketAddress.address,
      port: socketAddress.port_value ?? 0,
      chains,
      defaultChain,
      initTargets,
      meta: STATIC_META,
    };
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
