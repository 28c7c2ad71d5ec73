/** Access logs make Envoy's response flags visible: default format and text formats, to a file. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseBootstrap } from '../../src/proxy/bootstrap/load-bootstrap.js';
import { ProxyServer } from '../../src/proxy/server.js';
import { get, httpBootstrap, routes, startProxy, startUpstream, staticCluster } from '../support/proxy-harness.js';
import { tempDir } from '../support/temp-dir.js';

const FILE_LOG = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';

describe('access log', () => {
  it('writes one line per request with Envoy response flags', async () => {
    const dir = tempDir('skein-log-');
    const defaultLog = path.join(dir, 'default.log');
    const customLog = path.join(dir, 'custom.log');
    const upstream = await startUpstream('web');
    const proxy = await startProxy(
      httpBootstrap(
        routes(
          { match: { prefix: '/ok' }, route: { cluster: 'web' } },
          { match: { prefix: '/empty' }, route: { cluster: 'empty' } },
        ),
        [staticCluster('web', [upstream.port]), staticCluster('empty', [])],
        {
          access_log: [
            { name: 'envoy.access_loggers.file', typed_config: { '@type': FILE_LOG, path: defaultLog } },
            {
              name: 'envoy.access_loggers.file',
              typed_config: {
                '@type': FILE_LOG,
                path: customLog,
                log_format: { text_format_source: { inline_string: '%RESPONSE_CODE% %RESPONSE_FLAGS% %UPSTREAM_CLUSTER% %REQ(X-USER?USER-AGENT)% 100%%\n' } },
              },
            },
          ],
        },
      ),
    );
    await get(proxy.port(), '/ok', { 'user-agent': 'curl/8', 'x-request-id': 'rid-1' });
    await get(proxy.port(), '/empty', { 'x-user': 'jason' });
    await get(proxy.port(), '/nowhere');
    await proxy.close();
    await upstream.close();
    await new Promise((resolve) => setTimeout(resolve, 100));

    const lines = readFileSync(defaultLog, 'utf8').trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^\[\d{4}-\d\d-\d\dT[^\]]+\] "GET \/ok HTTP\/1\.1" 200 - 0 \d+ \d+ \d+ "-" "curl\/8" "rid-1" "example\.com" "127\.0\.0\.1:\d+"$/);
    assert.match(lines[1]!, /"GET \/empty HTTP\/1\.1" 503 UH 0 19 /);
    assert.match(lines[2]!, /"GET \/nowhere HTTP\/1\.1" 404 NR 0 0 .* "-"$/);
    assert.deepEqual(readFileSync(customLog, 'utf8').trim().split('\n'), [
      '200 - web curl/8 100%',
      '503 UH empty jason 100%',
      '404 NR - - 100%',
    ]);
  });

  it('rejects an unknown format command when the listener is applied', async () => {
    const bootstrap = httpBootstrap(routes({ match: { prefix: '/' }, direct_response: { status: 200 } }), [], {
      access_log: [{ name: 'a', typed_config: { '@type': FILE_LOG, path: '/dev/null', log_format: { text_format: '%NOT_A_COMMAND%\n' } } }],
    });
    const parsed = parseBootstrap(bootstrap);
    assert.ok(parsed.ok);
    const server = new ProxyServer({ adminPort: 0, log: () => {} });
    await assert.rejects(server.start(parsed.bootstrap), /access_log\[0\]\.typed_config\.log_format: access log command %NOT_A_COMMAND% is not supported/);
    await server.shutdown(0);
  });

  it('rejects an access logger Skein does not have, naming its path', async () => {
    const bootstrap = httpBootstrap(routes({ match: { prefix: '/' }, direct_response: { status: 200 } }), [], {
      access_log: [{ name: 'b', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StderrAccessLog', log_format: { json_format: { a: '%PROTOCOL%' } } } }],
    });
    const parsed = parseBootstrap(bootstrap);
    assert.ok(parsed.ok);
    const server = new ProxyServer({ adminPort: 0, log: () => {} });
    await assert.rejects(server.start(parsed.bootstrap), /access_log\[0\]\.typed_config\.log_format\.json_format: field 'json_format' is not supported/);
    await server.shutdown(0);
  });
});
