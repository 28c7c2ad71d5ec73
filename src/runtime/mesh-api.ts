/**
 * The running mesh's local API, mounted on the control plane's monitoring port, for
 * `skein apply | delete | get | down`. Config sent here goes through the same loader and
 * validation as files: a document with errors changes nothing and the errors come back with
 * line and field.
 */
import type http from 'node:http';
import { formatDiagnostic } from '../config/diagnostic.js';
import { parseConfig } from '../config/parse.js';
import type { MeshRunner } from './mesh-runner.js';

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export function mountMeshApi(runner: MeshRunner, onShutdown: () => void): void {
  const server = runner.control.debugServer;
  if (!server) throw new Error('the control plane is not listening');

  server.route('GET', '/apis/v1/workloads', (_req, res) => {
    json(res, 200, runner.runners.map(({ state }) => ({
      name: state.spec.name,
      namespace: state.spec.namespace,
      kind: state.spec.kind,
      address: state.address,
      labels: state.spec.labels,
      phase: state.phase,
      restarts: state.restarts,
    })));
  });

  server.route('GET', '/apis/v1/services', (_req, res) => {
    const registry = runner.control.registry;
    json(res, 200, registry.services().map((service) => ({
      hostname: service.hostname,
      namespace: service.namespace,
      ports: service.ports.map((p) => `${p.port}/${p.protocol}`),
      endpoints: registry.endpoints(service).map((e) => `${e.address}:${e.port}`),
    })));
  });

  server.route('GET', '/apis/v1/config', (_req, res) => {
    json(res, 200, runner.store.snapshot().all().map((r) => ({ kind: r.kind, namespace: r.namespace, name: r.name, source: r.source })));
  });

  const change = (mode: 'apply' | 'delete') => (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    readBody(req).then(
      (text) => {
        const file = url.searchParams.get('file') ?? '<stdin>';
        const parsed = parseConfig(text, file);
        const errors = parsed.diagnostics.filter((d) => d.level === 'error');
        if (errors.length > 0) {
          json(res, 400, { errors: errors.map(formatDiagnostic) });
          return;
        }
        const resources = parsed.resources;
        if (mode === 'apply') runner.store.apply(resources.map((r) => r.resource));
        else for (const r of resources) runner.store.delete(r.type, r.resource.namespace, r.resource.name);
        json(res, 200, {
          [mode === 'apply' ? 'applied' : 'deleted']: resources.map((r) => `${r.resource.kind} ${r.resource.namespace}/${r.resource.name}`),
          warnings: parsed.diagnostics.filter((d) => d.level === 'warning').map(formatDiagnostic),
        });
      },
      (err: Error) => json(res, 413, { errors: [err.message] }),
    );
  };
  server.route('POST', '/apis/v1/apply', change('apply'));
  server.route('POST', '/apis/v1/delete', change('delete'));

  server.route('POST', '/apis/v1/shutdown', (_req, res) => {
    json(res, 202, { status: 'shutting down' });
    onShutdown();
  });
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`config larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body, null, 2)}\n`);
}
