/**
 * The request headers Bookinfo copies from an incoming request onto the calls it makes, so the
 * sidecars' spans join into one trace and header-based routes (`end-user`) keep matching.
 * Lists as in Istio's productpage.py and reviews' LibertyRestEndpoint.java; see
 * https://istio.io/latest/docs/tasks/observability/distributed-tracing/overview/#trace-context-propagation
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Trace context in every format Istio's tracers use (Envoy, Zipkin/B3, W3C, Lightstep, Datadog, SkyWalking, Cloud Trace). */
export const TRACE_HEADERS: readonly string[] = [
  'x-request-id',
  'x-ot-span-context',
  'x-datadog-trace-id',
  'x-datadog-parent-id',
  'x-datadog-sampling-priority',
  'traceparent',
  'tracestate',
  'x-cloud-trace-context',
  'grpc-trace-bin',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'b3',
  'sw8',
];

/**
 * productpage forwards these besides the trace context. It does NOT forward an incoming
 * `end-user`: it sets that header itself from the signed-in user.
 */
export const PRODUCTPAGE_EXTRA_HEADERS: readonly string[] = ['user-agent', 'cookie', 'authorization', 'jwt'];

/** reviews forwards these besides the trace context, so `end-user` routes also apply to ratings. */
export const REVIEWS_EXTRA_HEADERS: readonly string[] = ['end-user', 'user-agent'];

/** The listed headers present on `incoming`, repeated values joined as Node joins them. */
export function pickHeaders(incoming: IncomingHttpHeaders, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = incoming[name];
    if (typeof value === 'string') out[name] = value;
    else if (Array.isArray(value)) out[name] = value.join(name === 'cookie' ? '; ' : ', ');
  }
  return out;
}
