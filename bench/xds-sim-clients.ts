/**
 * Child process of the control-plane benchmark: simulated sidecars, each its own gRPC channel
 * (HTTP/2 connection) and ADS stream, SotW or delta, driven by `SimEnvoy` (xds-sim-envoy.ts):
 * Envoy's subscription order, names derived from the clusters and listeners received, every
 * response ACKed at once. Nothing is applied beyond that: no listener binds, no connection to
 * an endpoint is made.
 *
 * Control, one JSON object per line:
 *   stdin  {"cmd":"init","port":N,"protocol":"sotw"|"delta","proxies":[SimProxySpec…]}
 *          {"cmd":"go"}      open every stream at once (a control-plane restart's thundering herd)
 *          {"cmd":"mark"}    start a measurement window: zero the byte and response counters
 *          {"cmd":"report"}  counters of the window, CPU and memory of this process
 *          {"cmd":"exit"}
 *   stdout {"event":"loaded"} {"event":"ready"} {"event":"marked","cpuMicros":N} {"event":"report",…}
 * The process exits when its stdin closes, so it never outlives the benchmark.
 * Usage: node dist/bench/xds-sim-clients.js
 */
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { adsServiceDefinition } from '../src/xds/ads-service.js';
import { lookupMessage } from '../src/xds/protos.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from '../src/xds/type-urls.js';
import type { SimProxySpec } from './cp-mesh.js';
import { type RawResponse, ResourceDigests, SimEnvoy, type SimNode } from './xds-sim-envoy.js';

const TYPE_KEYS: Record<string, 'cds' | 'eds' | 'lds' | 'rds'> = {
  [CLUSTER_TYPE_URL]: 'cds',
  [ENDPOINT_TYPE_URL]: 'eds',
  [LISTENER_TYPE_URL]: 'lds',
  [ROUTE_TYPE_URL]: 'rds',
};

/** The answer to `report` (imported by the benchmark as a type only: importing this module runs it). */
export interface ClientReport {
  event: 'report';
  /** gRPC message bytes received per proxy in the window, in proxy order. */
  bytes: number[];
  /** Totals of the window by type. */
  byType: { cds: number; eds: number; lds: number; rds: number };
  responses: number;
  streamErrors: number;
  synced: number;
  /** Cluster and listener resources decoded (not served from the by-bytes cache) since start. */
  decoded: number;
  /** process.cpuUsage() of this process, microseconds, since it started. */
  cpuMicros: number;
  rss: number;
}

interface Received {
  readonly size: number;
  readonly message: RawResponse;
}

type AdsCall = grpc.ClientDuplexStream<object, Received>;
type AdsClient = grpc.Client & Record<'StreamAggregatedResources' | 'DeltaAggregatedResources', () => AdsCall>;

/** The ADS definition with responses decoded lazily as raw protobufjs messages, tagged with their size. */
function clientConstructor(): new (address: string, credentials: grpc.ChannelCredentials, options: object) => AdsClient {
  const definition: Record<string, grpc.MethodDefinition<object, Received>> = {};
  for (const [name, method] of Object.entries(adsServiceDefinition() as unknown as Record<string, grpc.MethodDefinition<object, object>>)) {
    const type = lookupMessage(
      name === 'DeltaAggregatedResources'
        ? 'envoy.service.discovery.v3.DeltaDiscoveryResponse'
        : 'envoy.service.discovery.v3.DiscoveryResponse',
    )!;
    definition[name] = {
      ...method,
      responseDeserialize: (bytes: Buffer) => ({ size: bytes.length, message: type.decode(bytes) as unknown as RawResponse }),
    };
  }
  return grpc.makeGenericClientConstructor(definition, 'AggregatedDiscoveryService') as unknown as new (
    address: string,
    credentials: grpc.ChannelCredentials,
    options: object,
  ) => AdsClient;
}

/** JSON → google.protobuf.Struct in protobufjs's input form. */
function toStruct(json: Readonly<Record<string, unknown>>): object {
  const fields: Record<string, object> = {};
  for (const [key, value] of Object.entries(json)) {
    if (typeof value === 'string') fields[key] = { stringValue: value };
    else if (value && typeof value === 'object') fields[key] = { structValue: toStruct(value as Record<string, unknown>) };
  }
  return { fields };
}

interface Sim {
  readonly envoy: SimEnvoy;
  bytes: number;
}

function cpuMicros(): number {
  const cpu = process.cpuUsage();
  return cpu.user + cpu.system;
}

function send(event: object): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function main(): void {
  const digests = new ResourceDigests();
  const sims: Sim[] = [];
  const clients: AdsClient[] = [];
  const byType = { cds: 0, eds: 0, lds: 0, rds: 0 };
  let responses = 0;
  let streamErrors = 0;
  let readyAnnounced = false;
  let init: { port: number; protocol: 'sotw' | 'delta'; proxies: SimProxySpec[] } | undefined;

  const checkReady = () => {
    if (readyAnnounced || !sims.every((s) => s.envoy.synced)) return;
    readyAnnounced = true;
    send({ event: 'ready' });
  };

  const open = () => {
    const { port, protocol, proxies } = init!;
    const Client = clientConstructor();
    for (const spec of proxies) {
      const node: SimNode = { id: spec.id, cluster: spec.cluster, metadata: toStruct(spec.metadata), user_agent_name: 'envoy' };
      const sim: Sim = { envoy: new SimEnvoy(protocol, node, digests), bytes: 0 };
      sims.push(sim);
      // A local subchannel pool gives every proxy its own HTTP/2 connection, as real sidecars have;
      // Envoy has no 4 MiB receive cap, so neither do they.
      const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
        'grpc.use_local_subchannel_pool': 1,
        'grpc.max_receive_message_length': -1,
      });
      clients.push(client);
      const call = client[protocol === 'delta' ? 'DeltaAggregatedResources' : 'StreamAggregatedResources']();
      call.on('data', ({ size, message }: Received) => {
        sim.bytes += size;
        responses++;
        const key = TYPE_KEYS[message.type_url];
        if (key) byType[key] += size;
        const wasSynced = sim.envoy.synced;
        for (const request of sim.envoy.onResponse(message)) call.write(request);
        if (!wasSynced && sim.envoy.synced) checkReady();
      });
      call.on('error', (err: Error) => {
        streamErrors++;
        process.stderr.write(`sim proxy ${spec.id}: ${err.message}\n`);
      });
      for (const request of sim.envoy.start()) call.write(request);
    }
  };

  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const command = JSON.parse(line) as { cmd: string } & Partial<NonNullable<typeof init>>;
    switch (command.cmd) {
      case 'init':
        init = { port: command.port!, protocol: command.protocol!, proxies: command.proxies! };
        // Load the Envoy protos now, so `go` measures the streams and not this process's start.
        lookupMessage(CLUSTER_TYPE_URL);
        send({ event: 'loaded' });
        break;
      case 'go':
        open();
        break;
      case 'mark':
        for (const sim of sims) sim.bytes = 0;
        byType.cds = byType.eds = byType.lds = byType.rds = 0;
        responses = 0;
        send({ event: 'marked', cpuMicros: cpuMicros() });
        break;
      case 'report': {
        const report: ClientReport = {
          event: 'report',
          bytes: sims.map((s) => s.bytes),
          byType: { ...byType },
          responses,
          streamErrors,
          synced: sims.filter((s) => s.envoy.synced).length,
          decoded: digests.decoded,
          cpuMicros: cpuMicros(),
          rss: process.memoryUsage().rss,
        };
        send(report);
        break;
      }
      case 'exit':
        for (const client of clients) client.close();
        process.exit(0);
    }
  });
  lines.on('close', () => process.exit(0));
}

main();
