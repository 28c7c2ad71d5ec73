/**
 * The per-request state route matching reads, computed lazily and at most once: the path used
 * for path matching, the query parameters, and the random value runtime_fraction compares with.
 * One instance is reused by a route table across calls (route() is synchronous), so matching a
 * request allocates almost nothing.
 */
import type { HeaderSource } from '../matchers/header-matcher.js';
import type { QuerySource } from '../matchers/query-matcher.js';
import { parseQueryFirstValues } from '../matchers/query-string.js';
import { joinedHeader } from './headers.js';
import type { RouteRequest } from './types.js';

const NO_REQUEST: RouteRequest = {
  authority: '',
  path: '/',
  method: 'GET',
  headers: [],
  scheme: 'http',
  sourceAddress: '',
};

/** Envoy keeps Host as the :authority pseudo-header (it maps a legacy "host" lookup to it too). */
export function requestHeaderValue(request: RouteRequest, name: string): string | undefined {
  if (name.charCodeAt(0) === 58 /* ':' */ || name === 'host') {
    switch (name) {
      case ':authority':
      case 'host':
        return request.authority === '' ? undefined : request.authority;
      case ':path':
        return request.path;
      case ':method':
        return request.method;
      case ':scheme':
        return request.scheme;
    }
  }
  return joinedHeader(request.headers, name);
}

export class RequestView implements HeaderSource, QuerySource {
  private readonly ignorePathParameters: boolean;
  private request: RouteRequest = NO_REQUEST;
  private matchPath: string | undefined;
  private query: Map<string, string> | undefined;
  private random: number | undefined;

  constructor(ignorePathParameters: boolean) {
    this.ignorePathParameters = ignorePathParameters;
  }

  reset(request: RouteRequest): void {
    this.request = request;
    this.matchPath = undefined;
    this.query = undefined;
    this.random = undefined;
  }

  /**
   * The path without query and fragment (PathMatcher::match), cut at the first ';' when
   * ignore_path_parameters_in_path_matching is set (sanitizePathBeforePathMatching).
   */
  pathForMatching(): string {
    if (this.matchPath === undefined) {
      // Native indexOf scans beat a charCodeAt loop; paths rarely hold '#' (normalization strips it).
      const path = this.request.path;
      let end = path.indexOf('?');
      if (end < 0) end = path.length;
      const fragment = path.lastIndexOf('#', end);
      if (fragment >= 0) end = path.indexOf('#');
      if (this.ignorePathParameters) {
        const parameters = path.indexOf(';');
        if (parameters >= 0 && parameters < end) end = parameters;
      }
      this.matchPath = end === path.length ? path : path.slice(0, end);
    }
    return this.matchPath;
  }

  joinedHeader(name: string): string | undefined {
    return requestHeaderValue(this.request, name);
  }

  firstQueryValue(name: string): string | undefined {
    this.query ??= parseQueryFirstValues(this.request.path);
    return this.query.get(name);
  }

  /** Uniform in [0, 1); one draw per request, shared by every runtime_fraction as Envoy shares its random value. */
  randomFraction(): number {
    this.random ??= Math.random();
    return this.random;
  }
}
