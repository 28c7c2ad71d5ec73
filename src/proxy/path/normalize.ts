/**
 * Request path normalization in the HTTP connection manager's order
 * (ConnectionManagerUtility::maybeNormalizePath):
 * 1. the fragment is stripped (Istio's setting: runtime http_reject_path_with_fragment=false);
 * 2. `path_with_escaped_slashes_action`: %2F/%5C are unescaped, then the request is rejected,
 *    redirected or forwarded;
 * 3. `normalize_path`: RFC 3986 canonicalization (see canonicalize.ts), which may reject;
 * 4. `merge_slashes`, after normalization so percent-encoded slashes are caught too.
 * The query is never touched. Raw NUL and control characters, and `%00`, are rejected in every
 * mode: Envoy's codecs refuse raw ones, and Istio's normalization table requires `/a%00b` -> 400.
 */
import { canonicalizePath } from './canonicalize.js';
import { unescapeSlashes } from './escaped-slashes.js';
import { mergeSlashes } from './merge-slashes.js';
import { queryStart } from './path-parts.js';

export type EscapedSlashesAction =
  | 'KEEP_UNCHANGED'
  | 'REJECT_REQUEST'
  | 'UNESCAPE_AND_REDIRECT'
  | 'UNESCAPE_AND_FORWARD'
  | 'IMPLEMENTATION_SPECIFIC_DEFAULT';

export interface PathNormalizationOptions {
  normalizePath: boolean;
  mergeSlashes: boolean;
  escapedSlashesAction: EscapedSlashesAction;
}

export type PathNormalizationResult =
  | { kind: 'ok'; path: string }
  | { kind: 'reject'; detail: string }
  | { kind: 'redirect'; path: string };

// CTLs (and DEL) may not appear in a request-target (RFC 9112 §3.2, RFC 3986 §2).
const CONTROL_CHARACTER = /[\0-\x1f\x7f]/;
const ESCAPED_NUL = /%00/;

export function normalizePath(rawTarget: string, options: PathNormalizationOptions): PathNormalizationResult {
  const fragment = rawTarget.indexOf('#');
  let target = fragment < 0 ? rawTarget : rawTarget.slice(0, fragment);
  if (CONTROL_CHARACTER.test(target)) return { kind: 'reject', detail: 'control_character_in_path' };
  if (ESCAPED_NUL.test(target.slice(0, queryStart(target))))
    return { kind: 'reject', detail: 'escaped_nul_in_path' };

  let redirect = false;
  // Envoy's IMPLEMENTATION_SPECIFIC_DEFAULT is KEEP_UNCHANGED (http_connection_manager.proto).
  const action = options.escapedSlashesAction;
  if (action !== 'KEEP_UNCHANGED' && action !== 'IMPLEMENTATION_SPECIFIC_DEFAULT') {
    const unescaped = unescapeSlashes(target);
    if (unescaped.found) {
      if (action === 'REJECT_REQUEST') return { kind: 'reject', detail: 'escaped_slashes_in_path' };
      if (action === 'UNESCAPE_AND_REDIRECT') redirect = true;
      target = unescaped.path;
    }
  }

  if (options.normalizePath) {
    const split = queryStart(target);
    const canonical = canonicalizePath(target.slice(0, split));
    if (canonical === undefined) return { kind: 'reject', detail: 'path_normalization_failed' };
    target = canonical + target.slice(split);
  }
  if (options.mergeSlashes) target = mergeSlashes(target);
  return redirect ? { kind: 'redirect', path: target } : { kind: 'ok', path: target };
}
