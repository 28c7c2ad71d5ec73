/** The Echo gRPC service of echo.proto, loaded with @grpc/proto-loader (shared by the servers and the proxyless client). */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/e2e/echo.proto in the checkout (this module runs from dist/test/e2e/). */
const PROTO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/e2e/echo.proto');

export interface EchoReply {
  readonly message: string;
  readonly version: string;
}

export type EchoClient = grpc.Client & {
  echo(
    request: { message: string },
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, reply?: EchoReply) => void,
  ): grpc.ClientUnaryCall;
};

export function loadEchoService(): { service: grpc.ServiceDefinition; Client: new (target: string, credentials: grpc.ChannelCredentials) => EchoClient } {
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, defaults: true });
  const ctor = (grpc.loadPackageDefinition(definition) as unknown as { skein: { e2e: { Echo: grpc.ServiceClientConstructor } } }).skein.e2e.Echo;
  return { service: ctor.service, Client: ctor as unknown as new (target: string, credentials: grpc.ChannelCredentials) => EchoClient };
}

/** A gRPC server on `address:0` whose Echo answers with `version`. */
export async function startEchoServer(address: string, version: string): Promise<{ port: number; served: () => number; stop(): Promise<void> }> {
  const { service } = loadEchoService();
  const server = new grpc.Server();
  let served = 0;
  server.addService(service, {
    echo: (call: grpc.ServerUnaryCall<{ message: string }, EchoReply>, callback: grpc.sendUnaryData<EchoReply>) => {
      served++;
      callback(null, { message: call.request.message, version });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${address}:0`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return {
    port,
    served: () => served,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
