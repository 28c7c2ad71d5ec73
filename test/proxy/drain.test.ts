/**
 * Config changes and shutdown under load drop nothing: a listener update swaps config for new
 * connections while old ones drain, and SIGTERM finishes in-flight requests with
 * `connection: close` and exits.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Listener__Output } from '../../src/xds/generated/envoy/config/listener/v3/Listener.js';
import { decodeProtoJson } from '../../src/xds/proto-json.js';
import { runLoad } from '../support/load-client.js';
import {
  freePort,
  hcm,
  httpBootstrap,
  parseRawResponse,
  rawExchange,
  routes,
  startProxy,
  startUpstream,
  staticCluster,
} from '../support/proxy-harness.js';
import { tempDir } from '../support/temp-dir.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('drain', () => {
  it('updates a listener under load without a failed request', async () => {
    const upstream = await startUpstream('web', (_req, res) => setTimeout(() => res.end('from-upstream'), 5));
    const v1 = routes({ match: { prefix: '/' }, route: { cluster: 'web' } });
    const proxy = await startProxy(httpBootstrap(v1, [staticCluster('web', [upstream.port])]));
    const port = proxy.port();
    const load = runLoad({ port, concurrency: 8 });
    await sleep(400);
    const listener = decodeProtoJson<Listener__Output>('envoy.config.listener.v3.Listener', {
      name: 'main',
      address: { socket_address: { address: '127.0.0.1', port_value: port } },
      filter_chains: [
        {
          filters: [
            {
              name: 'hcm',
              typed_config: hcm(
                routes({
                  match: { prefix: '/' },
                  direct_response: { status: 200, body: { inline_string: 'v2' } },
                }),
              ),
            },
          ],
        },
      ],
    });
    assert.ok(listener.ok);
    const applied = await proxy.server.listenerManager.addOrUpdate(listener.value);
    assert.ok(applied.ok, JSON.stringify(!applied.ok && applied.errors));
    await sleep(600);
    const result = await load.stop();
    await proxy.close();
    await upstream.close();
    assert.equal(result.failed, 0, result.errors.slice(0, 5).join('\n'));
    assert.ok((result.bodies.get('from-upstream') ?? 0) > 0, 'served by the old config before the update');
    assert.ok((result.bodies.get('v2') ?? 0) > 0, 'served by the new config after the update');
  });

  it('removes a listener: stops accepting, lets the request in flight finish with connection: close', async () => {
    const upstream = await startUpstream('slow', (_req, res) => setTimeout(() => res.end('finished'), 300));
    const proxy = await startProxy(httpBootstrap(routes({ match: { prefix: '/' }, route: { cluster: 'slow' } }), [staticCluster('slow', [upstream.port])]));
    const port = proxy.port();
    const inFlight = rawExchange(port, 'GET /slow HTTP/1.1\r\nhost: a\r\n\r\n', 2000);
    await sleep(100);
    assert.ok(proxy.server.listenerManager.remove('main'));
    const response = parseRawResponse(await inFlight)!;
    assert.equal(response.status, 200);
    assert.equal(response.body, 'finished');
    assert.equal(response.headers.connection, 'close', 'a draining connection is closed after its response');
    await assert.rejects(rawExchange(port, 'GET / HTTP/1.1\r\nhost: a\r\n\r\n', 300), /ECONNREFUSED/);
    await proxy.close();
    await upstream.close();
  });

  it('drains on SIGTERM: in-flight requests complete, nothing fails, the process exits', async () => {
    const upstream = await startUpstream('web', (_req, res) => setTimeout(() => res.end('ok'), 20));
    const port = await freePort();
    const dir = tempDir('skein-drain-');
    const file = path.join(dir, 'bootstrap.json');
    const bootstrap = JSON.parse(
      httpBootstrap(routes({ match: { prefix: '/' }, route: { cluster: 'web' } }), [
        staticCluster('web', [upstream.port]),
      ]),
    );
    bootstrap.static_resources.listeners[0].address.socket_address.port_value = port;
    bootstrap.admin = { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } };
    writeFileSync(file, JSON.stringify(bootstrap));
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'bin/skein.js'), 'proxy', '--config', file, '--drain-time-s', '5'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    for (let i = 0; i < 100 && !stderr.includes('LIVE'); i++) await sleep(50);
    assert.match(stderr, /LIVE/);
    const load = runLoad({ port, concurrency: 8, stopOnRefused: true });
    await sleep(500);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const code = await exited;
    const result = await load.stop();
    await upstream.close();
    assert.equal(code, 0, stderr);
    assert.equal(result.failed, 0, result.errors.slice(0, 5).join('\n'));
    assert.ok(result.ok > 20, `only ${result.ok} requests completed`);
  });
});
