/**
 * HTTP access logs (HCM `access_log`): Envoy's stdout, stderr and file loggers with Envoy's
 * default format or a text format of `%COMMAND%`s. This is where response flags (`UH`, `UF`,
 * `NR`, ...) become visible to an operator, exactly as Envoy prints them.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { AccessLog__Output } from '../../xds/generated/envoy/config/accesslog/v3/AccessLog.js';
import type { SubstitutionFormatString__Output } from '../../xds/generated/envoy/config/core/v3/SubstitutionFormatString.js';
import type { FileAccessLog__Output } from '../../xds/generated/envoy/extensions/access_loggers/file/v3/FileAccessLog.js';
import type { StdoutAccessLog__Output } from '../../xds/generated/envoy/extensions/access_loggers/stream/v3/StdoutAccessLog.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { checkSupported, type ConfigError } from '../config/config-error.js';
import { unpackTypedConfig } from '../filters/typed-config.js';
import { getHeader } from '../http1/headers.js';

/** What a finished stream exposes to its access log. */
export interface LoggedExchange {
  readonly startTime: number;
  readonly durationMs: number;
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly protocol: string;
  readonly requestHeaders: readonly string[];
  readonly responseHeaders: readonly string[];
  readonly responseCode: number;
  readonly responseFlags: readonly string[];
  readonly responseCodeDetails: string;
  readonly bytesReceived: number;
  readonly bytesSent: number;
  readonly upstreamHost: string | undefined;
  readonly upstreamCluster: string | undefined;
  readonly downstreamRemoteAddress: string;
  readonly downstreamLocalAddress: string;
}

export type AccessLogger = (exchange: LoggedExchange) => void;

/** Envoy's default format for HTTP access logs. */
export const DEFAULT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" ' +
  '"%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n';

type Piece = (exchange: LoggedExchange) => string;

/** `%REQ(a?b)%`: header a, else b; pseudo-headers map to the request line. */
function requestValue(exchange: LoggedExchange, name: string): string | undefined {
  switch (name) {
    case ':method':
      return exchange.method;
    case ':path':
      return exchange.path;
    case ':authority':
      return exchange.authority;
    default:
      return getHeader(exchange.requestHeaders, name);
  }
}

const SIMPLE: Record<string, Piece> = {
  START_TIME: (e) => new Date(e.startTime).toISOString(),
  PROTOCOL: (e) => e.protocol,
  RESPONSE_CODE: (e) => String(e.responseCode),
  RESPONSE_FLAGS: (e) => (e.responseFlags.length > 0 ? e.responseFlags.join(',') : '-'),
  RESPONSE_CODE_DETAILS: (e) => e.responseCodeDetails || '-',
  BYTES_RECEIVED: (e) => String(e.bytesReceived),
  BYTES_SENT: (e) => String(e.bytesSent),
  DURATION: (e) => String(Math.round(e.durationMs)),
  UPSTREAM_HOST: (e) => e.upstreamHost ?? '-',
  UPSTREAM_CLUSTER: (e) => e.upstreamCluster ?? '-',
  DOWNSTREAM_REMOTE_ADDRESS: (e) => e.downstreamRemoteAddress,
  DOWNSTREAM_LOCAL_ADDRESS: (e) => e.downstreamLocalAddress,
};

/** Compiles a text format into pieces; unknown commands are config errors, as in Envoy. */
export function compileFormat(format: string, path: FieldPath, errors: ConfigError[]): Piece[] {
  const pieces: Piece[] = [];
  const pattern = /%([A-Z_]+)(?:\(([^)]*)\))?(?::(\d+))?%|%%/g;
  let last = 0;
  for (const match of format.matchAll(pattern)) {
    const literal = format.slice(last, match.index);
    if (literal) pieces.push(() => literal);
    last = match.index + match[0].length;
    if (match[0] === '%%') {
      pieces.push(() => '%');
      continue;
    }
    const [, command, argument, maxLength] = match;
    let piece: Piece | undefined = SIMPLE[command!];
    if ((command === 'REQ' || command === 'RESP') && argument) {
      const [first, fallback] = argument.toLowerCase().split('?') as [string, string | undefined];
      piece =
        command === 'REQ'
          ? (e) => requestValue(e, first) ?? (fallback ? requestValue(e, fallback) : undefined) ?? '-'
          : (e) => getHeader(e.responseHeaders, first) ?? (fallback ? getHeader(e.responseHeaders, fallback) : undefined) ?? '-';
    }
    if (!piece) {
      errors.push({ path, message: `access log command %${command}% is not supported` });
      continue;
    }
    if (maxLength) {
      const inner = piece;
      const max = Number(maxLength);
      piece = (e) => inner(e).slice(0, max);
    }
    pieces.push(piece);
  }
  const tail = format.slice(last);
  if (tail) pieces.push(() => tail);
  return pieces;
}

function formatOf(format: SubstitutionFormatString__Output | null | undefined, path: FieldPath, errors: ConfigError[]): string {
  if (!format) return DEFAULT_FORMAT;
  checkSupported('envoy.config.core.v3.SubstitutionFormatString', format, ['text_format', 'text_format_source'], path, errors);
  if (format.format === 'text_format') return format.text_format ?? DEFAULT_FORMAT;
  if (format.format === 'text_format_source' && format.text_format_source?.specifier === 'inline_string') {
    return format.text_format_source.inline_string ?? DEFAULT_FORMAT;
  }
  errors.push({ path, message: 'only text_format or text_format_source.inline_string log formats are supported' });
  return DEFAULT_FORMAT;
}

const files = new Map<string, WriteStream>();

/** One append stream per path, shared by every logger writing there. */
function fileSink(path: string): (line: string) => void {
  let stream = files.get(path);
  if (!stream) {
    stream = createWriteStream(path, { flags: 'a' });
    stream.on('error', (err) => process.stderr.write(`skein: access log ${path}: ${err.message}\n`));
    files.set(path, stream);
  }
  const target = stream;
  return (line) => target.write(line);
}

/** Compiles an HCM `access_log` list into loggers, recording errors with their paths. */
export function compileAccessLogs(logs: readonly AccessLog__Output[], path: FieldPath, errors: ConfigError[]): AccessLogger[] {
  const loggers: AccessLogger[] = [];
  logs.forEach((log, i) => {
    const logPath = [...path, i];
    checkSupported('envoy.config.accesslog.v3.AccessLog', log, ['name', 'typed_config'], logPath, errors);
    const typed = unpackTypedConfig<unknown>(log.typed_config, [...logPath, 'typed_config'], errors);
    if (!typed) return;
    let sink: ((line: string) => void) | undefined;
    let format: SubstitutionFormatString__Output | null | undefined;
    const configPath = [...logPath, 'typed_config'];
    switch (typed.typeName) {
      case 'envoy.extensions.access_loggers.stream.v3.StdoutAccessLog':
      case 'envoy.extensions.access_loggers.stream.v3.StderrAccessLog': {
        const config = typed.config as StdoutAccessLog__Output;
        checkSupported(typed.typeName, config, ['log_format'], configPath, errors);
        format = config.log_format;
        const out = typed.typeName.endsWith('StdoutAccessLog') ? process.stdout : process.stderr;
        sink = (line) => out.write(line);
        break;
      }
      case 'envoy.extensions.access_loggers.file.v3.FileAccessLog': {
        const config = typed.config as FileAccessLog__Output;
        checkSupported(typed.typeName, config, ['path', 'log_format'], configPath, errors);
        if (!config.path) errors.push({ path: [...configPath, 'path'], message: 'path is required' });
        format = config.log_format;
        sink = fileSink(config.path);
        break;
      }
      default:
        errors.push({ path: configPath, message: `access logger ${typed.typeName} is not supported by Skein` });
        return;
    }
    const pieces = compileFormat(formatOf(format, [...configPath, 'log_format'], errors), [...configPath, 'log_format'], errors);
    const write = sink;
    loggers.push((exchange) => {
      let line = '';
      for (const piece of pieces) line += piece(exchange);
      write(line);
    });
  });
  return loggers;
}
