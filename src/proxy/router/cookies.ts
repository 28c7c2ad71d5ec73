/**
 * The value of cookie `name` across all Cookie headers, as Envoy's Http::Utility::parseCookieValue:
 * pieces split on ';', leading spaces of the name skipped, the first piece with that exact name
 * wins, and one pair of surrounding double quotes is removed from the value.
 */
export function cookieValue(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] !== 'cookie') continue;
    for (const piece of headers[i + 1]!.split(';')) {
      const equals = piece.indexOf('=');
      if (equals < 0) continue;
      let start = 0;
      while (start < equals && piece.charCodeAt(start) === 32) start++;
      if (piece.slice(start, equals) !== name) continue;
      const value = piece.slice(equals + 1);
      return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    }
  }
  return undefined;
}
