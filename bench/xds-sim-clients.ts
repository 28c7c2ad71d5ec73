/**
 * Child process of bench/control-plane.ts: N simulated proxies, each its own gRPC connection
 * and ADS stream (SotW or delta), subscribing the way Envoy does (CDS and LDS wildcard, then
 * EDS and RDS by name) and ACKing every response at once. It counts the bytes each proxy
 * receives and when it sent its last ACK, and answers the parent on stdin/stdout:
 *   → "mark"   start a measurement window (reset bytes and ACK times)
 *   → "report" print {"acks":[wall ms per proxy],"bytes":[per proxy],"responses":n}
 * It prints "ready" once every proxy has ACKed its first CDS, EDS, LDS and RDS responses.
 * Usage: node dist/bench/xds-sim-clients.js PORT COUNT sotw|delta NAMES_JSON_FILE
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { adsServiceDefinition } from '../src/xds/ads-service.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from '../src/xds/type-urls.js';

const [portArg, countArg, protocol, namesFile] = process.argv.slice(2);
const { clusters, routes } = JSON.parse(readFileSync(namesFile!, 'utf8')) as { clusters: string[]; routes: string[] };
const wallNow = () => performance.timeOrigin + performance.now();

interface SimProxy {
  bytes: number;
  lastAck: number;
  initial: Set<string>;
}

type Duplex = grpc.ClientDuplexStream<object, { type_url: string; nonce: string; version_info?: string }>;

function clientFor(proxy: SimProxy): grpc.Client & Record<string, () => Duplex> {
  // A definition per proxy so the response deserializer can count that proxy's bytes.
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const [name, method] of Object.entries(adsServiceDefinition() as unknown as Record<string, grpc.MethodDefinition<object, object>>)) {
    definition[name] = {
      ...method,
      responseDeserialize: (bytes: Buffer) => {
        proxy.bytes += bytes.length;
        return method.responseDeserialize(bytes);
      },
    };
  }
  const Client = grpc.makeGenericClientConstructor(definition, 'AggregatedDiscoveryService');
  // A local subchannel pool gives every simulated proxy its own HTTP/2 connection, as real proxies have.
  return new Client(`127.0.0.1:${portArg}`, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
  }) as unknown as grpc.Client & Record<string, () => Duplex>;
}

const proxies: SimProxy[] = [];
let ready = 0;

function start(index: number): void {
  const proxy: SimProxy = { bytes: 0, lastAck: 0, initial: new Set() };
  proxies.push(proxy);
  const node = { id: `sidecar~10.9.${index >> 8}.${index & 255}~bench-${index}.bench~bench.svc.cluster.local`, cluster: 'bench' };
  const delta = protocol === 'delta';
  const call = clientFor(proxy)[delta ? 'DeltaAggregatedResources' : 'StreamAggregatedResources']!();
  const namesOf: Record<string, string[]> = { [CLUSTER_TYPE_URL]: [], [LISTENER_TYPE_URL]: [] };
  const request = (typeUrl: string, names: string[], nonce = '', version = '') =>
    delta
      ? { type_url: typeUrl, resource_names_subscribe: nonce ? [] : names, response_nonce: nonce }
      : { type_url: typeUrl, resource_names: names, response_nonce: nonce, version_info: version };
  call.on('data', (response) => {
    call.write(request(response.type_url, namesOf[response.type_url] ?? [], response.nonce, response.version_info));
    proxy.lastAck = wallNow();
    if (proxy.initial.has(response.type_url)) return;
    proxy.initial.add(response.type_url);
    if (response.type_url === CLUSTER_TYPE_URL) {
      namesOf[ENDPOINT_TYPE_URL] = clusters;
      call.write(request(ENDPOINT_TYPE_URL, clusters));
    } else if (response.type_url === LISTENER_TYPE_URL) {
      namesOf[ROUTE_TYPE_URL] = routes;
      call.write(request(ROUTE_TYPE_URL, routes));
    }
    if (proxy.initial.size === 4 && ++ready === proxies.length && proxies.length === Number(countArg)) {
      process.stdout.write('ready\n');
    }
  });
  call.on('error', (err: Error) => {
    process.stderr.write(`sim proxy ${index}: ${err.message}\n`);
  });
  call.write({ node, ...request(CLUSTER_TYPE_URL, []) });
  call.write(request(LISTENER_TYPE_URL, []));
}

for (let i = 0; i < Number(countArg); i++) start(i);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'mark') {
    for (const proxy of proxies) {
      proxy.bytes = 0;
      proxy.lastAck = 0;
    }
    process.stdout.write('marked\n');
  } else if (line === 'report') {
    process.stdout.write(
      `${JSON.stringify({ acks: proxies.map((p) => p.lastAck), bytes: proxies.map((p) => p.bytes) })}\n`,
    );
  } else if (line === 'exit') {
    process.exit(0);
  }
});
