/**
 * Local replies from HTTP filters as Envoy's Utility::sendLocalReply shapes them: a gRPC request
 * (content-type application/grpc or application/grpc+...) gets a trailers-only response, HTTP
 * 200 with grpc-status and grpc-message, the status mapped from the HTTP code unless the filter
 * names one; anything else gets the HTTP status with a text/plain body.
 */
import type { HttpStream } from '../../http/http-filter.js';
import type { ResponseFlag } from '../../http/response-flags.js';
import { firstHeader } from '../../router/headers.js';

/** Grpc::Common::hasGrpcContentType. */
export function isGrpcRequest(stream: HttpStream): boolean {
  const contentType = firstHeader(stream.headers, 'content-type');
  if (contentType === undefined || !contentType.startsWith('application/grpc')) return false;
  return contentType.length === 16 || contentType[16] === '+';
}

/** Grpc::Utility::httpToGrpcStatus (the gRPC spec's HTTP to gRPC status mapping). */
export function httpToGrpcStatus(status: number): number {
  switch (status) {
    case 400:
      return 13; // INTERNAL
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14; // UNAVAILABLE
    default:
      return 2; // UNKNOWN
  }
}

/** Percent-encodes what a grpc-message may not carry (PercentEncoding::encode: '%' and non-printables). */
function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte < 0x20 || byte > 0x7e || byte === 0x25 ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return out;
}

export function sendFilterLocalReply(
  stream: HttpStream,
  status: number,
  body: string,
  flag: ResponseFlag | undefined,
  details: string,
  headers: string[] = [],
  grpcStatus?: number,
): void {
  if (!isGrpcRequest(stream)) {
    stream.sendLocalReply(status, body, flag, details, headers);
    return;
  }
  const grpc = [
    ...headers,
    'content-type',
    'application/grpc',
    'grpc-status',
    String(grpcStatus ?? httpToGrpcStatus(status)),
  ];
  if (body !== '') grpc.push('grpc-message', encodeGrpcMessage(body));
  stream.sendLocalReply(200, '', flag, details, grpc);
}
