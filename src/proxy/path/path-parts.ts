/** Splitting a request target the way Envoy's PathUtil does. */

/** The path without query and fragment (PathUtil::removeQueryAndFragment: cut at the first '?' or '#'). */
export function pathWithoutQuery(path: string): string {
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code === 63 || code === 35) return path.slice(0, i);
  }
  return path;
}

/** Index where the query starts ('?'), or the length when there is none. */
export function queryStart(path: string): number {
  const index = path.indexOf('?');
  return index < 0 ? path.length : index;
}
