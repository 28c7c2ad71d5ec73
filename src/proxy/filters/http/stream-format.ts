/** What `%COMMAND%` header values (router/header-formatter.ts) read, taken from a stream. */
import type { HttpStream } from '../../http/http-filter.js';
import type { FormatInput } from '../../router/header-formatter.js';

export function formatInput(stream: HttpStream): FormatInput {
  return {
    context: {
      downstreamRemoteAddress: `${stream.downstreamRemoteAddress}:${stream.downstreamRemotePort}`,
      downstreamLocalAddress: `${stream.downstreamLocalAddress}:${stream.downstreamLocalPort}`,
      upstreamHost: stream.upstreamHost,
      protocol: stream.versionMinor === 1 ? 'HTTP/1.1' : 'HTTP/1.0',
      requestHeaders: stream.headers,
      startTime: stream.startTime,
    },
    requestHeaders: stream.headers,
  };
}
