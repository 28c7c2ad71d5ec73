/**
 * Query parameters as Envoy's QueryParamsMulti::parseQueryString: split on '&', each piece split
 * at its first '=', no percent-decoding; a piece without '=' has the empty value. Only the first
 * value of each name is kept, which is all route matching and hashing read.
 */
export function parseQueryFirstValues(path: string): Map<string, string> {
  const params = new Map<string, string>();
  const queryStart = path.indexOf('?');
  if (queryStart < 0) return params;
  let start = queryStart + 1;
  while (start < path.length) {
    let end = path.indexOf('&', start);
    if (end < 0) end = path.length;
    const equals = path.indexOf('=', start);
    const hasValue = equals >= 0 && equals < end;
    const name = path.slice(start, hasValue ? equals : end);
    if (!params.has(name)) params.set(name, hasValue ? path.slice(equals + 1, end) : '');
    start = end + 1;
  }
  return params;
}
