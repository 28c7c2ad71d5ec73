/**
 * Header values with Envoy substitution commands (`%DOWNSTREAM_REMOTE_ADDRESS%`, `%REQ(x-a?x-b):10%`).
 * A value evaluates to '' when a command has nothing to show (Envoy formats header values with
 * omit_empty_values), and `%%` is a literal '%'. An unknown command is a config error.
 */
import { hostname } from 'node:os';
import type { FieldPath } from '../../xds/proto-json.js';
import type { ConfigError } from '../config/config-error.js';
import { asciiLower } from '../matchers/ascii.js';
import { firstHeader } from './headers.js';
import type { HeaderFormatContext } from './types.js';

/** What a formatter reads: the context plus the request headers as they are right now. */
export interface FormatInput {
  readonly context: HeaderFormatContext;
  readonly requestHeaders: readonly string[];
}

export type HeaderFormatter = (input: FormatInput) => string;

type Command = (input: FormatInput) => string | undefined;

const COMMAND = /^%([A-Z][A-Z0-9_]*)(?:\(([^)]*)\))?(?::(\d+))?%/;

export function compileHeaderFormat(
  format: string,
  path: FieldPath,
  errors: ConfigError[],
): HeaderFormatter | undefined {
  if (!format.includes('%')) return () => format;
  const parts: (string | Command)[] = [];
  let literal = '';
  for (let i = 0; i < format.length; ) {
    if (format[i] !== '%') {
      literal += format[i];
      i++;
      continue;
    }
    if (format[i + 1] === '%') {
      literal += '%';
      i += 2;
      continue;
    }
    const match = COMMAND.exec(format.slice(i));
    if (!match) {
      errors.push({
        path,
        message: `invalid '%' at position ${i}: expected %COMMAND% (write %% for a literal %)`,
      });
      return undefined;
    }
    const command = compileCommand(match[1]!, match[2], path, errors);
    if (!command) return undefined;
    const maxLength = match[3] === undefined ? undefined : Number(match[3]);
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(maxLength === undefined ? command : (input) => command(input)?.slice(0, maxLength));
    i += match[0].length;
  }
  if (literal !== '') parts.push(literal);
  return (input) => {
    let out = '';
    for (const part of parts) out += typeof part === 'string' ? part : (part(input) ?? '');
    return out;
  };
}

function compileCommand(
  name: string,
  args: string | undefined,
  path: FieldPath,
  errors: ConfigError[],
): Command | undefined {
  const noArgs = (command: Command): Command | undefined => {
    if (args === undefined) return command;
    errors.push({ path, message: `%${name}% takes no arguments` });
    return undefined;
  };
  switch (name) {
    case 'DOWNSTREAM_REMOTE_ADDRESS':
      return noArgs(({ context }) => context.downstreamRemoteAddress);
    case 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT':
      return noArgs(({ context }) => addressWithoutPort(context.downstreamRemoteAddress));
    case 'DOWNSTREAM_LOCAL_ADDRESS':
      return noArgs(({ context }) => context.downstreamLocalAddress);
    case 'DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT':
      return noArgs(({ context }) => addressWithoutPort(context.downstreamLocalAddress));
    case 'UPSTREAM_REMOTE_ADDRESS':
      return noArgs(({ context }) => context.upstreamHost);
    case 'PROTOCOL':
      return noArgs(({ context }) => context.protocol);
    case 'HOSTNAME': {
      const host = hostname();
      return noArgs(() => host);
    }
    case 'START_TIME':
      // Envoy's default format is ISO 8601 with milliseconds; custom strftime formats are not implemented.
      if (args !== undefined) {
        errors.push({ path, message: '%START_TIME(format)% is not supported; use %START_TIME%' });
        return undefined;
      }
      return ({ context }) => new Date(context.startTime ?? Date.now()).toISOString();
    case 'REQ': {
      const names = (args ?? '').split('?').map((n) => asciiLower(n.trim()));
      if (args === undefined || names.length > 2 || names.some((n) => n === '')) {
        errors.push({ path, message: '%REQ% needs one header name, or two as %REQ(main?alternative)%' });
        return undefined;
      }
      return ({ requestHeaders }) => {
        for (const header of names) {
          const value = requestHeaderForFormat(requestHeaders, header);
          if (value !== undefined) return value;
        }
        return undefined;
      };
    }
    default:
      errors.push({ path, message: `unknown or unsupported command %${name}%` });
      return undefined;
  }
}

/** %REQ% reads the first value; Host and :authority are the same header in Envoy. */
function requestHeaderForFormat(headers: readonly string[], name: string): string | undefined {
  if (name === ':authority' || name === 'host')
    return firstHeader(headers, ':authority') ?? firstHeader(headers, 'host');
  return firstHeader(headers, name);
}

/** "1.2.3.4:80" -> "1.2.3.4", "[::1]:80" -> "::1". */
function addressWithoutPort(address: string): string {
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    return close < 0 ? address : address.slice(1, close);
  }
  const colon = address.lastIndexOf(':');
  return colon < 0 || address.indexOf(':') !== colon ? address : address.slice(0, colon);
}
