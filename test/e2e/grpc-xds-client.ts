/**
 * The proxyless gRPC client of the interop test, run as its own process because grpc-js-xds
 * reads its bootstrap from GRPC_XDS_BOOTSTRAP (process-wide). argv[2] is JSON
 * `{ target, scenarios: [{ name, calls, metadata }] }`; it prints one JSON line
 * `{ "<scenario>": { "versions": { "v1": n, ... }, "errors": [...] } }` and exits.
 */
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { loadEchoService } from './echo-service.js';

interface Scenario {
  readonly name: string;
  readonly calls: number;
  readonly metadata: Readonly<Record<string, string>>;
}

interface Outcome {
  readonly versions: Record<string, number>;
  readonly errors: string[];
}

grpcXds.register();

const { target, scenarios } = JSON.parse(process.argv[2] ?? '{}') as { target: string; scenarios: readonly Scenario[] };
const { Client } = loadEchoService();
const client = new Client(target, grpc.credentials.createInsecure());

function call(metadata: Readonly<Record<string, string>>): Promise<string> {
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(metadata)) md.set(key, value);
  return new Promise((resolve, reject) => {
    client.echo({ message: 'hello' }, md, { deadline: Date.now() + 5000 }, (error, reply) =>
      error ? reject(error) : resolve(reply?.version ?? ''),
    );
  });
}

const results: Record<string, Outcome> = {};
for (const scenario of scenarios) {
  const outcome: Outcome = { versions: {}, errors: [] };
  for (let i = 0; i < scenario.calls; i++) {
    try {
      const version = await call(scenario.metadata);
      outcome.versions[version] = (outcome.versions[version] ?? 0) + 1;
    } catch (error) {
      outcome.errors.push((error as Error).message);
      if (outcome.errors.length >= 3) break;
    }
  }
  results[scenario.name] = outcome;
}
client.close();
process.stdout.write(`${JSON.stringify(results)}\n`);
process.exit(0);
