/**
 * The HTTP/1.1 framing corpus (hardening.md §3.1) sent through the whole proxy over real
 * sockets, and replayed against nginx as a reverse proxy in front of the same upstream.
 *
 * For every case Skein must answer as specified and never let a second, smuggled request
 * reach the upstream; the proxy must keep serving afterwards. nginx's answers are compared
 * and every difference must be listed in NGINX_DIFFERENCES with the reason: a new,
 * unexplained difference fails the test.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  freePort,
  get,
  httpBootstrap,
  type RunningProxy,
  rawExchange,
  routes,
  startProxy,
  staticCluster,
} from '../support/proxy-harness.js';
import { tempDir } from '../support/temp-dir.js';

interface Case {
  readonly name: string;
  readonly request: string;
  /** Skein's status; 0 means "connection closed without a response". */
  readonly status: number;
}

const H = 'host: corpus.test\r\n';
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nhost: corpus.test\r\n\r\n';

/** Variants per class of hardening.md §3.1. Each ends with a would-be smuggled request. */
const CORPUS: Case[] = [
  // Content-Length + Transfer-Encoding
  {
    name: 'CL+TE',
    request: `POST / HTTP/1.1\r\n${H}content-length: 6\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  {
    name: 'TE+CL',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  // Content-Length syntax
  {
    name: 'duplicate CL differing',
    request: `POST / HTTP/1.1\r\n${H}content-length: 1\r\ncontent-length: 0\r\n\r\nA${SMUGGLED}`,
    status: 400,
  },
  {
    name: 'CL plus sign',
    request: `POST / HTTP/1.1\r\n${H}content-length: +1\r\n\r\nA${SMUGGLED}`,
    status: 400,
  },
  {
    name: 'CL negative',
    request: `POST / HTTP/1.1\r\n${H}content-length: -1\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  { name: 'CL hex', request: `POST / HTTP/1.1\r\n${H}content-length: 0x10\r\n\r\n${SMUGGLED}`, status: 400 },
  {
    name: 'CL trailing garbage',
    request: `POST / HTTP/1.1\r\n${H}content-length: 1Z\r\n\r\nA${SMUGGLED}`,
    status: 400,
  },
  { name: 'CL empty', request: `POST / HTTP/1.1\r\n${H}content-length: \r\n\r\n${SMUGGLED}`, status: 400 },
  {
    name: 'CL underscore',
    request: `POST / HTTP/1.1\r\n${H}content-length: 1_0\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  {
    name: 'CL huge',
    request: `POST / HTTP/1.1\r\n${H}content-length: 99999999999999999999\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  // Transfer-Encoding syntax
  {
    name: 'TE leading comma',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding: ,chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  {
    name: 'TE chunked then identity',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  {
    // chunked is not the final coding: RFC 9112 §6.3 requires 400 and a close.
    name: 'TE xchunked',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  {
    name: 'TE gzip, chunked',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    status: 501,
  },
  {
    name: 'TE twice',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  {
    name: 'TE space before colon',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding : chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  {
    name: 'TE tab in value start',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding:\tchunked\r\n\r\n0\r\n\r\n`,
    status: 200,
  },
  {
    name: 'TE vertical tab',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding: \x0bchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  {
    name: 'TE in HTTP/1.0',
    request: `POST / HTTP/1.0\r\n${H}transfer-encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  // Host
  {
    name: 'two Host headers',
    request: `GET / HTTP/1.1\r\n${H}host: evil.test\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  { name: 'missing Host', request: `GET / HTTP/1.1\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'NUL in Host', request: `GET / HTTP/1.1\r\nhost: a.com\x00.evil\r\n\r\n${SMUGGLED}`, status: 400 },
  // Line structure
  { name: 'obs-fold', request: `GET / HTTP/1.1\r\n${H}x-a: b\r\n c\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'bare CR in header', request: `GET / HTTP/1.1\r\n${H}x-a: b\rc\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'bare LF line endings', request: `GET / HTTP/1.1\n${H}\n${SMUGGLED}`, status: 400 },
  {
    name: 'CR ends header block',
    request: `GET / HTTP/1.1\r\n${H}\r\rGET /smuggled HTTP/1.1\r\n${H}\r\n`,
    status: 400,
  },
  { name: 'LF in value', request: `GET / HTTP/1.1\r\n${H}x-a: b\nc: d\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'empty header name', request: `GET / HTTP/1.1\r\n${H}: empty\r\n\r\n${SMUGGLED}`, status: 400 },
  {
    name: 'header line without colon',
    request: `GET / HTTP/1.1\r\n${H}nocolon\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  { name: 'non-token name byte', request: `GET / HTTP/1.1\r\n${H}x\x85y: z\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'space in header name', request: `GET / HTTP/1.1\r\n${H}x y: z\r\n\r\n${SMUGGLED}`, status: 400 },
  // Request line
  { name: 'lower-case method', request: `get / HTTP/1.1\r\n${H}\r\n${SMUGGLED}`, status: 400 },
  { name: 'version HTTP/1.32', request: `GET / HTTP/1.32\r\n${H}\r\n${SMUGGLED}`, status: 400 },
  { name: 'LF inside request line', request: `GET /\nHTTP/1.1\r\n${H}\r\n${SMUGGLED}`, status: 400 },
  { name: 'NUL in path', request: `GET /a\x00b HTTP/1.1\r\n${H}\r\n${SMUGGLED}`, status: 400 },
  // Chunked body
  {
    name: 'chunk size 0x',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked\r\n\r\n0x1\r\nA\r\n0\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  {
    name: 'chunk size plus',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked\r\n\r\n+1\r\nA\r\n0\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  {
    name: 'chunk size minus zero',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked\r\n\r\n-0\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  {
    name: 'chunk size leading tab',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked\r\n\r\n\t0\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  {
    name: 'chunk size empty',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked\r\n\r\n\r\nA\r\n0\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  {
    name: 'chunk size overflow',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF1\r\nA\r\n${SMUGGLED}`,
    status: 400,
  },
  {
    name: 'chunk data without CRLF',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked\r\n\r\n1\r\nAB\r\n0\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  {
    name: 'chunk ext bare CR',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked\r\n\r\n5\r\r;a\r\nhello\r\n0\r\n\r\n${SMUGGLED}`,
    status: 400,
  },
  {
    name: 'chunk ext too large',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked\r\n\r\n1;${'a'.repeat(70_000)}\r\nA\r\n0\r\n\r\n`,
    status: 413,
  },
  // Limits
  {
    name: 'request line too long',
    request: `GET /${'a'.repeat(17 * 1024)} HTTP/1.1\r\n${H}\r\n`,
    status: 414,
  },
  {
    name: 'headers too large',
    request: `GET / HTTP/1.1\r\n${H}x-big: ${'b'.repeat(61 * 1024)}\r\n\r\n`,
    status: 431,
  },
  { name: 'too many headers', request: `GET / HTTP/1.1\r\n${H}${'x-h: v\r\n'.repeat(101)}\r\n`, status: 431 },
  // Accepted, but re-framed: what reaches the upstream is canonical.
  {
    name: 'CL leading zeros are decimal',
    request: `POST / HTTP/1.1\r\n${H}content-length: 010\r\nconnection: close\r\n\r\n0123456789`,
    status: 200,
  },
  {
    name: 'chunked with extension and trailer',
    request: `POST / HTTP/1.1\r\n${H}transfer-encoding: chunked\r\nconnection: close\r\n\r\n5;ext=1\r\nhello\r\n0\r\nx-trailer: t\r\n\r\n`,
    status: 200,
  },
  {
    name: 'GET with a CL body',
    request: `GET / HTTP/1.1\r\n${H}content-length: 4\r\nconnection: close\r\n\r\nbody`,
    status: 200,
  },
];

/**
 * Where nginx 1.22 (Debian 12) answers differently from Skein, measured by the second test,
 * and why Skein's answer is the one we want. A difference not listed here fails the test.
 */
const NGINX_DIFFERENCES: Record<string, string> = {
  'TE leading comma':
    'nginx answers 501 (unknown coding); Skein rejects the malformed coding list with 400 and never forwards it.',
  'TE chunked then identity':
    'nginx answers 501; chunked is not the final coding, so RFC 9112 §6.3 requires 400 and a close, which Skein sends.',
  'TE xchunked':
    'as "chunked then identity": without chunked as the final coding the length is unknowable (400, §6.3).',
  'TE tab in value start':
    'nginx does not strip a leading HTAB and answers 501; HTAB is optional whitespace (RFC 9110 §5.6.3), so Skein reads "chunked".',
  'TE vertical tab':
    'nginx answers 501 for an unknown coding; Skein rejects the control character in the field value (400).',
  'bare LF line endings':
    'nginx accepts bare-LF line endings (RFC 9112 §2.2 allows it); Skein rejects them so that it never disagrees with a stricter peer.',
  'LF in value':
    'nginx takes the bare LF as a line end and serves the request; Skein rejects bare LF everywhere.',
  'header line without colon':
    'nginx drops the invalid line (ignore_invalid_headers) and serves the request; Skein rejects it.',
  'non-token name byte':
    'nginx drops the invalid header (ignore_invalid_headers) and serves the request; Skein rejects it.',
  'version HTTP/1.32':
    'nginx serves "HTTP/1.32" as HTTP/1.x; Skein accepts only HTTP/1.0 and HTTP/1.1 (aiohttp #9 class) and answers 400.',
  'LF inside request line':
    'nginx closes without a response (it reads "GET /" as HTTP/0.9); Skein answers 400 and closes.',
  'chunk ext too large':
    'nginx has no chunk-extension limit and serves the request; Skein caps extensions (Node CVE-2024-22019) with 413.',
  'headers too large':
    'nginx answers 400 ("Request Header Or Cookie Too Large"); Skein answers 431 (RFC 6585), as Envoy.',
  'too many headers':
    "nginx limits header bytes, not count, and serves 101 headers; Skein enforces Envoy's 100-header default (431).",
};

function nginxAvailable(): boolean {
  return spawnSync('nginx', ['-v']).status === 0;
}

async function startNginx(upstreamPort: number): Promise<{ port: number; stop(): Promise<void> }> {
  const dir = tempDir('skein-nginx-');
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream origin { server 127.0.0.1:${upstreamPort}; keepalive 16; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`,
  );
  const child = spawn('nginx', ['-c', path.join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  // Resolves once nginx has exited, so its directory is no longer written to when it is removed.
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await exited;
  };
  let ready = false;
  for (let i = 0; i < 50 && !spawnError; i++) {
    const ok = await rawExchange(
      port,
      `GET /__ready HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`,
      200,
    ).catch(() => '');
    if (ok.startsWith('HTTP/1.1')) {
      ready = true;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!ready) {
    await stop();
    throw new Error(`nginx did not start: ${spawnError?.message ?? 'not answering on its port'}`);
  }
  return { port, stop };
}

function statusOf(raw: string): number {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
  return match ? Number(match[1]) : 0;
}

describe('HTTP/1.1 framing corpus', () => {
  let proxy: RunningProxy;
  let origin: Server;
  let originPort = 0;
  const seen: string[] = [];

  before(async () => {
    origin = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('latin1');
      });
      req.on('end', () => {
        seen.push(
          `${req.method} ${req.url} ${req.headers['content-length'] ?? ''}|${req.headers['transfer-encoding'] ?? ''} ${body}`,
        );
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    originPort = (origin.address() as { port: number }).port;
    proxy = await startProxy(
      httpBootstrap(routes({ match: { prefix: '/' }, route: { cluster: 'origin' } }), [
        staticCluster('origin', [originPort]),
      ]),
    );
  });

  after(async () => {
    await proxy.close();
    origin.closeAllConnections();
    origin.close();
  });

  it('answers every case as specified, smuggles nothing, and keeps serving', async () => {
    const failures: string[] = [];
    for (const testCase of CORPUS) {
      const raw = await rawExchange(proxy.port(), Buffer.from(testCase.request, 'latin1'), 400);
      const status = statusOf(raw);
      if (status !== testCase.status)
        failures.push(
          `${testCase.name}: expected ${testCase.status}, got ${status} (${JSON.stringify(raw.slice(0, 60))})`,
        );
      if (testCase.status >= 400 && (raw.match(/HTTP\/1\.1 \d{3}/g)?.length ?? 0) > 1) {
        failures.push(`${testCase.name}: more than one response after a framing error`);
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(
      !seen.some((line) => line.includes('/smuggled')),
      `smuggled request reached the upstream: ${seen.join('\n')}`,
    );
    // Whatever reached the upstream was re-framed canonically.
    assert.ok(seen.includes('POST / 10| 0123456789'), seen.join('\n'));
    assert.ok(seen.includes('POST / |chunked hello'), seen.join('\n'));
    assert.ok(seen.includes('GET / 4| body'), seen.join('\n'));
    assert.equal((await get(proxy.port(), '/after-corpus')).status, 200);
  });

  it('differs from nginx only where the difference is explained', {
    skip: !nginxAvailable() && !process.env['CI'] && 'nginx is not installed (.ci/run installs it; under CI this fails instead)',
  }, async (t) => {
    const nginx = await startNginx(originPort);
    t.after(() => nginx.stop());
    const unexplained: string[] = [];
    const table: string[] = [];
    for (const testCase of CORPUS) {
      const ours = statusOf(await rawExchange(proxy.port(), Buffer.from(testCase.request, 'latin1'), 300));
      const theirs = statusOf(await rawExchange(nginx.port, Buffer.from(testCase.request, 'latin1'), 300));
      table.push(`${testCase.name}: skein ${ours}, nginx ${theirs}`);
      if (ours !== theirs && !(testCase.name in NGINX_DIFFERENCES))
        unexplained.push(`${testCase.name}: skein ${ours}, nginx ${theirs}`);
    }
    t.diagnostic(table.join('\n'));
    assert.deepEqual(unexplained, []);
  });
});
