/**
 * `RegexMatchAndSubstitute`: RE2::GlobalReplace with an RE2 rewrite string (`\1` inserts group
 * 1, `\\` a backslash), as Envoy's regex_rewrite does (config_impl.cc, `replaceAll`).
 */
import type { RE2JS } from 're2js';
import type { RegexMatchAndSubstitute__Output } from '../../xds/generated/envoy/type/matcher/v3/RegexMatchAndSubstitute.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { checkHeaderValue } from './field-checks.js';
import { compileRegex } from './regex.js';

/** A rewrite string split into literal text and capture-group references. */
type RewritePart = string | number;

export type Substitution = (input: string) => string;

export function compileSubstitution(
  spec: RegexMatchAndSubstitute__Output,
  path: FieldPath,
  errors: ConfigError[],
): Substitution | undefined {
  checkSupported(
    'envoy.type.matcher.v3.RegexMatchAndSubstitute',
    spec,
    ['pattern', 'substitution'],
    path,
    errors,
  );
  const regex = compileRegex(spec.pattern, [...path, 'pattern'], errors);
  const substitutionPath = [...path, 'substitution'];
  if (!checkHeaderValue(spec.substitution, substitutionPath, errors) || !regex) return undefined;
  const parts = parseRewrite(spec.substitution, regex.groupCount, substitutionPath, errors);
  if (!parts) return undefined;
  return (input) => globalReplace(regex.pattern, input, parts);
}

/**
 * RE2::Rewrite accepts `\0`..`\9` and `\\`; anything else after a backslash, or a group the
 * pattern does not have, makes GlobalReplace do nothing at all. Envoy would then silently leave
 * the path unchanged; Skein rejects the config instead.
 */
export function parseRewrite(
  rewrite: string,
  groupCount: number,
  path: FieldPath,
  errors: ConfigError[],
): RewritePart[] | undefined {
  const parts: RewritePart[] = [];
  let literal = '';
  for (let i = 0; i < rewrite.length; i++) {
    const ch = rewrite[i]!;
    if (ch !== '\\') {
      literal += ch;
      continue;
    }
    const next = rewrite[i + 1];
    i++;
    if (next === '\\') {
      literal += '\\';
    } else if (next !== undefined && next >= '0' && next <= '9') {
      const group = Number(next);
      if (group > groupCount) {
        errors.push({
          path,
          message: `\\${group} refers to a group the pattern does not have (it has ${groupCount})`,
        });
        return undefined;
      }
      if (literal !== '') parts.push(literal);
      literal = '';
      parts.push(group);
    } else {
      errors.push({ path, message: `invalid rewrite escape '\\${next ?? ''}' (use \\0-\\9 or \\\\)` });
      return undefined;
    }
  }
  if (literal !== '') parts.push(literal);
  return parts;
}

/** RE2::GlobalReplace: replace every non-overlapping match; an empty match right after the previous match is skipped. */
function globalReplace(pattern: RE2JS, input: string, parts: readonly RewritePart[]): string {
  const matcher = pattern.matcher(input);
  let out = '';
  let position = 0;
  let lastEnd = -1;
  let count = 0;
  while (position <= input.length && matcher.find(position)) {
    const start = matcher.start();
    const end = matcher.end();
    out += input.slice(position, start);
    if (start === end && start === lastEnd) {
      // Step over one code point so the loop always advances (RE2 steps one rune).
      const step = codePointLength(input, position);
      out += input.slice(position, position + step);
      position += step;
      if (step === 0) break;
      continue;
    }
    for (const part of parts) out += typeof part === 'string' ? part : (matcher.group(part) ?? '');
    position = end;
    lastEnd = end;
    count++;
  }
  if (count === 0) return input;
  return out + input.slice(position);
}

function codePointLength(input: string, index: number): number {
  if (index >= input.length) return 0;
  const code = input.charCodeAt(index);
  return code >= 0xd800 && code <= 0xdbff && index + 1 < input.length ? 2 : 1;
}
