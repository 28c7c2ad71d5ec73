/**
 * Envoy's RouteConfiguration compiled into an immutable matcher: virtual host by Host header
 * (domain-index.ts), then the first route whose match holds (route-match.ts), and the header
 * mutations of route, virtual host and route configuration in Envoy's order.
 */
import { type CompiledMirrorPolicy, compileMirrorPolicies } from './mirror-policy.js';
import type { RouteConfiguration__Output } from '../../xds/generated/envoy/config/route/v3/RouteConfiguration.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { DEFAULT_MAX_DIRECT_RESPONSE_BODY_SIZE_BYTES } from './direct-response.js';
import { DomainIndex } from './domain-index.js';
import type { FormatInput } from './header-formatter.js';
import {
  compileHeaderMutations,
  type HeaderMutations,
  REQUEST_FIELDS,
  RESPONSE_FIELDS,
} from './header-mutation.js';
import { compileRouteFilterConfigs } from './per-filter-config.js';
import { RequestView } from './request-view.js';
import { matchesPath, PATH_EXACT, PATH_PREFIX } from './route-match.js';
import { DEFERRED_ROUTE_CONFIGURATION_FIELDS } from './supported-fields.js';
import type { HeaderFormatContext, RouteDecision, RouteRequest, RouteTable } from './types.js';
import { compileVirtualHost, type VirtualHostEntry } from './virtual-host.js';

export type { HeaderMutations } from './header-mutation.js';
export type {
  ClusterTarget,
  CompiledRoute,
  CompiledVirtualHost,
  DirectResponseAction,
  ForwardAction,
  HeaderFormatContext,
  HostRewrite,
  RedirectAction,
  RouteAction,
  RouteDecision,
  RouteRequest,
  RouteTable,
} from './types.js';

const SUPPORTED = [
  'name',
  'virtual_hosts',
  'request_headers_to_add',
  'request_headers_to_remove',
  'response_headers_to_add',
  'response_headers_to_remove',
  'most_specific_header_mutations_wins',
  'max_direct_response_body_size_bytes',
  'ignore_port_in_host_matching',
  'ignore_path_parameters_in_path_matching',
  'validate_clusters',
  'metadata',
  'request_mirror_policies',
  ...DEFERRED_ROUTE_CONFIGURATION_FIELDS,
] as const;

export function compileRouteConfiguration(
  config: RouteConfiguration__Output,
  path: FieldPath = [],
): { ok: true; table: RouteTable } | { ok: false; errors: ConfigError[] } {
  const errors: ConfigError[] = [];
  checkSupported('envoy.config.route.v3.RouteConfiguration', config, SUPPORTED, path, errors);
  // Envoy checks route clusters against its cluster manager when asked; the router has none.
  if (config.validate_clusters?.value) {
    errors.push({
      path: [...path, 'validate_clusters'],
      message: 'validate_clusters: true is not supported (clusters are resolved per request)',
    });
  }
  const limits = {
    maxDirectResponseBodyBytes:
      config.max_direct_response_body_size_bytes?.value ?? DEFAULT_MAX_DIRECT_RESPONSE_BODY_SIZE_BYTES,
  };
  const domains = new DomainIndex<VirtualHostEntry>(config.ignore_port_in_host_matching);
  config.virtual_hosts.forEach((host, i) => {
    const hostPath = [...path, 'virtual_hosts', i];
    const entry = compileVirtualHost(host, limits, hostPath, errors);
    if (!entry) return;
    host.domains.forEach((domain, j) => {
      const duplicate = domains.add(domain, entry);
      if (duplicate) errors.push({ path: [...hostPath, 'domains', j], message: duplicate });
    });
  });
  const requestHeaderMutations = compileHeaderMutations(
    config.request_headers_to_add,
    config.request_headers_to_remove,
    path,
    REQUEST_FIELDS,
    errors,
  );
  const responseHeaderMutations = compileHeaderMutations(
    config.response_headers_to_add,
    config.response_headers_to_remove,
    path,
    RESPONSE_FIELDS,
    errors,
  );
  const mirrorPolicies = compileMirrorPolicies(
    config.request_mirror_policies,
    [...path, 'request_mirror_policies'],
    errors,
  );
  compileRouteFilterConfigs(config, path, errors);
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    table: new CompiledRouteTable(config, domains, requestHeaderMutations, responseHeaderMutations, mirrorPolicies),
  };
}

class CompiledRouteTable implements RouteTable {
  readonly name: string;
  readonly requestHeaderMutations: HeaderMutations | undefined;
  readonly responseHeaderMutations: HeaderMutations | undefined;
  readonly mostSpecificHeaderMutationsWins: boolean;
  readonly mirrorPolicies: readonly CompiledMirrorPolicy[];
  readonly raw: RouteConfiguration__Output;
  private readonly domains: DomainIndex<VirtualHostEntry>;
  /** Reused for every request: route() runs to completion without yielding. */
  private readonly view: RequestView;

  constructor(
    config: RouteConfiguration__Output,
    domains: DomainIndex<VirtualHostEntry>,
    requestHeaderMutations: HeaderMutations | undefined,
    responseHeaderMutations: HeaderMutations | undefined,
    mirrorPolicies: readonly CompiledMirrorPolicy[],
  ) {
    this.mirrorPolicies = mirrorPolicies;
    this.name = config.name;
    this.raw = config;
    this.domains = domains;
    this.requestHeaderMutations = requestHeaderMutations;
    this.responseHeaderMutations = responseHeaderMutations;
    this.mostSpecificHeaderMutationsWins = config.most_specific_header_mutations_wins;
    this.view = new RequestView(config.ignore_path_parameters_in_path_matching);
  }

  route(request: RouteRequest): RouteDecision | undefined {
    const host = this.domains.find(request.authority);
    if (!host) return undefined;
    if (host.requireTls !== 'NONE') {
      const tlsRedirect = host.tlsRedirect(request);
      if (tlsRedirect) return tlsRedirect;
    }
    const view = this.view;
    view.reset(request);
    const path = view.pathForMatching();
    const routes = host.routes;
    for (let i = 0; i < routes.length; i++) {
      const entry = routes[i]!;
      const match = entry.match;
      // Case-sensitive prefix and exact paths, the common kinds, are tested inline: a call per
      // route costs as much as the comparison itself.
      const kind = match.pathKind;
      const pathMatches =
        kind === PATH_PREFIX
          ? path.startsWith(match.pathValue)
          : kind === PATH_EXACT
            ? path === match.pathValue
            : matchesPath(match, path);
      if (pathMatches && (match.conditions === undefined || match.conditions(view))) return entry.decision;
    }
    return undefined;
  }
}

/**
 * Applies request header mutations in place and returns `headers`: the chosen weighted cluster's
 * first, then route, virtual host and route configuration, where the level applied last wins
 * (config_impl.cc getHeaderParsers; most_specific_header_mutations_wins reverses the three).
 */
export function mutateRequestHeaders(
  headers: string[],
  decision: RouteDecision,
  table: RouteTable,
  ctx: HeaderFormatContext,
): string[] {
  const input: FormatInput = { context: ctx, requestHeaders: headers };
  ctx.clusterTarget?.requestMutations?.apply(headers, input);
  for (const mutations of levels(decision, table, 'request')) mutations?.apply(headers, input);
  return headers;
}

/** Response-side counterpart of mutateRequestHeaders; %REQ()% reads ctx.requestHeaders. */
export function mutateResponseHeaders(
  headers: string[],
  decision: RouteDecision,
  table: RouteTable,
  ctx: HeaderFormatContext,
): string[] {
  const input: FormatInput = { context: ctx, requestHeaders: ctx.requestHeaders };
  ctx.clusterTarget?.responseMutations?.apply(headers, input);
  for (const mutations of levels(decision, table, 'response')) mutations?.apply(headers, input);
  return headers;
}

function levels(
  decision: RouteDecision,
  table: RouteTable,
  side: 'request' | 'response',
): (HeaderMutations | undefined)[] {
  // Envoy's synthesized require_tls redirect finalizes no headers.
  if (decision.route.isTlsRedirect) return [];
  const pick = side === 'request' ? 'requestHeaderMutations' : 'responseHeaderMutations';
  const mostToLeast = [decision.route[pick], decision.virtualHost[pick], table[pick]];
  return table.mostSpecificHeaderMutationsWins ? mostToLeast.reverse() : mostToLeast;
}
