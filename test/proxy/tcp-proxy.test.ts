/** The L4 proxy over real sockets: bytes both ways, half-close end to end, failures, counters. */
import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { admin, type RunningProxy, startProxy, staticCluster } from '../support/proxy-harness.js';

const TCP = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

/** Echoes bytes; when the client half-closes, answers "bye" and closes its side too. */
async function startEchoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('data', (d) => socket.write(d));
    socket.on('end', () => socket.end('bye'));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

function exchange(port: number, send: string): Promise<{ received: string; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let received = '';
    let ended = false;
    socket.on('connect', () => {
      socket.write(send);
      setTimeout(() => socket.end(), 50); // half-close after the echo had time to come back
    });
    socket.on('data', (d) => {
      received += d.toString();
    });
    socket.on('end', () => {
      ended = true;
    });
    socket.on('close', () => resolve({ received, ended }));
    socket.on('error', reject);
    setTimeout(() => socket.destroy(), 3000);
  });
}

describe('TCP proxy', () => {
  let proxy: RunningProxy;
  let echo: { server: Server; port: number };

  before(async () => {
    echo = await startEchoServer();
    const listener = (name: string, config: Record<string, unknown>) => ({
      name,
      address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
      filter_chains: [
        { filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP, ...config } }] },
      ],
    });
    proxy = await startProxy(
      JSON.stringify({
        static_resources: {
          listeners: [
            listener('main', { stat_prefix: 'echo', cluster: 'echo' }),
            listener('dead', { stat_prefix: 'dead', cluster: 'empty' }),
          ],
          clusters: [staticCluster('echo', [echo.port]), staticCluster('empty', [])],
        },
      }),
    );
  });

  after(async () => {
    await proxy.close();
    echo.server.close();
  });

  it('pipes bytes both ways and carries half-close end to end', async () => {
    const { received, ended } = await exchange(proxy.port(), 'hello through skein');
    assert.equal(received, 'hello through skeinbye', 'the upstream saw our FIN and could still answer');
    assert.ok(ended, 'the upstream FIN reached the client');
  });

  it('closes the client when there is no healthy upstream', async () => {
    const { received } = await exchange(proxy.port('dead'), 'anyone?');
    assert.equal(received, '');
  });

  it('counts connections and bytes with Envoy names', async () => {
    await exchange(proxy.port(), '12345');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stats = (await admin(proxy.adminPort, '/stats')).body;
    assert.match(stats, /^tcp\.echo\.downstream_cx_total: [2-9]$/m);
    assert.match(stats, /^cluster\.echo\.upstream_cx_tx_bytes_total: [1-9]\d*$/m);
    assert.match(stats, /^tcp\.echo\.downstream_cx_rx_bytes_total: [1-9]\d*$/m);
  });
});
