/**
 * Path rewriting shared by forwarding and redirects, as Envoy's
 * currentUrlPathAfterRewriteWithMatchedPath (config_impl.cc): prefix_rewrite replaces the
 * matched part (the configured prefix/path, or for safe_regex routes the whole path without
 * query); regex_rewrite substitutes over the path without query. The query is always kept.
 */
import type { Substitution } from '../matchers/regex-substitution.js';
import { pathWithoutQuery } from '../path/path-parts.js';

export type PathRewriter = (path: string) => string;

export function prefixRewriter(rewrite: string, matchedLength: number | 'whole-path'): PathRewriter {
  if (matchedLength === 'whole-path') return (path) => rewrite + path.slice(pathWithoutQuery(path).length);
  return (path) => rewrite + path.slice(matchedLength);
}

export function regexRewriter(substitute: Substitution): PathRewriter {
  return (path) => {
    const justPath = pathWithoutQuery(path);
    return substitute(justPath) + path.slice(justPath.length);
  };
}
