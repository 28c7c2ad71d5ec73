/**
 * PathUtil::unescapeSlashes: `%2F`/`%2f` become '/' and `%5C`/`%5c` become '\' in the path (not
 * the query). `found` tells the caller whether anything changed, which decides reject/redirect.
 */
import { queryStart } from './path-parts.js';

const ESCAPED_SLASH = /%2f|%5c/gi;

export function unescapeSlashes(target: string): { path: string; found: boolean } {
  const split = queryStart(target);
  const path = target.slice(0, split);
  if (!path.includes('%')) return { path: target, found: false };
  let found = false;
  const decoded = path.replace(ESCAPED_SLASH, (escaped) => {
    found = true;
    return escaped[1] === '2' ? '/' : '\\';
  });
  return { path: decoded + target.slice(split), found };
}
