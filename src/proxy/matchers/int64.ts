/**
 * absl::SimpleAtoi for int64/uint64, which Envoy uses for header range matching and the weighted
 * cluster random-value header: surrounding ASCII whitespace is skipped, one optional sign, then
 * base-10 digits only, and out-of-range values fail.
 */
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const NUMBER = /^[\t\n\v\f\r ]*([+-]?)(\d+)[\t\n\v\f\r ]*$/;

export function parseInt64(value: string): bigint | undefined {
  const match = NUMBER.exec(value);
  if (!match) return undefined;
  const parsed = BigInt(`${match[1] === '-' ? '-' : ''}${match[2]}`);
  return parsed < INT64_MIN || parsed > INT64_MAX ? undefined : parsed;
}

export function parseUint64(value: string): bigint | undefined {
  const match = NUMBER.exec(value);
  if (!match || match[1] === '-') return undefined;
  const parsed = BigInt(match[2]!);
  return parsed > UINT64_MAX ? undefined : parsed;
}
