/**
 * Envoy's response flags (`%RESPONSE_FLAGS%`) and the local replies that go with them.
 * Names are Envoy's, verbatim, because users read Envoy's docs to understand them:
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#config-access-log-format-response-flags
 */
export const ResponseFlag = {
  NoRouteFound: 'NR',
  NoClusterFound: 'NC',
  NoHealthyUpstream: 'UH',
  UpstreamConnectionFailure: 'UF',
  UpstreamConnectionTermination: 'UC',
  UpstreamRequestTimeout: 'UT',
  UpstreamOverflow: 'UO',
  UpstreamRetryLimitExceeded: 'URX',
  UpstreamProtocolError: 'UPE',
  DownstreamConnectionTermination: 'DC',
  DownstreamProtocolError: 'DPE',
  LocalReset: 'LR',
  StreamIdleTimeout: 'SI',
  DurationTimeout: 'DT',
  RateLimited: 'RL',
  FaultInjected: 'FI',
  DelayInjected: 'DI',
} as const;

export type ResponseFlag = (typeof ResponseFlag)[keyof typeof ResponseFlag];

/** Envoy's local reply bodies for upstream failures (router.cc), kept verbatim. */
export const UPSTREAM_RESET_BODY = {
  connectFailure:
    'upstream connect error or disconnect/reset before headers. reset reason: connection failure',
  connectionTermination:
    'upstream connect error or disconnect/reset before headers. reset reason: connection termination',
  protocolError: 'upstream connect error or disconnect/reset before headers. reset reason: protocol error',
  overflow: 'upstream connect error or disconnect/reset before headers. reset reason: overflow',
  noHealthyUpstream: 'no healthy upstream',
  timeout: 'upstream request timeout',
} as const;

const REASONS: Record<number, string> = {
  100: 'Continue',
  101: 'Switching Protocols',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  421: 'Misdirected Request',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? 'Unknown';
}
