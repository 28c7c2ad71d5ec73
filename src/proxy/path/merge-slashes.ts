/**
 * PathTransformer::mergeSlashes (source/common/http/path_utility.cc): runs of '/' in the path
 * (not the query) become one, keeping a leading and a trailing slash.
 */
import { queryStart } from './path-parts.js';

export function mergeSlashes(target: string): string {
  const split = queryStart(target);
  const path = target.slice(0, split);
  if (!path.includes('//')) return target;
  const prefix = path.startsWith('/') ? '/' : '';
  const suffix = path.endsWith('/') ? '/' : '';
  const segments = path.split('/').filter((segment) => segment !== '');
  // Like Envoy's StrCat(prefix, join, suffix), a path of slashes only ("///") comes out as "//".
  return `${prefix}${segments.join('/')}${suffix}${target.slice(split)}`;
}
