import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIELD_VALUE, TOKEN } from './char-classes.js';
import type { Http1ErrorCode } from './errors.js';
import {
  ALL_BYTES,
  bytes,
  getRequest,
  hex,
  http,
  type ParsedRequest,
  parseRequests,
  type RequestOutcome,
} from './harness.test.util.js';
import { DEFAULT_LIMITS, type Http1Limits } from './limits.js';
import { type RequestHead, RequestParser } from './request-parser.js';

function accept(input: string, limits?: Http1Limits): ParsedRequest[] {
  const outcome = parseRequests(input, limits === undefined ? {} : { limits });
  assert.equal(outcome.error, undefined, `unexpected ${outcome.error?.message} for ${JSON.stringify(input)}`);
  return outcome.messages;
}

function acceptOne(input: string, limits?: Http1Limits): ParsedRequest {
  const messages = accept(input, limits);
  assert.equal(messages.length, 1, `expected one message from ${JSON.stringify(input)}`);
  return messages[0]!;
}

function reject(input: string, code?: Http1ErrorCode, limits?: Http1Limits): RequestOutcome {
  const outcome = parseRequests(input, limits === undefined ? {} : { limits });
  assert.ok(outcome.error, `expected a rejection of ${JSON.stringify(input)}`);
  if (code !== undefined) assert.equal(outcome.error.code, code, `for ${JSON.stringify(input)}`);
  return outcome;
}

/** A request head with the given request line and field lines, plus a Host unless one is given. */
function head(requestLine: string, ...fields: string[]): string {
  const hasHost = fields.some((f) => /^host:/i.test(f));
  return http(requestLine, ...(hasHost ? [] : ['Host: a.example']), ...fields, '', '');
}

describe('RequestParser: well-formed requests', () => {
  it('reports the head of a simple GET', () => {
    const message = acceptOne(http('GET /index.html?q=1 HTTP/1.1', 'Host: a.example', 'Accept: */*', '', ''));
    assert.deepEqual(message.head, {
      method: 'GET',
      target: '/index.html?q=1',
      versionMinor: 1,
      headers: ['host', 'a.example', 'accept', '*/*'],
      contentLength: -1,
      chunked: false,
      keepAlive: true,
      upgrade: undefined,
      expectContinue: false,
    } satisfies RequestHead);
    assert.equal(message.body, '');
    assert.equal(message.trailers, undefined);
  });

  it('lower-cases names, trims OWS around values, and keeps repeats in order', () => {
    const message = acceptOne(
      head(
        'GET / HTTP/1.1',
        'X-Role: user',
        'x-ROLE:admin',
        'X-Pad: \t spaced  out \t ',
        'X-Empty:',
        'X-Empty2:   ',
      ),
    );
    assert.deepEqual(message.head.headers.slice(2), [
      'x-role',
      'user',
      'x-role',
      'admin',
      'x-pad',
      'spaced  out',
      'x-empty',
      '',
      'x-empty2',
      '',
    ]);
  });

  it('trims the trailing SP an attacker adds to dodge exact matches (Istio 2019-007)', () => {
    assert.deepEqual(acceptOne(head('GET / HTTP/1.1', 'x-role: admin ')).head.headers.slice(2), [
      'x-role',
      'admin',
    ]);
  });

  it('accepts obs-text (0x80-0xFF) in values and keeps it byte for byte', () => {
    assert.equal(acceptOne(head('GET / HTTP/1.1', 'X-Name: caf\xe9 \xff')).head.headers[3], 'caf\xe9 \xff');
  });

  it('keeps the request-target exactly as sent, fragment and odd characters included', () => {
    for (const target of [
      '/',
      '/a/../admin',
      '/%2Fadmin',
      '/\\admin',
      '/user/profile#s1',
      '/a?b=c&d=%00',
      'http://b.example/x',
      '*',
    ]) {
      assert.equal(acceptOne(head(`OPTIONS ${target} HTTP/1.1`)).head.target, target);
    }
  });

  it('reports an absolute-form target and a different Host both verbatim, for the router to reconcile', () => {
    const message = acceptOne(http('GET http://b.example/x HTTP/1.1', 'Host: a.example', '', ''));
    assert.equal(message.head.target, 'http://b.example/x');
    assert.deepEqual(message.head.headers, ['host', 'a.example']);
  });

  it('accepts extension methods that are upper-case tokens', () => {
    for (const method of ['PROPFIND', 'M-SEARCH', 'PURGE', 'PATCH', 'X_CUSTOM', 'BREW!', 'GET2']) {
      assert.equal(acceptOne(head(`${method} / HTTP/1.1`)).head.method, method);
    }
  });

  it('accepts HTTP/1.0 without Host, closing by default and keeping alive on request', () => {
    assert.equal(acceptOne(http('GET / HTTP/1.0', '', '')).head.keepAlive, false);
    assert.equal(acceptOne(http('GET / HTTP/1.0', 'Connection: keep-alive', '', '')).head.keepAlive, true);
    assert.equal(
      acceptOne(http('GET / HTTP/1.0', 'Connection: Keep-Alive, close', '', '')).head.keepAlive,
      false,
    );
    assert.equal(acceptOne(http('GET / HTTP/1.0', '', '')).head.versionMinor, 0);
  });

  it('reads Connection as a case-insensitive token list', () => {
    assert.equal(acceptOne(head('GET / HTTP/1.1')).head.keepAlive, true);
    assert.equal(acceptOne(head('GET / HTTP/1.1', 'Connection: close')).head.keepAlive, false);
    assert.equal(acceptOne(head('GET / HTTP/1.1', 'Connection: CLOSE')).head.keepAlive, false);
    assert.equal(
      acceptOne(head('GET / HTTP/1.1', 'Connection: x-foo', 'Connection: ,, close ,')).head.keepAlive,
      false,
    );
    reject(head('GET / HTTP/1.1', 'Connection: close;x'), 'invalid_connection');
    reject(head('GET / HTTP/1.1', 'Connection: "close"'), 'invalid_connection');
  });

  it('reports Upgrade only when Connection lists upgrade, and only in HTTP/1.1', () => {
    const upgrade = acceptOne(
      head('GET /ws HTTP/1.1', 'Connection: keep-alive, Upgrade', 'Upgrade: websocket'),
    );
    assert.equal(upgrade.head.upgrade, 'websocket');
    assert.equal(acceptOne(head('GET / HTTP/1.1', 'Upgrade: websocket')).head.upgrade, undefined);
    assert.equal(acceptOne(head('GET / HTTP/1.1', 'Connection: upgrade')).head.upgrade, undefined);
    assert.equal(
      acceptOne(http('GET / HTTP/1.0', 'Connection: upgrade', 'Upgrade: websocket', '', '')).head.upgrade,
      undefined,
    );
  });

  it('reports Expect: 100-continue in HTTP/1.1 only', () => {
    assert.equal(acceptOne(head('PUT / HTTP/1.1', 'Expect: 100-continue')).head.expectContinue, true);
    assert.equal(acceptOne(head('PUT / HTTP/1.1', 'Expect: 100-Continue')).head.expectContinue, true);
    assert.equal(acceptOne(head('PUT / HTTP/1.1', 'Expect: 200-ok')).head.expectContinue, false);
    assert.equal(
      acceptOne(http('PUT / HTTP/1.0', 'Expect: 100-continue', '', '')).head.expectContinue,
      false,
    );
  });

  it('ignores one empty line before the request line, not two (RFC 9112 §2.2)', () => {
    assert.equal(acceptOne(`\r\n${getRequest('/x')}`).head.target, '/x');
    reject(`\r\n\r\n${getRequest()}`, 'invalid_method');
    reject(`\n${getRequest()}`, 'bare_lf');
  });

  it('delivers a Content-Length body on any method, GET included', () => {
    const message = acceptOne(`${head('GET / HTTP/1.1', 'Content-Length: 5')}hello`);
    assert.equal(message.head.contentLength, 5);
    assert.equal(message.body, 'hello');
  });
});

describe('RequestParser: request line', () => {
  it('refuses lower-case and mixed-case methods (Istio normalization)', () => {
    for (const method of ['get', 'Get', 'gET', 'post', 'connect', 'GET_x', 'm-search']) {
      reject(head(`${method} / HTTP/1.1`), 'invalid_method');
    }
  });

  it('accepts a method byte only if it is an upper-case token byte (0x00-0xFF grid)', () => {
    for (const b of ALL_BYTES) {
      const outcome = parseRequests(head(`G${b}T / HTTP/1.1`));
      const code = b.charCodeAt(0);
      const valid = TOKEN[code] === 1 && !(code >= 0x61 && code <= 0x7a);
      if (valid) assert.equal(outcome.messages[0]?.head.method, `G${b}T`, hex(b));
      else assert.ok(outcome.error, `method byte ${hex(b)} must be refused`);
    }
  });

  it('accepts a target byte only if it is visible ASCII (0x00-0xFF grid)', () => {
    for (const b of ALL_BYTES) {
      const outcome = parseRequests(head(`GET /a${b}b HTTP/1.1`));
      const code = b.charCodeAt(0);
      if (code >= 0x21 && code <= 0x7e) assert.equal(outcome.messages[0]?.head.target, `/a${b}b`, hex(b));
      else assert.ok(outcome.error, `target byte ${hex(b)} must be refused`);
    }
  });

  it('requires exactly one SP between the three parts', () => {
    const cases: [string, Http1ErrorCode][] = [
      [' GET / HTTP/1.1', 'invalid_method'],
      ['GET  / HTTP/1.1', 'invalid_target'],
      ['GET /  HTTP/1.1', 'invalid_version'],
      ['GET / HTTP/1.1 ', 'invalid_version'],
      ['GET\t/ HTTP/1.1', 'invalid_method'],
      ['GET /\tHTTP/1.1', 'invalid_target'],
      ['GET / HTTP/1.1\t', 'invalid_version'],
      ['GET', 'invalid_target'],
      ['GET ', 'invalid_target'],
      ['GET /', 'invalid_version'],
      ['GET / ', 'invalid_version'],
      ['', 'invalid_method'],
    ];
    for (const [line, code] of cases) reject(head(line), code);
  });

  it('accepts HTTP/1.0 and HTTP/1.1 only: 505 for other versions, 400 for malformed ones', () => {
    for (const version of ['HTTP/2.0', 'HTTP/0.9', 'HTTP/1.2', 'HTTP/3.0', 'HTTP/9.9']) {
      const outcome = reject(head(`GET / ${version}`), 'unsupported_version');
      assert.equal(outcome.error?.status, 505);
    }
    const malformed = [
      'HTTP/1.32',
      'HTTP/11',
      'HTTP/1',
      'HTTP/1.',
      'HTTP/.1',
      'http/1.1',
      'Http/1.1',
      'HTTP /1.1',
      'HTTP/1,1',
      'HTTP/1.1x',
      'HTTPS/1.1',
      'HTTP/a.b',
      'HTTP/1.1/',
      'HTTP\\1.1',
      'HTTP/+.1',
      'XTTP/1.1',
    ];
    for (const version of malformed) {
      const outcome = reject(head(`GET / ${version}`), 'invalid_version');
      assert.equal(outcome.error?.status, 400);
    }
  });

  it('refuses a request line broken by a bare LF (aiohttp #9)', () => {
    reject('GET /\nHTTP/1.1\r\nHost: a\r\n\r\n', 'bare_lf');
  });
});

describe('RequestParser: line endings', () => {
  const valid = http('POST /p HTTP/1.1', 'Host: a.example', 'X-A: b', 'Content-Length: 3', '', 'abc');

  it('refuses a bare LF in place of any CRLF', () => {
    const crlfs = [...valid.matchAll(/\r\n/g)].map((m) => m.index);
    for (const at of crlfs) reject(`${valid.slice(0, at)}\n${valid.slice(at + 2)}`, 'bare_lf');
  });

  it('refuses a bare CR in place of any CRLF', () => {
    const crlfs = [...valid.matchAll(/\r\n/g)].map((m) => m.index);
    // More lines follow, so the parser always gets to judge the line with the bare CR.
    for (const at of crlfs) reject(`${valid.slice(0, at)}\r${valid.slice(at + 2)}\r\n\r\n`);
  });

  it('refuses any CTL but HTAB, and DEL, inserted at any offset of the head', () => {
    const headEnd = valid.indexOf('\r\n\r\n') + 4;
    const controls = ALL_BYTES.filter((b) => (b < ' ' && b !== '\t') || b === '\x7f');
    for (const ctl of controls) {
      for (let at = 0; at < headEnd; at++) {
        // An LF between the final CR and LF completes the empty line; the old LF is then body.
        if (ctl === '\n' && at === headEnd - 1) continue;
        const input = valid.slice(0, at) + ctl + valid.slice(at);
        const outcome = parseRequests(input);
        assert.ok(outcome.error, `${hex(ctl)} at offset ${at} must be refused`);
      }
    }
  });

  it('refuses the known bare-CR and CR-confusion payloads (CVE-2023-30589, http-garden Node.js #1)', () => {
    const payloads = [
      'GET / HTTP/1.1\r\nHost: a\r\n\rX: y\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: a\r\n\r\r\n',
      'GET / HTTP/1.1\r\nHost: a\r\r\n\r\n',
      'GET / HTTP/1.1\rHost: a\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: a\r\nX\r: y\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: a\r\n\n\r\n',
      'GET / HTTP/1.1\r\nHost: a\n\r\n',
      'GET / HTTP/1.1\r\n\nHost: a\r\n\r\n',
    ];
    for (const payload of payloads) reject(payload);
  });
});

describe('RequestParser: field lines', () => {
  it('accepts a name byte only if it is a tchar (0x00-0xFF grid)', () => {
    for (const b of ALL_BYTES) {
      if (b === ':') continue; // it ends the name: covered below
      const outcome = parseRequests(head('GET / HTTP/1.1', `X-A${b}B: v`));
      if (TOKEN[b.charCodeAt(0)] === 1) {
        assert.deepEqual(outcome.messages[0]?.head.headers.slice(2), [`x-a${b}b`.toLowerCase(), 'v'], hex(b));
      } else {
        assert.ok(outcome.error, `name byte ${hex(b)} must be refused`);
      }
    }
  });

  it('splits at the first colon only', () => {
    assert.deepEqual(acceptOne(head('GET / HTTP/1.1', 'X-A:B: v')).head.headers.slice(2), ['x-a', 'B: v']);
  });

  it('refuses whitespace between the name and the colon (RFC 9112 §5.1, CVE-2021-22959)', () => {
    for (const line of [
      'Transfer-Encoding : chunked',
      'Host\t: a',
      'X-Y : z',
      'Content-Length  : 0',
      'X\x0b: y',
    ]) {
      reject(head('GET / HTTP/1.1', line), 'invalid_header_name');
    }
  });

  it('refuses empty names, lines without a colon, and non-token names (relayd #1, Node.js #3)', () => {
    for (const line of [
      ': v',
      ':',
      'Foo',
      'X Y: z',
      '"X": y',
      'X\x85: y',
      '\x85: y',
      'X(y): z',
      'X@: y',
      '[]: v',
    ]) {
      reject(head('GET / HTTP/1.1', line), 'invalid_header_name');
    }
  });

  it('refuses obs-fold instead of unfolding it (RFC 9112 §5.2)', () => {
    for (const fold of [' b', '\tb', '  ', ' ', '\t']) {
      reject(http('GET / HTTP/1.1', 'Host: a', 'X: a', fold, '', ''), 'obs_fold');
    }
    reject(http('GET / HTTP/1.1', ' Host: a', '', ''), 'obs_fold');
  });

  it('accepts a value byte only if it is VCHAR, obs-text, SP or HTAB (0x00-0xFF grid)', () => {
    for (const b of ALL_BYTES) {
      const outcome = parseRequests(head('GET / HTTP/1.1', `X: a${b}b`));
      if (FIELD_VALUE[b.charCodeAt(0)] === 1) {
        assert.deepEqual(outcome.messages[0]?.head.headers.slice(2), ['x', `a${b}b`], hex(b));
      } else {
        assert.ok(outcome.error, `value byte ${hex(b)} must be refused`);
      }
    }
  });

  it('refuses NUL and other CTLs at the edges of a value too', () => {
    for (const value of ['\x00a', 'a\x00', '\x00', '\x0b', 'a\x1f', '\x7f']) {
      reject(head('GET / HTTP/1.1', `X: ${value}`), 'invalid_header_value');
    }
    reject(http('GET / HTTP/1.1', 'Host: a.com\x00.evil', '', ''), 'invalid_header_value');
  });
});

describe('RequestParser: Host', () => {
  it('requires Host in HTTP/1.1', () => {
    reject(http('GET / HTTP/1.1', 'Accept: */*', '', ''), 'missing_host');
  });

  it('refuses two Host lines whatever their values or case, in 1.1 and 1.0', () => {
    for (const pair of [
      ['Host: a', 'Host: a'],
      ['Host: a', 'Host: b'],
      ['Host: a', 'HOST: b'],
      ['host: a', 'hOsT: a'],
      ['Host: a', 'Host:'],
    ]) {
      reject(http('GET / HTTP/1.1', ...pair, '', ''), 'duplicate_host');
      reject(http('GET / HTTP/1.0', ...pair, '', ''), 'duplicate_host');
    }
  });

  it('accepts URI authority characters and refuses the rest', () => {
    for (const host of [
      'a.example',
      'A.Example:8080',
      '[::1]:80',
      '10.0.0.1',
      'xn--bcher-kva.example',
      '',
      'a_b.c',
    ]) {
      assert.equal(acceptOne(http('GET / HTTP/1.1', `Host: ${host}`, '', '')).head.headers[1], host);
    }
    for (const host of [
      'a.example/evil',
      'a b',
      'user@a.example',
      'a\\b',
      'a"b',
      'a<b>',
      'caf\xe9',
      'a?b',
      'a#b',
    ]) {
      reject(http('GET / HTTP/1.1', `Host: ${host}`, '', ''), 'invalid_host');
    }
  });
});

describe('RequestParser: Content-Length', () => {
  it('reads decimal digits, leading zeros included (010 is ten, not eight)', () => {
    assert.equal(acceptOne(`${head('POST / HTTP/1.1', 'Content-Length: 010')}0123456789`).body, '0123456789');
    assert.equal(acceptOne(head('POST / HTTP/1.1', 'Content-Length: 0000')).head.contentLength, 0);
    assert.equal(acceptOne(head('POST / HTTP/1.1', 'Content-Length: 0')).body, '');
  });

  it('accepts up to 2^53 - 1', () => {
    const outcome = parseRequests(head('POST / HTTP/1.1', `Content-Length: ${Number.MAX_SAFE_INTEGER}`));
    assert.equal(outcome.error, undefined);
  });

  it('refuses anything but digits (OLS, Mongoose, Puma payloads)', () => {
    const values = [
      '+1',
      '-1',
      '0x10',
      '1Z',
      '',
      '1_0',
      '1 0',
      '1.0',
      '1e3',
      '\xb3',
      '5\t5',
      'five',
      '9007199254740992',
      '99999999999999999999',
    ];
    for (const value of values)
      reject(head('POST / HTTP/1.1', `Content-Length: ${value}`), 'invalid_content_length');
  });

  it('refuses repeated Content-Length lines and lists, even identical ones', () => {
    for (const fields of [
      ['Content-Length: 1', 'Content-Length: 0'],
      ['Content-Length: 5', 'Content-Length: 5'],
      ['Content-Length: 5, 5'],
      ['Content-Length: 5,6'],
      ['Content-Length: ,5'],
      ['Content-Length: 5,'],
    ]) {
      reject(head('POST / HTTP/1.1', ...fields), 'duplicate_content_length');
    }
  });

  it('refuses Content-Length together with Transfer-Encoding, in either order', () => {
    reject(
      head('POST / HTTP/1.1', 'Content-Length: 3', 'Transfer-Encoding: chunked'),
      'content_length_with_transfer_encoding',
    );
    reject(
      head('POST / HTTP/1.1', 'Transfer-Encoding: chunked', 'Content-Length: 3'),
      'content_length_with_transfer_encoding',
    );
    reject(
      head('POST / HTTP/1.1', 'Transfer-Encoding: chunked', 'Content-Length: 0'),
      'content_length_with_transfer_encoding',
    );
  });
});

describe('RequestParser: Transfer-Encoding', () => {
  const chunkedBody = '5\r\nhello\r\n0\r\n\r\n';

  it('accepts exactly chunked, in any case and with OWS around it', () => {
    for (const value of ['chunked', 'Chunked', 'CHUNKED', 'cHuNkEd', '  chunked  ', '\tchunked\t']) {
      const message = acceptOne(head('POST / HTTP/1.1', `Transfer-Encoding: ${value}`) + chunkedBody);
      assert.equal(message.head.chunked, true);
      assert.equal(message.body, 'hello');
    }
  });

  it('refuses every non-canonical list rather than normalizing it (nghttpx #1, relayd #2, Mongoose #4)', () => {
    const values = [
      ',chunked',
      'chunked,',
      ', chunked',
      'chunked ,',
      ',,chunked',
      'chunked, chunked',
      'chunked,chunked',
      'chunked, identity',
      'chunked, gzip',
      'identity',
      'gzip',
      'xchunked',
      'chunkedx',
      'chunk ed',
      'chunk',
      '"chunked"',
      'chunked;q=1',
      'chunked; x',
      '',
      'chunked chunked',
    ];
    for (const value of values) {
      reject(
        head('POST / HTTP/1.1', `Transfer-Encoding: ${value}`) + chunkedBody,
        'invalid_transfer_encoding',
      );
    }
  });

  it('answers 501 for a coding before chunked, since none is implemented', () => {
    for (const value of ['gzip, chunked', 'deflate,chunked', 'identity, chunked', 'x-custom , chunked']) {
      const outcome = reject(
        head('POST / HTTP/1.1', `Transfer-Encoding: ${value}`),
        'unsupported_transfer_coding',
      );
      assert.equal(outcome.error?.status, 501);
    }
  });

  it('combines repeated Transfer-Encoding lines into one list before judging it (Pound #1)', () => {
    reject(
      head('POST / HTTP/1.1', 'Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'),
      'invalid_transfer_encoding',
    );
    reject(head('POST / HTTP/1.1', 'Transfer-Encoding: chunked', 'Transfer-Encoding: identity'));
    reject(
      head('POST / HTTP/1.1', 'Transfer-Encoding:', 'Transfer-Encoding: chunked'),
      'invalid_transfer_encoding',
    );
    reject(
      head('POST / HTTP/1.1', 'Transfer-Encoding: gzip', 'Transfer-Encoding: chunked'),
      'unsupported_transfer_coding',
    );
  });

  it('refuses Transfer-Encoding in HTTP/1.0 (RFC 9112 §6.1)', () => {
    reject(
      http('POST / HTTP/1.0', 'Transfer-Encoding: chunked', '', chunkedBody),
      'transfer_encoding_in_http10',
    );
    reject(
      http(
        'POST / HTTP/1.0',
        'Host: a',
        'Connection: keep-alive',
        'Transfer-Encoding: chunked',
        '',
        chunkedBody,
      ),
      'transfer_encoding_in_http10',
    );
  });

  it('refuses framing on CONNECT, which has no content', () => {
    reject(head('CONNECT a.example:443 HTTP/1.1', 'Transfer-Encoding: chunked'), 'body_in_connect');
    reject(head('CONNECT a.example:443 HTTP/1.1', 'Content-Length: 1'), 'body_in_connect');
    assert.equal(
      acceptOne(head('CONNECT a.example:443 HTTP/1.1', 'Content-Length: 0')).head.method,
      'CONNECT',
    );
  });
});

describe('RequestParser: pipelining', () => {
  const first = http('GET /1 HTTP/1.1', 'Host: a', '', '');
  const second = http('POST /2 HTTP/1.1', 'Host: a', 'Content-Length: 5', '', 'hello');
  const third = http(
    'PUT /3 HTTP/1.1',
    'Host: a',
    'Transfer-Encoding: chunked',
    '',
    '3;x=y',
    'abc',
    '0',
    'T: v',
    '',
    '',
  );
  const all = first + second + third;

  it('stops after each message and returns the bytes of that message', () => {
    const seen: string[] = [];
    const parser = new RequestParser({
      onHead: (h) => seen.push(h.target),
      onBody: () => {},
      onMessageComplete: () => seen.push('end'),
    });
    const data = bytes(all);
    assert.equal(parser.execute(data), first.length);
    assert.deepEqual(seen, ['/1', 'end']);
    assert.equal(parser.execute(data.subarray(first.length)), second.length);
    assert.equal(parser.execute(data.subarray(first.length + second.length)), third.length);
    assert.deepEqual(seen, ['/1', 'end', '/2', 'end', '/3', 'end']);
  });

  it('parses two and three requests from one buffer like from separate ones', () => {
    const separate = [first, second, third].flatMap((r) => parseRequests(r).messages);
    assert.deepEqual(parseRequests(first + second).messages, separate.slice(0, 2));
    assert.deepEqual(parseRequests(all).messages, separate);
    assert.deepEqual(
      separate.map((m) => [m.head.target, m.body, m.trailers]),
      [
        ['/1', '', undefined],
        ['/2', 'hello', undefined],
        ['/3', 'abc', ['t', 'v']],
      ],
    );
  });

  it('gives the same result wherever one cut splits the bytes', () => {
    const whole = JSON.stringify(parseRequests(all).messages);
    for (let at = 0; at <= all.length; at++) {
      assert.equal(JSON.stringify(parseRequests(all, { cuts: [at] }).messages), whole, `cut at ${at}`);
    }
  });

  it('gives the same result when fed one byte at a time, or at every pair of cuts', () => {
    const whole = JSON.stringify(parseRequests(all).messages);
    const everyByte = Array.from({ length: all.length - 1 }, (_, i) => i + 1);
    assert.equal(JSON.stringify(parseRequests(all, { cuts: everyByte }).messages), whole);
    const short = first + second;
    const shortWhole = JSON.stringify(parseRequests(short).messages);
    for (let a = 1; a < short.length; a++) {
      for (let b = a; b < short.length; b += 3) {
        assert.equal(
          JSON.stringify(parseRequests(short, { cuts: [a, b] }).messages),
          shortWhole,
          `cuts ${a},${b}`,
        );
      }
    }
  });

  it('hands out body bytes without copying them into one piece', () => {
    const outcome = parseRequests(second, { cuts: [second.length - 3, second.length - 1] });
    assert.equal(outcome.messages[0]?.body, 'hello');
    assert.equal(outcome.bodyCalls, 3);
  });
});

describe('RequestParser: CONNECT and Upgrade', () => {
  it('parses nothing after a CONNECT request: the rest is tunnel data for the caller', () => {
    const connect = head('CONNECT a.example:443 HTTP/1.1');
    const data = bytes(`${connect}\x16\x03\x01 TLS bytes`);
    const parser = new RequestParser({ onHead() {}, onBody() {}, onMessageComplete() {} });
    assert.equal(parser.execute(data), connect.length);
    assert.equal(parser.execute(data.subarray(connect.length)), 0);
    assert.equal(parser.error?.code, 'data_after_upgrade');
  });

  it('never parses a request pipelined behind an Upgrade request (Istio 2025-003)', () => {
    const upgrade = head('GET /ws HTTP/1.1', 'Connection: Upgrade', 'Upgrade: websocket');
    const outcome = parseRequests(upgrade + getRequest('/admin'));
    assert.deepEqual(
      outcome.messages.map((m) => m.head.target),
      ['/ws'],
    );
    assert.equal(outcome.error?.code, 'data_after_upgrade');
  });

  it('keeps parsing after an Upgrade field that Connection does not list', () => {
    const outcome = parseRequests(head('GET /ws HTTP/1.1', 'Upgrade: websocket') + getRequest('/next'));
    assert.deepEqual(
      outcome.messages.map((m) => m.head.target),
      ['/ws', '/next'],
    );
  });
});

describe('RequestParser: when errors are found', () => {
  it('refuses a bad line as soon as its LF arrives, without waiting for the rest of the head', () => {
    const partialHeads: [string, Http1ErrorCode][] = [
      ['get / HTTP/1.1\r\n', 'invalid_method'],
      ['GET / HTTP/2.0\r\n', 'unsupported_version'],
      ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n', 'bare_lf'],
      ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n', 'invalid_method'],
      ['GET / HTTP/1.1\r\nHost: a\r\nX : y\r\n', 'invalid_header_name'],
      ['GET / HTTP/1.1\r\nHost: a\r\nX: \x00\r\n', 'invalid_header_value'],
      ['GET / HTTP/1.1\r\nHost: a\r\n folded\r\n', 'obs_fold'],
    ];
    for (const [input, code] of partialHeads) {
      assert.equal(parseRequests(input).error?.code, code, JSON.stringify(input));
    }
  });

  it('reports the same error wherever the input is cut', () => {
    const bad: [string, Http1ErrorCode][] = [
      [head('GET / HTTP/1.1', 'X: a\x00b'), 'invalid_header_value'],
      [head('GET / HTTP/1.1', 'Content-Length: 1', 'Content-Length: 2'), 'duplicate_content_length'],
      [http('GET / HTTP/1.1', 'Host: a', 'Host: b', '', ''), 'duplicate_host'],
      [
        `${getRequest()}${head('POST / HTTP/1.1', 'Transfer-Encoding: ,chunked')}`,
        'invalid_transfer_encoding',
      ],
      [`${getRequest()}GET / HTTP/1.1\r\nHost: a\n\r\n`, 'bare_lf'],
    ];
    for (const [input, code] of bad) {
      for (let at = 0; at <= input.length; at++) {
        assert.equal(
          parseRequests(input, { cuts: [at] }).error?.code,
          code,
          `${JSON.stringify(input)} cut at ${at}`,
        );
      }
    }
  });
});

describe('RequestParser: life cycle', () => {
  it('stays dead after an error: no more callbacks, 0 consumed', () => {
    let calls = 0;
    const parser = new RequestParser({
      onHead: () => calls++,
      onBody: () => calls++,
      onMessageComplete: () => calls++,
    });
    assert.equal(parser.execute(bytes('get / HTTP/1.1\r\nHost: a\r\n\r\n')), 0);
    const error = parser.error;
    assert.equal(error?.code, 'invalid_method');
    assert.equal(parser.execute(bytes(getRequest())), 0);
    assert.equal(parser.error, error);
    assert.equal(calls, 0);
  });

  it('consumes nothing from an empty buffer', () => {
    const parser = new RequestParser({ onHead() {}, onBody() {}, onMessageComplete() {} });
    assert.equal(parser.execute(Buffer.alloc(0)), 0);
    assert.equal(parser.error, undefined);
  });

  it('tells a clean close from one inside a request', () => {
    assert.equal(parseRequests(getRequest(), { finish: true }).error, undefined);
    assert.equal(parseRequests('', { finish: true }).error, undefined);
    assert.equal(parseRequests('GET / HT', { finish: true }).error?.code, 'incomplete_message');
    assert.equal(
      parseRequests(head('POST / HTTP/1.1', 'Content-Length: 5') + 'hel', { finish: true }).error?.code,
      'incomplete_message',
    );
  });

  it('lets handler exceptions through instead of reporting them as parse errors', () => {
    const parser = new RequestParser({
      onHead() {
        throw new RangeError('handler bug');
      },
      onBody() {},
      onMessageComplete() {},
    });
    assert.throws(() => parser.execute(bytes(getRequest())), RangeError);
  });

  it('uses the Envoy and Node defaults', () => {
    assert.deepEqual(
      { ...DEFAULT_LIMITS },
      {
        maxRequestLineBytes: 16384,
        maxHeadersBytes: 61440,
        maxHeadersCount: 100,
        maxChunkExtensionBytes: 16384,
      },
    );
  });
});
