/** Shared by this folder's tests: a filter from Envoy JSON, and a stream that records what filters do to it. */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { decodeProtoJson } from '../../../xds/proto-json.js';
import type { ConfigError } from '../../config/config-error.js';
import type { BodySink, HttpFilter, HttpStream, ResponseHead } from '../../http/http-filter.js';
import type { ResponseFlag } from '../../http/response-flags.js';
import type { RouteDecision, RouteTable } from '../../router/route-table.js';
import { compileTable, singleHost } from '../../router/test-support.js';
import { StatsStore } from '../../stats/stats.js';
import { registerBuiltinFilters } from '../builtin.js';
import type { FilterContext, HttpFilterFactory } from '../registry.js';

export interface LocalReply {
  readonly status: number;
  readonly body: string;
  readonly flag: ResponseFlag | undefined;
  readonly details: string;
  readonly headers: string[];
}

/** A route table with one catch-all virtual host (compiled with every built-in filter registered). */
export function routeTable(routes: unknown[], hostExtra: object = {}, tableExtra: object = {}): RouteTable {
  registerBuiltinFilters();
  return compileTable({ ...(singleHost(routes, hostExtra) as object), ...tableExtra });
}

/** A stream on `table`, with the request fields tests set; responses are recorded, not sent. */
export class TestStream {
  method = 'GET';
  path = '/';
  authority = 'example.com';
  readonly scheme = 'http' as const;
  headers: string[] = [];
  readonly versionMinor = 1 as const;
  readonly requestContentLength = 0;
  readonly downstreamSocket: Socket;
  readonly downstreamRemoteAddress = '10.0.0.1';
  readonly sourceAddress = '10.0.0.1';
  readonly downstreamRemotePort = 5555;
  readonly downstreamLocalAddress = '10.0.0.2';
  readonly downstreamLocalPort = 8080;
  readonly startTime = Date.now();
  readonly routeTable: RouteTable;
  readonly responseFlags: ResponseFlag[] = [];
  responseCodeDetails = '';
  upstreamHost: string | undefined;
  upstreamCluster: string | undefined;
  responseStarted = false;
  /** Filters whose encodeHeaders a local reply passes through. */
  encoders: HttpFilter[] = [];
  localReply: LocalReply | undefined;
  continued = 0;

  constructor(table: RouteTable, fields: Partial<Pick<TestStream, 'method' | 'path' | 'headers'>> = {}, socket: object = {}) {
    this.routeTable = table;
    this.downstreamSocket = socket as Socket;
    Object.assign(this, fields);
  }

  get http(): HttpStream {
    return this as unknown as HttpStream;
  }

  route(): RouteDecision | undefined {
    return this.routeTable.route(this);
  }
  clearRouteCache(): void {}
  addResponseFlag(flag: ResponseFlag): void {
    if (!this.responseFlags.includes(flag)) this.responseFlags.push(flag);
  }
  setIdleTimeout(): void {}
  continueDecoding(): void {
    this.continued++;
  }
  attachBodySink(_sink: BodySink): void {}
  pauseRequestBody(): void {}
  resumeRequestBody(): void {}

  /** Runs the encoders over a response head, as the connection manager does, and returns it. */
  encode(head: ResponseHead): ResponseHead {
    for (let i = this.encoders.length - 1; i >= 0; i--) this.encoders[i]!.encodeHeaders?.(this.http, head);
    return head;
  }
  sendResponseHeaders(head: ResponseHead): void {
    this.encode(head);
    this.responseStarted = true;
  }
  sendResponseData(): boolean {
    return true;
  }
  sendResponseEnd(): void {}
  flushResponse(): void {}
  onResponseDrain(): void {}
  sendLocalReply(status: number, body: string, flag: ResponseFlag | undefined, details: string, headers: string[] = []): void {
    assert.equal(this.localReply, undefined, 'a second local reply');
    if (flag) this.addResponseFlag(flag);
    this.responseCodeDetails = details;
    const head = this.encode({ status, headers: [...headers], contentLength: body.length });
    this.localReply = { status, body, flag, details, headers: head.headers };
  }
  reset(): void {}
}

/** Decodes `json` as `factory`'s config and creates the filter, failing the test on config errors. */
export function filterMaker(
  factory: HttpFilterFactory,
  json: unknown,
  name: string,
  stats = new StatsStore().root(),
): () => HttpFilter {
  const errors: ConfigError[] = [];
  const make = createFilter(factory, json, name, errors, stats);
  assert.deepEqual(errors, []);
  assert.ok(make);
  return make;
}

/** The errors `json` gets as `factory`'s config. */
export function filterErrors(factory: HttpFilterFactory, json: unknown): ConfigError[] {
  const errors: ConfigError[] = [];
  createFilter(factory, json, 'f', errors, new StatsStore().root());
  return errors;
}

function createFilter(
  factory: HttpFilterFactory,
  json: unknown,
  name: string,
  errors: ConfigError[],
  stats: FilterContext['stats'],
): (() => HttpFilter) | undefined {
  const decoded = decodeProtoJson<unknown>(factory.typeName, json);
  if (!decoded.ok) {
    errors.push(...decoded.errors);
    return undefined;
  }
  const context = { stats, listenerName: 'test', bufferLimitBytes: 1 << 20, log: () => {} } as unknown as FilterContext;
  return factory.create(decoded.value, [], errors, context, { name, statPrefix: 'test' });
}

/** A value in [0, 1) from a fixed sequence, for deterministic percentages. */
export function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}
