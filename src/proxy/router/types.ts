/** The router's public types; route-table.ts re-exports them as the API the HTTP layer uses. */

import type { Route__Output } from '../../xds/generated/envoy/config/route/v3/Route.js';
import type { RouteAction__Output } from '../../xds/generated/envoy/config/route/v3/RouteAction.js';
import type { RouteConfiguration__Output } from '../../xds/generated/envoy/config/route/v3/RouteConfiguration.js';
import type { VirtualHost__Output } from '../../xds/generated/envoy/config/route/v3/VirtualHost.js';
import type { HeaderMutations } from './header-mutation.js';
import type { CompiledMirrorPolicy } from './mirror-policy.js';
import type { CompiledRetryPolicy } from './retry-policy.js';

export interface RouteRequest {
  /** Host / :authority as received (may include :port). */
  authority: string;
  /** The already-normalized :path including the query string. */
  path: string;
  method: string;
  /** Flat [name, value, ...], names lower-case, possibly repeated names. */
  headers: readonly string[];
  scheme: 'http' | 'https';
  /** Downstream peer IP, for the source_ip hash policy. */
  sourceAddress: string;
}

/** What `%COMMAND%` substitutions in header values read. */
export interface HeaderFormatContext {
  /** "ip:port" */
  downstreamRemoteAddress: string;
  /** "ip:port" */
  downstreamLocalAddress: string;
  /** "ip:port" of the chosen upstream host, once there is one. */
  upstreamHost?: string | undefined;
  /** "HTTP/1.1" */
  protocol: string;
  /** The request's headers, for %REQ(name)% in response header values. */
  requestHeaders: readonly string[];
  /** Request start, epoch milliseconds, for %START_TIME% (defaults to now). */
  startTime?: number;
  /** The weighted cluster `pickTarget` chose, whose own header mutations then apply too. */
  clusterTarget?: ClusterTarget | undefined;
}

export type HostRewrite =
  | { kind: 'literal'; value: string }
  | { kind: 'auto' }
  | { kind: 'header'; name: string };

/** The cluster a request goes to, with what a weighted_clusters entry adds. */
export interface ClusterTarget {
  readonly name: string;
  /** Request/response header mutations of the weighted cluster entry (applied before the route's). */
  readonly requestMutations?: HeaderMutations | undefined;
  readonly responseMutations?: HeaderMutations | undefined;
  /** The entry's host_rewrite_literal; a route-level host rewrite takes precedence. */
  readonly hostRewrite?: string | undefined;
}

export interface ForwardAction {
  readonly kind: 'forward';
  /** weighted_clusters pick by weight (random), cluster_header reads a header; undefined => 503 NC. */
  pickCluster(req: RouteRequest): string | undefined;
  /** Like pickCluster, with the weighted cluster entry's header mutations and host rewrite. */
  pickTarget(req: RouteRequest): ClusterTarget | undefined;
  /** prefix_rewrite / regex_rewrite applied (query preserved), or req.path unchanged. */
  rewritePath(req: RouteRequest): string;
  readonly hostRewrite: HostRewrite | undefined;
  /** Envoy's default is 15000; 0 disables the route timeout. */
  readonly timeoutMs: number;
  readonly idleTimeoutMs: number | undefined;
  /** max_stream_duration.max_stream_duration: replaces the HCM's for this stream (0 disables); undefined keeps it. */
  readonly maxStreamDurationMs: number | undefined;
  /**
   * max_stream_duration.grpc_timeout_header_max: when set, a request's `grpc-timeout` header
   * becomes its max stream duration, capped at this value (0: no cap).
   */
  readonly grpcTimeoutHeaderMaxMs: number | undefined;
  /** The route's retry_policy; when undefined the virtual host's applies. */
  readonly retryPolicy: CompiledRetryPolicy | undefined;
  /** The route's request_mirror_policies; when empty the virtual host's (then the route config's) apply. */
  readonly mirrorPolicies: readonly CompiledMirrorPolicy[];
  /** From hash_policy, combined with combineHash; undefined when no policy yields a value. */
  hash(req: RouteRequest): number | undefined;
  /** retry_policy, request_mirror_policies, cors, rate_limits etc. for later filters. */
  readonly raw: RouteAction__Output;
}

export interface RedirectAction {
  readonly kind: 'redirect';
  redirect(req: RouteRequest): { status: number; location: string };
}

export interface DirectResponseAction {
  readonly kind: 'direct_response';
  readonly status: number;
  readonly body: Buffer | undefined;
  /** Envoy adds `location: <request URL>` to a 201 or 3xx direct response; undefined otherwise. */
  location(req: RouteRequest): string | undefined;
}

export type RouteAction = ForwardAction | RedirectAction | DirectResponseAction;

export interface CompiledRoute {
  readonly name: string;
  readonly action: RouteAction;
  readonly requestHeaderMutations: HeaderMutations | undefined;
  readonly responseHeaderMutations: HeaderMutations | undefined;
  /** The require_tls redirect Envoy synthesizes: no header mutations apply to it. */
  readonly isTlsRedirect: boolean;
  /** typed_per_filter_config, metadata, decorator for later filters; null for synthesized routes. */
  readonly raw: Route__Output | null;
}

export interface CompiledVirtualHost {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly CompiledRoute[];
  readonly requestHeaderMutations: HeaderMutations | undefined;
  readonly responseHeaderMutations: HeaderMutations | undefined;
  readonly retryPolicy: CompiledRetryPolicy | undefined;
  readonly mirrorPolicies: readonly CompiledMirrorPolicy[];
  /** cors, typed_per_filter_config, rate_limits. */
  readonly raw: VirtualHost__Output;
}

export interface RouteDecision {
  readonly virtualHost: CompiledVirtualHost;
  readonly route: CompiledRoute;
}

export interface RouteTable {
  readonly name: string;
  /** undefined = no route (the caller answers 404 with response flag NR). */
  route(request: RouteRequest): RouteDecision | undefined;
  readonly requestHeaderMutations: HeaderMutations | undefined;
  readonly responseHeaderMutations: HeaderMutations | undefined;
  /** Envoy default false: route-level mutations run first, so route-config-level ones win. */
  readonly mostSpecificHeaderMutationsWins: boolean;
  readonly mirrorPolicies: readonly CompiledMirrorPolicy[];
  /** typed_per_filter_config for later filters. */
  readonly raw: RouteConfiguration__Output;
}
