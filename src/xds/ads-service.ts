/**
 * The gRPC definition of `envoy.service.discovery.v3.AggregatedDiscoveryService`, built from
 * the real `ads.proto` already loaded in the shared Envoy root (protos.ts) rather than a second
 * proto-loader copy: one reflection tree in memory, and messages decode through
 * `decodeMessage` into exactly the generated `__Output` shapes the bootstrap path produces
 * (resources stay `Any`s, unpacked with `unpackAny`).
 */
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import type {
  AggregatedDiscoveryServiceClient,
  AggregatedDiscoveryServiceDefinition,
} from './generated/envoy/service/discovery/v3/AggregatedDiscoveryService.js';
import { decodeMessage, encodeMessage, envoyRoot } from './protos.js';

export const ADS_SERVICE_NAME = 'envoy.service.discovery.v3.AggregatedDiscoveryService';

let definition: AggregatedDiscoveryServiceDefinition | undefined;

function methodDefinition(method: protobuf.Method): grpc.MethodDefinition<object, object> {
  method.resolve();
  const request = method.resolvedRequestType!;
  const response = method.resolvedResponseType!;
  return {
    path: `/${ADS_SERVICE_NAME}/${method.name}`,
    requestStream: method.requestStream === true,
    responseStream: method.responseStream === true,
    requestSerialize: (value: object) => Buffer.from(encodeMessage(request, value)),
    requestDeserialize: (bytes: Buffer) => decodeMessage<object>(request, bytes),
    responseSerialize: (value: object) => Buffer.from(encodeMessage(response, value)),
    responseDeserialize: (bytes: Buffer) => decodeMessage<object>(response, bytes),
    originalName: method.name,
  };
}

/** StreamAggregatedResources and DeltaAggregatedResources, for `grpc.Server.addService` and clients. */
export function adsServiceDefinition(): AggregatedDiscoveryServiceDefinition {
  if (definition) return definition;
  const service = envoyRoot().lookupService(ADS_SERVICE_NAME);
  const methods: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) methods[method.name] = methodDefinition(method);
  definition = methods as unknown as AggregatedDiscoveryServiceDefinition;
  return definition;
}

/** A typed ADS client on `target` (a gRPC target such as `127.0.0.1:15010` or `dns:istiod:15010`). */
export function createAdsClient(
  target: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  options: grpc.ChannelOptions = {},
): AggregatedDiscoveryServiceClient {
  const Client = grpc.makeGenericClientConstructor(
    adsServiceDefinition() as unknown as grpc.ServiceDefinition,
    'AggregatedDiscoveryService',
  );
  return new Client(target, credentials, options) as unknown as AggregatedDiscoveryServiceClient;
}
