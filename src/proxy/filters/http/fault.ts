/**
 * `envoy.filters.http.fault` (extensions/filters/http/fault/fault_filter.cc): delays and aborts
 * requests. The route's typed_per_filter_config replaces the filter's settings whole (Istio puts
 * an empty HTTPFault in the chain and the real one on each route). A delay comes first (flag DI)
 * and an abort may follow it when the timer fires (flag FI, body "fault filter abort", details
 * fault_filter_abort). Stats: `http.<stat_prefix>.fault.{delays_injected,aborts_injected,
 * faults_overflow,active_faults}`, and per x-envoy-downstream-service-cluster
 * `http.<stat_prefix>.fault.<cluster>.{delays_injected,aborts_injected}`.
 */
import type { HTTPFault__Output } from '../../../xds/generated/envoy/extensions/filters/http/fault/v3/HTTPFault.js';
import type { FilterStatus, HttpFilter, HttpStream } from '../../http/http-filter.js';
import { ResponseFlag } from '../../http/response-flags.js';
import type { HeaderSource } from '../../matchers/header-matcher.js';
import { firstHeader } from '../../router/headers.js';
import { mostSpecificPerFilterConfig } from '../../router/per-filter-config.js';
import { requestHeaderValue } from '../../router/request-view.js';
import type { Counter, Gauge, StatsScope } from '../../stats/stats.js';
import type { HttpFilterFactory } from '../registry.js';
import {
  compileFaultSettings,
  FaultHeaders,
  FaultSettings,
  HTTP_FAULT,
  headerPercentage,
  headerUint,
  UINT32_MAX,
  UINT64_SAFE_MAX,
} from './fault-settings.js';
import { httpFilterScope } from './filter-stats.js';
import { inFraction, type Random } from './fractional-percent.js';
import { sendFilterLocalReply } from './local-reply.js';

const DOWNSTREAM_SERVICE_CLUSTER = 'x-envoy-downstream-service-cluster';
const DOWNSTREAM_SERVICE_NODE = 'x-envoy-downstream-service-node';
/** Node's longest timer (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const faultFilterFactory: HttpFilterFactory = {
  typeName: HTTP_FAULT,
  terminal: false,
  routeConfigTypeName: HTTP_FAULT,
  create(config, path, errors, context, filter) {
    const settings = compileFaultSettings(config as HTTPFault__Output, path, errors);
    if (!settings) return undefined;
    const shared = new FaultFilterConfig(settings, filter.name, httpFilterScope(context.stats, filter.statPrefix, 'fault'));
    return () => new FaultFilter(shared);
  },
  createRouteConfig(config, path, errors) {
    return compileFaultSettings(config as HTTPFault__Output, path, errors);
  },
};

/** What every stream of one fault filter shares. */
export class FaultFilterConfig {
  readonly settings: FaultSettings;
  readonly name: string;
  readonly random: Random;
  readonly delaysInjected: Counter;
  readonly abortsInjected: Counter;
  readonly faultsOverflow: Counter;
  readonly activeFaults: Gauge;
  private readonly scope: StatsScope;

  constructor(settings: FaultSettings, name: string, scope: StatsScope, random: Random = Math.random) {
    this.settings = settings;
    this.name = name;
    this.scope = scope;
    this.random = random;
    this.delaysInjected = scope.counter('delays_injected');
    this.abortsInjected = scope.counter('aborts_injected');
    this.faultsOverflow = scope.counter('faults_overflow');
    this.activeFaults = scope.gauge('active_faults');
  }

  /** `fault.<downstream cluster>.<stat>`, created on first use as Envoy's dynamic stat names are. */
  downstreamCounter(cluster: string, stat: 'delays_injected' | 'aborts_injected'): Counter {
    return this.scope.scope(`${cluster}.`, '', { envoy_fault_downstream_cluster: cluster }).counter(stat);
  }
}

interface AbortStatus {
  readonly http: number;
  readonly grpc: number | undefined;
}

export class FaultFilter implements HttpFilter {
  private readonly config: FaultFilterConfig;
  private settings: FaultSettings;
  private stream: HttpStream | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** This stream counts as one active fault, whatever it injects (Envoy's fault_active_). */
  private faultActive = false;
  private downstreamCluster = '';

  constructor(config: FaultFilterConfig) {
    this.config = config;
    this.settings = config.settings;
  }

  decodeHeaders(stream: HttpStream): FilterStatus {
    this.stream = stream;
    const settings =
      mostSpecificPerFilterConfig(stream, this.config.name, FaultSettings) ?? this.config.settings;
    this.settings = settings;
    if (!matchesUpstreamCluster(stream, settings.upstreamCluster)) return 'continue';
    if (settings.downstreamNodes.size > 0) {
      const node = firstHeader(stream.headers, DOWNSTREAM_SERVICE_NODE);
      if (node === undefined || !settings.downstreamNodes.has(node)) return 'continue';
    }
    if (settings.headers.length > 0) {
      const source: HeaderSource = { joinedHeader: (name) => requestHeaderValue(stream, name) };
      for (const matches of settings.headers) if (!matches(source)) return 'continue';
    }
    if (!settings.disableDownstreamClusterStats)
      this.downstreamCluster = firstHeader(stream.headers, DOWNSTREAM_SERVICE_CLUSTER) ?? '';

    const delayMs = this.delayDuration(stream);
    if (delayMs !== undefined && this.tryActivateFault()) {
      this.timer = setTimeout(() => this.afterDelay(), Math.min(delayMs, MAX_TIMER_MS));
      this.config.delaysInjected.inc();
      if (this.downstreamCluster !== '')
        this.config.downstreamCounter(this.downstreamCluster, 'delays_injected').inc();
      stream.addResponseFlag(ResponseFlag.DelayInjected);
      return 'stop';
    }
    const abort = this.abortStatus(stream);
    if (abort && this.tryActivateFault()) {
      this.abortWith(stream, abort);
      return 'stop';
    }
    return 'continue';
  }

  private afterDelay(): void {
    this.timer = undefined;
    const stream = this.stream!;
    // Delays can be followed by aborts (FaultFilter::postDelayInjection).
    const abort = this.abortStatus(stream);
    if (abort) {
      this.abortWith(stream, abort);
      return;
    }
    // The delay is over and nothing else is injected: it no longer counts as active.
    this.releaseFault();
    stream.continueDecoding();
  }

  /** The delay to inject, if this request gets one (FaultFilter::delayDuration). */
  private delayDuration(stream: HttpStream): number | undefined {
    const delay = this.settings.delay;
    if (!delay) return undefined;
    const percentage =
      delay.kind === 'header'
        ? headerPercentage(delay.percentage, firstHeader(stream.headers, FaultHeaders.delayRequestPercentage))
        : delay.percentage;
    if (!inFraction(percentage, this.config.random)) return undefined;
    const ms =
      delay.kind === 'fixed'
        ? delay.ms
        : headerUint(firstHeader(stream.headers, FaultHeaders.delayRequest), UINT64_SAFE_MAX);
    return ms !== undefined && ms > 0 ? ms : undefined;
  }

  /** The status to abort with, if this request is aborted (FaultFilter::abortStatus). */
  private abortStatus(stream: HttpStream): AbortStatus | undefined {
    const abort = this.settings.abort;
    if (!abort) return undefined;
    const percentage =
      abort.kind === 'header'
        ? headerPercentage(abort.percentage, firstHeader(stream.headers, FaultHeaders.abortRequestPercentage))
        : abort.percentage;
    if (!inFraction(percentage, this.config.random)) return undefined;
    switch (abort.kind) {
      case 'http':
        return { http: abort.status, grpc: undefined };
      case 'grpc':
        // A gRPC status answers with HTTP 200 (trailers-only for gRPC requests).
        return { http: 200, grpc: abort.grpcStatus };
      case 'header': {
        const http = headerUint(firstHeader(stream.headers, FaultHeaders.abortRequest), UINT64_SAFE_MAX);
        if (http !== undefined && http >= 200 && http < 600) return { http, grpc: undefined };
        const grpc = headerUint(firstHeader(stream.headers, FaultHeaders.abortGrpcRequest), UINT32_MAX);
        return grpc === undefined ? undefined : { http: 200, grpc };
      }
    }
  }

  private abortWith(stream: HttpStream, status: AbortStatus): void {
    this.config.abortsInjected.inc();
    if (this.downstreamCluster !== '')
      this.config.downstreamCounter(this.downstreamCluster, 'aborts_injected').inc();
    sendFilterLocalReply(
      stream,
      status.http,
      'fault filter abort',
      ResponseFlag.FaultInjected,
      'fault_filter_abort',
      [],
      status.grpc,
    );
  }

  /**
   * Counts this stream as an active fault unless max_active_faults is reached (a fuzzy limit,
   * like Envoy's: the gauge is read, not compared-and-swapped).
   */
  private tryActivateFault(): boolean {
    if (this.faultActive) return true;
    const max = this.settings.maxActiveFaults;
    if (max !== undefined && this.config.activeFaults.value >= max) {
      this.config.faultsOverflow.inc();
      return false;
    }
    this.config.activeFaults.inc();
    this.faultActive = true;
    return true;
  }

  private releaseFault(): void {
    if (!this.faultActive) return;
    this.faultActive = false;
    this.config.activeFaults.dec();
  }

  onDestroy(): void {
    // A client that leaves during the delay must not leave its timer (or its request) behind.
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.releaseFault();
  }
}

/**
 * upstream_cluster restricts faults to requests bound for that cluster (the route entry's
 * cluster name). A weighted_clusters route picks its cluster in the router, after this filter,
 * so it never matches a configured upstream_cluster.
 */
function matchesUpstreamCluster(stream: HttpStream, cluster: string): boolean {
  if (cluster === '') return true;
  const action = stream.route()?.route.action;
  if (action?.kind !== 'forward') return false;
  const specifier = action.raw.cluster_specifier;
  if (specifier !== 'cluster' && specifier !== 'cluster_header') return false;
  return action.pickCluster(stream) === cluster;
}
