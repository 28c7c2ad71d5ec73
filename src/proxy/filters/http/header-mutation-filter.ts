/**
 * `envoy.filters.http.header_mutation` (extensions/filters/http/header_mutation): request and
 * response header mutations, each `remove` or `append` (a HeaderValueOption with
 * append_action) applied in order. The filter's own mutations run first, then every level's
 * HeaderMutationPerRoute: route, virtual host, route configuration, so the least specific is
 * applied last and wins, unless most_specific_header_mutations_wins reverses that order.
 * Pseudo-headers and host are refused: Skein keeps them outside the header list.
 */
import type { HeaderMutation__Output as Mutation__Output } from '../../../xds/generated/envoy/config/common/mutation_rules/v3/HeaderMutation.js';
import type { HeaderMutation__Output } from '../../../xds/generated/envoy/extensions/filters/http/header_mutation/v3/HeaderMutation.js';
import type { HeaderMutationPerRoute__Output } from '../../../xds/generated/envoy/extensions/filters/http/header_mutation/v3/HeaderMutationPerRoute.js';
import type { Mutations__Output } from '../../../xds/generated/envoy/extensions/filters/http/header_mutation/v3/Mutations.js';
import type { FieldPath } from '../../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../../config/config-error.js';
import type { FilterStatus, HttpFilter, HttpStream, ResponseHead } from '../../http/http-filter.js';
import type { FormatInput } from '../../router/header-formatter.js';
import { compileHeaderAppend, compileHeaderRemove, type HeaderMutations } from '../../router/header-mutation.js';
import { allPerFilterConfigs } from '../../router/per-filter-config.js';
import type { HttpFilterFactory } from '../registry.js';
import { formatInput } from './stream-format.js';

const HEADER_MUTATION = 'envoy.extensions.filters.http.header_mutation.v3.HeaderMutation';
const HEADER_MUTATION_PER_ROUTE = 'envoy.extensions.filters.http.header_mutation.v3.HeaderMutationPerRoute';

/** One level's request and response mutations; a class so per-route configs can be told apart. */
export class Mutations {
  readonly request: readonly HeaderMutations[];
  readonly response: readonly HeaderMutations[];

  constructor(request: readonly HeaderMutations[], response: readonly HeaderMutations[]) {
    this.request = request;
    this.response = response;
  }
}

const NONE = new Mutations([], []);

export const headerMutationFilterFactory: HttpFilterFactory = {
  typeName: HEADER_MUTATION,
  terminal: false,
  routeConfigTypeName: HEADER_MUTATION_PER_ROUTE,
  create(config, path, errors, _context, filter) {
    const proto = config as HeaderMutation__Output;
    checkSupported(HEADER_MUTATION, proto, ['mutations', 'most_specific_header_mutations_wins'], path, errors);
    const mutations = compileMutations(proto.mutations, [...path, 'mutations'], errors);
    if (!mutations) return undefined;
    const shared: HeaderMutationConfig = {
      name: filter.name,
      mutations,
      mostSpecificWins: proto.most_specific_header_mutations_wins,
    };
    return () => new HeaderMutationFilter(shared);
  },
  createRouteConfig(config, path, errors) {
    const proto = config as HeaderMutationPerRoute__Output;
    checkSupported(HEADER_MUTATION_PER_ROUTE, proto, ['mutations'], path, errors);
    return compileMutations(proto.mutations, [...path, 'mutations'], errors);
  },
};

function compileMutations(proto: Mutations__Output | null, path: FieldPath, errors: ConfigError[]): Mutations | undefined {
  if (!proto) return NONE;
  const before = errors.length;
  checkSupported(
    'envoy.extensions.filters.http.header_mutation.v3.Mutations',
    proto,
    ['request_mutations', 'response_mutations'],
    path,
    errors,
  );
  const request = compileList(proto.request_mutations, [...path, 'request_mutations'], errors);
  const response = compileList(proto.response_mutations, [...path, 'response_mutations'], errors);
  return errors.length > before ? undefined : new Mutations(request, response);
}

function compileList(list: readonly Mutation__Output[], path: FieldPath, errors: ConfigError[]): HeaderMutations[] {
  const out: HeaderMutations[] = [];
  list.forEach((mutation, i) => {
    const itemPath = [...path, i];
    checkSupported('envoy.config.common.mutation_rules.v3.HeaderMutation', mutation, ['remove', 'append'], itemPath, errors);
    let compiled: HeaderMutations | undefined;
    if (mutation.action === 'remove') compiled = compileHeaderRemove(mutation.remove ?? '', [...itemPath, 'remove'], errors);
    else if (mutation.action === 'append' && mutation.append)
      compiled = compileHeaderAppend(mutation.append, [...itemPath, 'append'], errors);
    else errors.push({ path: itemPath, message: 'one of remove or append is required' });
    if (compiled) out.push(compiled);
  });
  return out;
}

export interface HeaderMutationConfig {
  readonly name: string;
  readonly mutations: Mutations;
  readonly mostSpecificWins: boolean;
}

export class HeaderMutationFilter implements HttpFilter {
  private readonly config: HeaderMutationConfig;
  /** In the order they apply; resolved once, at the first of decode or encode. */
  private routeMutations: Mutations[] | undefined;

  constructor(config: HeaderMutationConfig) {
    this.config = config;
  }

  private levels(stream: HttpStream): Mutations[] {
    if (!this.routeMutations) {
      // Least specific first; by default the most specific is applied first, so the least wins.
      const levels = allPerFilterConfigs(stream, this.config.name, Mutations);
      this.routeMutations = this.config.mostSpecificWins ? levels : levels.reverse();
    }
    return this.routeMutations;
  }

  decodeHeaders(stream: HttpStream): FilterStatus {
    const input = formatInput(stream);
    apply(this.config.mutations.request, stream.headers, input);
    for (const level of this.levels(stream)) apply(level.request, stream.headers, input);
    return 'continue';
  }

  encodeHeaders(stream: HttpStream, head: ResponseHead): void {
    const input = formatInput(stream);
    apply(this.config.mutations.response, head.headers, input);
    for (const level of this.levels(stream)) apply(level.response, head.headers, input);
  }
}

function apply(mutations: readonly HeaderMutations[], headers: string[], input: FormatInput): void {
  for (const mutation of mutations) mutation.apply(headers, input);
}
