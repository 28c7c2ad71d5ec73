/**
 * The terminal HTTP filter (`envoy.filters.http.router`): turns a route decision into a local
 * reply (direct response, redirect, no route) or upstream tries on hosts the cluster's load
 * balancer picks, with Envoy's retries, route and per-try timeouts and request mirroring, and
 * maps every failure to Envoy's status, body and response flag.
 *
 * Retries follow Envoy's router: the decision is taken on a try's response headers (before
 * anything reaches the client) or on its reset; once response headers went downstream, a
 * failure can only reset the client. The request body is kept for retries and mirrors up to the
 * listener's buffer limit; past it, retries and mirrors are abandoned, as Envoy does.
 */
import type { Router__Output } from '../../xds/generated/envoy/extensions/filters/http/router/v3/Router.js';
import { checkSupported } from '../config/config-error.js';
import type { FilterContext, HttpFilterFactory } from '../filters/registry.js';
import { getHeader } from '../http1/headers.js';
import { firstHeader, removeHeader, setHeader } from '../router/headers.js';
import type { CompiledMirrorPolicy } from '../router/mirror-policy.js';
import { shadowAuthority } from '../router/mirror-policy.js';
import type { ClusterTarget, RouteDecision } from '../router/route-table.js';
import { mutateRequestHeaders, mutateResponseHeaders } from '../router/route-table.js';
import type { ClusterManager, Host, UpstreamCluster } from '../upstream/cluster-manager.js';
import type { FilterStatus, HttpFilter, HttpStream } from './http-filter.js';
import { ResponseFlag, UPSTREAM_RESET_BODY } from './response-flags.js';
import { type ResetReason, RETRY_REQUEST_HEADERS, RetryState } from './retry-state.js';
import { sendShadowRequest } from './shadow-request.js';
import { type AttemptOwner, UpstreamAttempt } from './upstream-attempt.js';
import type { UpstreamRequestHead } from './upstream-request.js';

const ROUTER_TYPE = 'envoy.extensions.filters.http.router.v3.Router';

/** Request headers through which a trusted caller sets timeouts; never forwarded upstream. */
const TIMEOUT_REQUEST_HEADERS = ['x-envoy-upstream-rq-timeout-ms', 'x-envoy-upstream-rq-per-try-timeout-ms'];

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

interface ResetReply {
  readonly status: number;
  readonly body: string;
  readonly flag: ResponseFlag;
  readonly details: string;
}

/** The local reply for a try that ended without a response and is not retried (router.cc). */
const RESET_REPLIES: Readonly<Record<ResetReason, ResetReply>> = {
  connection_failure: {
    status: 503,
    body: UPSTREAM_RESET_BODY.connectFailure,
    flag: ResponseFlag.UpstreamConnectionFailure,
    details: 'upstream_reset_before_response_started{connection_failure}',
  },
  overflow: {
    status: 503,
    body: UPSTREAM_RESET_BODY.overflow,
    flag: ResponseFlag.UpstreamOverflow,
    details: 'upstream_reset_before_response_started{overflow}',
  },
  remote_reset: {
    status: 503,
    body: UPSTREAM_RESET_BODY.connectionTermination,
    flag: ResponseFlag.UpstreamConnectionTermination,
    details: 'upstream_reset_before_response_started{connection_termination}',
  },
  protocol_error: {
    status: 502,
    body: UPSTREAM_RESET_BODY.protocolError,
    flag: ResponseFlag.UpstreamProtocolError,
    details: 'upstream_reset_before_response_started{protocol_error}',
  },
  per_try_timeout: {
    status: 504,
    body: UPSTREAM_RESET_BODY.timeout,
    flag: ResponseFlag.UpstreamRequestTimeout,
    details: 'upstream_per_try_timeout',
  },
};

class RouterFilter implements HttpFilter, AttemptOwner {
  private readonly clusterManager: ClusterManager;
  private readonly suppressEnvoyHeaders: boolean;
  private readonly bufferLimit: number;
  private stream: HttpStream | undefined;
  private decision: RouteDecision | undefined;
  private action: ForwardAction | undefined;
  private cluster: UpstreamCluster | undefined;
  private target: ClusterTarget | undefined;
  private retryState: RetryState | undefined;
  private attempt: UpstreamAttempt | undefined;
  /** The request headers as every try sends them (route mutations applied once). */
  private upstreamHeaders: string[] | undefined;
  private timeoutMs = 0;
  private perTryTimeoutMs = 0;
  private globalTimer: NodeJS.Timeout | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  private bodySinkAttached = false;
  private downstreamEnded = false;
  /** Request body kept for retries and mirrors; undefined once that is impossible or abandoned. */
  private retained: Buffer[] | undefined;
  private retainedBytes = 0;
  private shadows: UpstreamCluster[] = [];
  private finished = false;

  constructor(context: FilterContext, suppressEnvoyHeaders: boolean) {
    this.clusterManager = context.clusterManager;
    this.suppressEnvoyHeaders = suppressEnvoyHeaders;
    this.bufferLimit = context.bufferLimitBytes;
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
    this.action = action;
    const target = action.pickTarget(stream);
    this.target = target;
    const cluster = target && this.clusterManager.get(target.name);
    stream.upstreamCluster = target?.name;
    if (!cluster) {
      // A missing cluster_header value or an unknown cluster: Envoy's router answers with the
      // route's cluster_not_found_response_code (503 by default) and flag NC.
      stream.sendLocalReply(clusterNotFoundStatus(action), '', ResponseFlag.NoClusterFound, 'cluster_not_found');
      return;
    }
    this.cluster = cluster;
    this.retryState = RetryState.create(action.retryPolicy ?? decision.virtualHost.retryPolicy, stream.headers, cluster);
    this.setTimeouts(stream, action);
    for (const name of RETRY_REQUEST_HEADERS) removeHeader(stream.headers, name);
    for (const name of TIMEOUT_REQUEST_HEADERS) removeHeader(stream.headers, name);
    if (action.idleTimeoutMs !== undefined) stream.setIdleTimeout(action.idleTimeoutMs);
    const duration = streamDuration(stream.headers, action);
    if (duration !== undefined) stream.setMaxStreamDuration(duration);
    this.shadows = this.pickShadows(stream, decision, action);
    if (this.retryState || this.shadows.length > 0) this.retained = [];
    this.startAttempt();
  }

  /**
   * The route timeout, or x-envoy-upstream-rq-timeout-ms; the per-try timeout, or
   * x-envoy-upstream-rq-per-try-timeout-ms, ignored when it is not below the route timeout.
   */
  private setTimeouts(stream: HttpStream, action: ForwardAction): void {
    this.timeoutMs = headerMs(stream.headers, 'x-envoy-upstream-rq-timeout-ms') ?? action.timeoutMs;
    const perTry = headerMs(stream.headers, 'x-envoy-upstream-rq-per-try-timeout-ms') ?? this.retryState?.perTryTimeoutMs ?? 0;
    this.perTryTimeoutMs = this.timeoutMs > 0 && perTry >= this.timeoutMs ? 0 : perTry;
  }

  /** The most specific non-empty list of mirror policies (route, virtual host, route config). */
  private pickShadows(stream: HttpStream, decision: RouteDecision, action: ForwardAction): UpstreamCluster[] {
    let policies: readonly CompiledMirrorPolicy[] = action.mirrorPolicies;
    if (policies.length === 0) policies = decision.virtualHost.mirrorPolicies;
    if (policies.length === 0) policies = stream.routeTable.mirrorPolicies;
    const shadows: UpstreamCluster[] = [];
    for (const policy of policies) {
      if (!policy.sampled(Math.random())) continue;
      const name = policy.cluster(stream.headers);
      const cluster = name === undefined ? undefined : this.clusterManager.get(name);
      if (cluster) shadows.push(cluster);
    }
    return shadows;
  }

  private startAttempt(): void {
    this.backoffTimer = undefined;
    if (this.finished) return;
    const stream = this.stream!;
    const cluster = this.cluster!;
    const host = this.chooseHost(stream, cluster);
    if (!host) {
      cluster.stats.upstream_cx_none_healthy.inc();
      this.localFailure(503, UPSTREAM_RESET_BODY.noHealthyUpstream, ResponseFlag.NoHealthyUpstream, 'no_healthy_upstream');
      return;
    }
    this.retryState?.attemptedHosts.push(host);
    stream.upstreamHost = `${host.address}:${host.port}`;
    const idleTimeoutMs = this.retryState?.perTryIdleTimeoutMs ?? 0;
    const attempt = new UpstreamAttempt(cluster, host, this, { timeoutMs: this.perTryTimeoutMs, idleTimeoutMs });
    this.attempt = attempt;
    attempt.start();
  }

  /** The load balancer's pick, re-run while a retry host predicate rejects it (host_selection_retry_max_attempts). */
  private chooseHost(stream: HttpStream, cluster: UpstreamCluster): Host | undefined {
    const context = {
      hashKey: this.action!.hash(stream),
      downstreamLocalAddress: stream.downstreamLocalAddress,
      downstreamLocalPort: stream.downstreamLocalPort,
      originalDstHeader: cluster.originalDstHeaderName ? getHeader(stream.headers, cluster.originalDstHeaderName) : undefined,
    };
    const retry = this.retryState;
    let host = cluster.chooseHost(context);
    if (!retry || retry.attemptedHosts.length === 0) return host;
    for (let i = 0; host && retry.rejectsHost(host) && i < retry.hostSelectionMaxAttempts; i++) {
      host = cluster.chooseHost(context);
    }
    return host;
  }

  // --- AttemptOwner: the current try's events -------------------------------------------
  onAttemptReady(attempt: UpstreamAttempt): void {
    const stream = this.stream!;
    attempt.send(this.requestHead(stream, attempt.host), () => stream.resumeRequestBody());
    if (this.retained) for (const chunk of this.retained) attempt.writeBody(chunk);
    if (this.downstreamEnded) {
      attempt.endBody();
    } else if (!this.bodySinkAttached) {
      this.bodySinkAttached = true;
      stream.attachBodySink({
        onData: (chunk) => this.onRequestData(chunk),
        onEnd: () => this.onRequestEnd(),
      });
    }
  }

  onAttemptHeaders(attempt: UpstreamAttempt, status: number, headers: string[], contentLength: number, endStream: boolean): void {
    const stream = this.stream!;
    const retry = this.retryState;
    if (retry) {
      const decision = retry.shouldRetry(retry.wouldRetryFromHeaders(status, headers));
      if (decision === 'retry') {
        attempt.abort();
        this.scheduleRetry();
        return;
      }
      if (decision === 'limit_exceeded') stream.addResponseFlag(ResponseFlag.UpstreamRetryLimitExceeded);
    }
    this.dropRetained();
    if (!this.suppressEnvoyHeaders) {
      setHeader(headers, 'x-envoy-upstream-service-time', String(Math.round(attempt.elapsedMs)));
    }
    const mutated = mutateResponseHeaders(headers, this.decision!, stream.routeTable, this.formatContext(stream));
    if (endStream) this.complete();
    stream.sendResponseHeaders({ status, headers: mutated, contentLength }, endStream);
  }

  onAttemptData(chunk: Buffer): boolean {
    return this.stream!.sendResponseData(chunk);
  }

  onAttemptReadDone(): void {
    this.stream?.flushResponse();
  }

  onAttemptDrain(resume: () => void): void {
    this.stream!.onResponseDrain(resume);
  }

  onAttemptEnd(): void {
    if (this.finished) return;
    this.complete();
    this.stream!.sendResponseEnd();
  }

  onAttemptReset(attempt: UpstreamAttempt, reason: ResetReason, _details: string): void {
    if (this.finished) return;
    const stream = this.stream!;
    const retry = this.retryState;
    if (retry && !stream.responseStarted) {
      const decision = retry.shouldRetry(retry.wouldRetryFromReset(reason, attempt.requestStarted));
      if (decision === 'retry') {
        this.scheduleRetry();
        return;
      }
      if (decision === 'limit_exceeded') stream.addResponseFlag(ResponseFlag.UpstreamRetryLimitExceeded);
    }
    const reply = RESET_REPLIES[reason];
    // Envoy marks its own overflow replies so downstream Envoys do not retry them.
    const headers = reason === 'overflow' && !this.suppressEnvoyHeaders ? ['x-envoy-overloaded', 'true'] : undefined;
    this.localFailure(reply.status, reply.body, reply.flag, reply.details, headers);
  }

  private scheduleRetry(): void {
    this.attempt = undefined;
    this.backoffTimer = setTimeout(() => this.startAttempt(), this.retryState!.backoffMs());
  }

  // --- request body ------------------------------------------------------------------
  private onRequestData(chunk: Buffer): boolean {
    if (this.retained) {
      this.retainedBytes += chunk.length;
      if (this.retainedBytes <= this.bufferLimit) this.retained.push(chunk);
      else if (this.abandonRetainedBody()) return true;
    }
    const attempt = this.attempt;
    return attempt ? attempt.writeBody(chunk) : true;
  }

  private onRequestEnd(): void {
    this.downstreamEnded = true;
    this.attempt?.endBody();
    this.startRouteTimeout();
    this.sendShadows();
  }

  /**
   * The body outgrew the buffer limit: no retry or mirror can replay it any more. Without a try
   * in flight (waiting out a back-off) the request cannot go on: 507, as Envoy answers.
   * Returns true when the request ended here.
   */
  private abandonRetainedBody(): boolean {
    this.retained = undefined;
    this.shadows = [];
    this.retryState?.release();
    this.retryState = undefined;
    if (this.attempt?.requestStarted) return false;
    this.attempt?.abort();
    this.attempt = undefined;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimer = undefined;
    this.localFailure(507, 'exceeded request buffer limit while retrying upstream', undefined, 'request_payload_exceeded_retry_buffer_limit');
    return true;
  }

  private dropRetained(): void {
    // Only mirrors still need the body once a response is chosen; they take it at the end.
    if (this.shadows.length === 0) this.retained = undefined;
  }

  private sendShadows(): void {
    const shadows = this.shadows;
    this.shadows = [];
    if (shadows.length === 0 || !this.retained || !this.upstreamHeaders) return;
    const stream = this.stream!;
    for (const cluster of shadows) {
      const head: UpstreamRequestHead = {
        method: stream.method,
        path: this.action!.rewritePath(stream),
        host: shadowAuthority(this.hostHeader(stream, undefined)),
        headers: this.upstreamHeaders,
        contentLength: this.retainedBytes === 0 && stream.requestContentLength <= 0 ? stream.requestContentLength : this.retainedBytes,
      };
      sendShadowRequest(cluster, head, this.retained, this.timeoutMs);
    }
    if (!this.retryState) this.retained = undefined;
  }

  // --- timeouts and completion --------------------------------------------------------
  /** Envoy's route timeout runs from the end of the downstream request over every try. */
  private startRouteTimeout(): void {
    if (this.timeoutMs <= 0 || this.finished || this.globalTimer) return;
    this.globalTimer = setTimeout(() => {
      this.globalTimer = undefined;
      if (this.finished) return;
      this.cluster!.stats.upstream_rq_timeout.inc();
      this.attempt?.abortForTimeout();
      this.localFailure(504, UPSTREAM_RESET_BODY.timeout, ResponseFlag.UpstreamRequestTimeout, 'upstream_response_timeout');
    }, this.timeoutMs);
  }

  /** Local reply if nothing was sent yet; otherwise the only honest signal left is a reset. */
  private localFailure(status: number, body: string, flag: ResponseFlag | undefined, details: string, headers?: string[]): void {
    const stream = this.stream!;
    this.complete();
    if (stream.responseStarted) {
      if (flag) stream.addResponseFlag(flag);
      stream.reset(details);
    } else {
      stream.sendLocalReply(status, body, flag, details, headers);
    }
  }

  private complete(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.globalTimer) clearTimeout(this.globalTimer);
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.globalTimer = undefined;
    this.backoffTimer = undefined;
    this.retryState?.release();
  }

  onDestroy(): void {
    // The stream ended (completed, local reply, or downstream reset): release upstream work.
    this.attempt?.abort();
    this.attempt = undefined;
    this.complete();
  }

  // --- the upstream request head ----------------------------------------------------------
  private requestHead(stream: HttpStream, host: Host): UpstreamRequestHead {
    if (!this.upstreamHeaders) {
      const headers = mutateRequestHeaders(stream.headers, this.decision!, stream.routeTable, this.formatContext(stream));
      if (!this.suppressEnvoyHeaders) {
        const expected = this.perTryTimeoutMs > 0 ? this.perTryTimeoutMs : this.timeoutMs;
        if (expected > 0) setHeader(headers, 'x-envoy-expected-rq-timeout-ms', String(expected));
      }
      this.upstreamHeaders = headers;
    }
    return {
      method: stream.method,
      path: this.action!.rewritePath(stream),
      host: this.hostHeader(stream, host),
      headers: this.upstreamHeaders,
      contentLength: stream.requestContentLength,
    };
  }

  private hostHeader(stream: HttpStream, host: Host | undefined): string {
    const rewrite = this.action!.hostRewrite;
    if (rewrite === undefined && this.target?.hostRewrite) return this.target.hostRewrite;
    if (rewrite?.kind === 'literal') return rewrite.value;
    if (rewrite?.kind === 'auto') return host?.hostname || stream.authority;
    if (rewrite?.kind === 'header') return getHeader(stream.headers, rewrite.name) ?? stream.authority;
    return stream.authority;
  }

  private responseHeaderMutations(headers: string[]): string[] {
    return mutateResponseHeaders(headers, this.decision!, this.stream!.routeTable, this.formatContext(this.stream!));
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

/** The route's max stream duration, or the request's grpc-timeout when the route honours it. */
function streamDuration(headers: readonly string[], action: ForwardAction): number | undefined {
  const cap = action.grpcTimeoutHeaderMaxMs;
  if (cap !== undefined) {
    const grpcTimeout = parseGrpcTimeout(firstHeader(headers, 'grpc-timeout'));
    if (grpcTimeout !== undefined) return cap > 0 ? Math.min(grpcTimeout, cap) : grpcTimeout;
  }
  return action.maxStreamDurationMs;
}

const GRPC_TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** gRPC's `grpc-timeout: <1-8 digits><H|M|S|m|u|n>`, in ms (at least 1); undefined when absent or malformed. */
function parseGrpcTimeout(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!match) return undefined;
  return Math.max(1, Math.ceil(Number(match[1]) * GRPC_TIMEOUT_UNIT_MS[match[2]!]!));
}

/** A timeout header in milliseconds; invalid values are ignored, as Envoy ignores them. */
function headerMs(headers: readonly string[], name: string): number | undefined {
  const value = firstHeader(headers, name);
  return value !== undefined && /^\d{1,10}$/.test(value) ? Number(value) : undefined;
}
