/** Operations on flat [name, value, ...] header lists with lower-case names. */

export function firstHeader(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return undefined;
}

export function hasHeader(headers: readonly string[], name: string): boolean {
  return firstHeader(headers, name) !== undefined;
}

/** Every value of `name` joined with ',' (HeaderUtility::getAllOfHeaderAsString). */
export function joinedHeader(headers: readonly string[], name: string): string | undefined {
  let joined: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] !== name) continue;
    const value = headers[i + 1]!;
    joined = joined === undefined ? value : `${joined},${value}`;
  }
  return joined;
}

export function allHeaders(headers: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) values.push(headers[i + 1]!);
  return values;
}

/** Removes every `name` line in place. */
export function removeHeader(headers: string[], name: string): void {
  let write = 0;
  for (let read = 0; read < headers.length; read += 2) {
    if (headers[read] === name) continue;
    headers[write] = headers[read]!;
    headers[write + 1] = headers[read + 1]!;
    write += 2;
  }
  headers.length = write;
}

/** Replaces every `name` line with one (HeaderMap::setReferenceKey). */
export function setHeader(headers: string[], name: string, value: string): void {
  removeHeader(headers, name);
  headers.push(name, value);
}
