/**
 * The terminal HTTP filter (`envoy.filters.http.router`): turns a route decision into a local
 * reply (direct response, redirect, no route) or an upstream request on a host the cluster's
 * load balancer picks, and maps every failure to Envoy's status, body and response flag.
 */
import type { Router__Output } from '../../xds/generated/envoy/extensions/filters/http/router/v3/Router.js';
import { checkSupported } from '../config/config-error.js';
import { getHeader } from '../http1/headers.js';
import type { FilterContext, HttpFilterFactory } from '../filters/registry.js';
import type { ClusterTarget, RouteDecision } from '../router/route-table.js';
import { mutateRequestHeaders, mutateResponseHeaders } from '../router/route-table.js';
import type { ClusterManager, Host, PendingAcquire, UpstreamCluster } from '../upstream/cluster-manager.js';
import type { PooledConnection, PoolFailure } from '../upstream/conn-pool.js';
import type { FilterStatus, HttpFilter, HttpStream } from './http-filter.js';
import { ResponseFlag, UPSTREAM_RESET_BODY } from './response-flags.js';
import { type UpstreamFailure, UpstreamRequest, type UpstreamResponseHandler } from './upstream-request.js';

const ROUTER_TYPE = 'envoy.extensions.filters.http.router.v3.Router';

export const routerFilterFactory: HttpFilterFactory = {
  typeName: ROUTER_TYPE,
  terminal: true,
  create(config, path, errors, context) {
    checkSupported(ROUTER_TYPE, config as Router__Output, ['suppress_envoy_headers'], path, errors);
    const suppressEnvoyHeaders = (config as Router__Output).suppress_envoy_headers;
    return () => new RouterFilter(context, suppressEnvoyHeaders);
  },
};

type ForwardAction = Extract<RouteDecision['route']['action'], { kind: 'forward' }>;

class RouterFilter implements HttpFilter, UpstreamResponseHandler {
  private readonly clusterManager: ClusterManager;
  private readonly suppressEnvoyHeaders: boolean;
  private stream: HttpStream | undefined;
  private decision: RouteDecision | undefined;
  private cluster: UpstreamCluster | undefined;
  private host: Host | undefined;
  private pending: PendingAcquire | undefined;
  private upstream: UpstreamRequest | undefined;
  private timer: NodeJS.Timeout | undefined;
  private upstreamStart = 0;
  private finished = false;
  private target: ClusterTarget | undefined;

  constructor(context: FilterContext, suppressEnvoyHeaders: boolean) {
    this.clusterManager = context.clusterManager;
    this.suppressEnvoyHeaders = suppressEnvoyHeaders;
  }

  decodeHeaders(stream: HttpStream): FilterStatus {
    this.stream = stream;
    const decision = stream.route();
    if (!decision) {
      stream.sendLocalReply(404, '', ResponseFlag.NoRouteFound, 'route_not_found');
      return 'stop';
    }
    this.decision = decision;
    const action = decision.route.action;
    switch (action.kind) {
      case 'direct_response':
        stream.sendLocalReply(
          action.status,
          action.body?.toString('utf8') ?? '',
          undefined,
          'direct_response',
          this.responseHeaderMutations([]),
        );
        return 'stop';
      case 'redirect': {
        const { status, location } = action.redirect(stream);
        stream.sendLocalReply(
          status,
          '',
          undefined,
          'direct_response',
          this.responseHeaderMutations(['location', location]),
        );
        return 'stop';
      }
      case 'forward':
        this.forward(stream, decision, action);
        return 'stop';
    }
    return 'stop';
  }

  private forward(stream: HttpStream, decision: RouteDecision, action: ForwardAction): void {
    const target = action.pickTarget(stream);
    this.target = target;
    const cluster = target && this.clusterManager.get(target.name);
    stream.upstreamCluster = target?.name;
    if (!cluster) {
      // A missing cluster_header value or an unknown cluster: Envoy's router answers with the
      // route's cluster_not_found_response_code (503 by default) and flag NC.
      stream.sendLocalReply(
        clusterNotFoundStatus(action),
        '',
        ResponseFlag.NoClusterFound,
        'cluster_not_found',
      );
      return;
    }
    this.cluster = cluster;
    const hashKey = action.hash(stream);
    const host = cluster.chooseHost({
      hashKey,
      downstreamLocalAddress: stream.downstreamLocalAddress,
      downstreamLocalPort: stream.downstreamLocalPort,
      originalDstHeader: cluster.originalDstHeaderName
        ? getHeader(stream.headers, cluster.originalDstHeaderName)
        : undefined,
    });
    if (!host) {
      cluster.stats.upstream_cx_none_healthy.inc();
      stream.sendLocalReply(
        503,
        UPSTREAM_RESET_BODY.noHealthyUpstream,
        ResponseFlag.NoHealthyUpstream,
        'no_healthy_upstream',
      );
      return;
    }
    this.host = host;
    if (action.idleTimeoutMs !== undefined) stream.setIdleTimeout(action.idleTimeoutMs);
    stream.upstreamHost = `${host.address}:${host.port}`;
    cluster.stats.upstream_rq_total.inc();
    cluster.stats.upstream_rq_active.inc();
    cluster.stats.upstream_rq_pending_total.inc();
    cluster.stats.upstream_rq_pending_active.inc();
    host.activeRequests++;
    this.upstreamStart = performance.now();
    this.pending = host.pool.acquire((err, connection) => {
      this.pending = undefined;
      cluster.stats.upstream_rq_pending_active.dec();
      if (this.finished) {
        connection?.release();
        return;
      }
      if (err || !connection) this.onPoolFailure(err ?? 'connect_failure');
      else this.onPoolReady(stream, decision, action, connection);
    });
  }

  private onPoolFailure(failure: PoolFailure): void {
    if (failure === 'overflow') {
      this.cluster!.stats.upstream_rq_pending_overflow.inc();
      this.localFailure(
        503,
        UPSTREAM_RESET_BODY.overflow,
        ResponseFlag.UpstreamOverflow,
        'upstream_reset_before_response_started{overflow}',
      );
      return;
    }
    this.localFailure(
      503,
      UPSTREAM_RESET_BODY.connectFailure,
      ResponseFlag.UpstreamConnectionFailure,
      'upstream_reset_before_response_started{connection_failure}',
    );
  }

  private onPoolReady(
    stream: HttpStream,
    decision: RouteDecision,
    action: ForwardAction,
    connection: PooledConnection,
  ): void {
    const host = this.host!;
    let hostHeader = stream.authority;
    const rewrite = action.hostRewrite;
    if (rewrite === undefined && this.target?.hostRewrite) hostHeader = this.target.hostRewrite;
    else if (rewrite?.kind === 'literal') hostHeader = rewrite.value;
    else if (rewrite?.kind === 'auto') hostHeader = host.hostname || hostHeader;
    else if (rewrite?.kind === 'header') hostHeader = getHeader(stream.headers, rewrite.name) ?? hostHeader;

    const headers = mutateRequestHeaders(
      stream.headers,
      decision,
      this.stream!.routeTable,
      this.formatContext(stream),
    );
    if (!this.suppressEnvoyHeaders && action.timeoutMs > 0)
      setHeader(headers, 'x-envoy-expected-rq-timeout-ms', String(action.timeoutMs));
    const upstream = new UpstreamRequest(
      connection,
      {
        method: stream.method,
        path: action.rewritePath(stream),
        host: hostHeader,
        headers,
        contentLength: stream.requestContentLength,
      },
      this,
      () => stream.resumeRequestBody(),
    );
    this.upstream = upstream;
    stream.attachBodySink({
      onData: (chunk) => upstream.writeBody(chunk),
      onEnd: () => {
        upstream.endBody();
        this.startRouteTimeout(action.timeoutMs);
      },
    });
  }

  /** Envoy's route timeout runs from the end of the downstream request to the end of the response. */
  private startRouteTimeout(timeoutMs: number): void {
    if (timeoutMs <= 0 || this.finished || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.finished) return;
      this.cluster!.stats.upstream_rq_timeout.inc();
      this.upstream?.abort();
      this.localFailure(
        504,
        UPSTREAM_RESET_BODY.timeout,
        ResponseFlag.UpstreamRequestTimeout,
        'upstream_response_timeout',
      );
    }, timeoutMs);
  }

  // --- UpstreamResponseHandler ------------------------------------------------------
  onResponseHead(status: number, headers: string[], contentLength: number, endStream: boolean): void {
    const stream = this.stream!;
    const stats = this.cluster!.stats;
    countUpstreamStatus(stats, status);
    if (!this.suppressEnvoyHeaders) {
      setHeader(
        headers,
        'x-envoy-upstream-service-time',
        String(Math.round(performance.now() - this.upstreamStart)),
      );
    }
    const mutated = mutateResponseHeaders(
      headers,
      this.decision!,
      this.stream!.routeTable,
      this.formatContext(stream),
    );
    if (endStream) this.complete();
    stream.sendResponseHeaders({ status, headers: mutated, contentLength }, endStream);
  }

  onResponseData(chunk: Buffer): boolean {
    return this.stream!.sendResponseData(chunk);
  }

  onReadDone(): void {
    this.stream?.flushResponse();
  }

  onResponseDrain(resume: () => void): void {
    this.stream!.onResponseDrain(resume);
  }

  onResponseEnd(): void {
    if (this.finished) return;
    this.complete();
    this.stream!.sendResponseEnd();
  }

  onUpstreamFailure(kind: UpstreamFailure, _detail: string): void {
    if (this.finished) return;
    this.cluster!.stats.upstream_rq_rx_reset.inc();
    if (kind === 'protocol_error') {
      this.localFailure(
        502,
        UPSTREAM_RESET_BODY.protocolError,
        ResponseFlag.UpstreamProtocolError,
        `upstream_reset_before_response_started{protocol_error}`,
      );
    } else {
      this.localFailure(
        503,
        UPSTREAM_RESET_BODY.connectionTermination,
        ResponseFlag.UpstreamConnectionTermination,
        'upstream_reset_before_response_started{connection_termination}',
      );
    }
  }

  /** Local reply if nothing was sent yet; otherwise the only honest signal left is a reset. */
  private localFailure(status: number, body: string, flag: ResponseFlag, details: string): void {
    const stream = this.stream!;
    this.complete();
    if (stream.responseStarted) {
      stream.addResponseFlag(flag);
      stream.reset(details);
    } else {
      stream.sendLocalReply(status, body, flag, details);
    }
  }

  private complete(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const cluster = this.cluster;
    if (cluster && this.host) {
      cluster.stats.upstream_rq_active.dec();
      cluster.stats.upstream_rq_completed.inc();
      cluster.stats.upstream_rq_time.record(performance.now() - this.upstreamStart);
      this.host.activeRequests--;
    }
  }

  onDestroy(): void {
    // The stream ended (completed, local reply, or downstream reset): release upstream work.
    if (!this.finished) {
      this.pending?.cancel();
      if (this.pending) this.cluster?.stats.upstream_rq_pending_active.dec();
      this.pending = undefined;
      if (this.upstream && !this.upstream.responseStarted) this.cluster?.stats.upstream_rq_tx_reset.inc();
      this.upstream?.abort();
      this.complete();
    }
  }

  private responseHeaderMutations(headers: string[]): string[] {
    return mutateResponseHeaders(
      headers,
      this.decision!,
      this.stream!.routeTable,
      this.formatContext(this.stream!),
    );
  }

  private formatContext(stream: HttpStream) {
    return {
      downstreamRemoteAddress: `${stream.downstreamRemoteAddress}:${stream.downstreamRemotePort}`,
      downstreamLocalAddress: `${stream.downstreamLocalAddress}:${stream.downstreamLocalPort}`,
      upstreamHost: stream.upstreamHost,
      protocol: stream.versionMinor === 1 ? 'HTTP/1.1' : 'HTTP/1.0',
      requestHeaders: stream.headers,
      startTime: stream.startTime,
      clusterTarget: this.target,
    };
  }
}

function clusterNotFoundStatus(action: ForwardAction): number {
  const code = action.raw.cluster_not_found_response_code;
  return code === 'NOT_FOUND' ? 404 : code === 'INTERNAL_SERVER_ERROR' ? 500 : 503;
}

/** Sets a header Envoy owns, replacing any value a previous hop put there. */
function setHeader(headers: string[], name: string, value: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === name) {
      headers[i + 1] = value;
      for (let j = headers.length - 2; j > i; j -= 2) if (headers[j] === name) headers.splice(j, 2);
      return;
    }
  }
  headers.push(name, value);
}

function countUpstreamStatus(stats: UpstreamCluster['stats'], status: number): void {
  if (status < 200) return;
  if (status < 300) stats.upstream_rq_2xx.inc();
  else if (status < 400) stats.upstream_rq_3xx.inc();
  else if (status < 500) stats.upstream_rq_4xx.inc();
  else stats.upstream_rq_5xx.inc();
}
