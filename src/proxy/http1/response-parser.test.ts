import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Http1ErrorCode } from './errors.js';
import {
  ALL_BYTES,
  bytes,
  hex,
  http,
  parseResponse,
  type ResponseOutcome,
  summary,
} from './harness.test.util.js';
import { DEFAULT_LIMITS, type Http1Limits } from './limits.js';
import { type AnsweredRequest, MAX_INFORMATIONAL_RESPONSES, ResponseParser } from './response-parser.js';

const GET: AnsweredRequest = { method: 'GET', upgrade: undefined };
const HEAD: AnsweredRequest = { method: 'HEAD', upgrade: undefined };
const CONNECT: AnsweredRequest = { method: 'CONNECT', upgrade: undefined };
const WEBSOCKET: AnsweredRequest = { method: 'GET', upgrade: 'websocket' };

function accept(input: string, request = GET, eof = false): ResponseOutcome {
  const outcome = parseResponse(input, { request, eof });
  assert.equal(outcome.error, undefined, `unexpected ${outcome.error?.message} for ${JSON.stringify(input)}`);
  return outcome;
}

function reject(input: string, code?: Http1ErrorCode, request = GET, limits?: Http1Limits): ResponseOutcome {
  const outcome = parseResponse(input, limits === undefined ? { request } : { request, limits });
  assert.ok(outcome.error, `expected a rejection of ${JSON.stringify(input)}`);
  if (code !== undefined) assert.equal(outcome.error.code, code, `for ${JSON.stringify(input)}`);
  assert.equal(outcome.error.status, 502, 'upstream faults are answered with 502');
  assert.equal(outcome.canReuseConnection, false);
  return outcome;
}

describe('ResponseParser: status line', () => {
  it('reads version, status and reason', () => {
    const outcome = accept(http('HTTP/1.1 404 Not Found', 'Content-Length: 0', '', ''));
    assert.deepEqual(outcome.head, {
      versionMinor: 1,
      status: 404,
      reason: 'Not Found',
      headers: ['content-length', '0'],
      contentLength: 0,
      chunked: false,
      keepAlive: true,
    });
    assert.equal(outcome.complete, true);
  });

  it('accepts an empty reason, with or without its SP, and obs-text in it', () => {
    assert.equal(accept(http('HTTP/1.1 200 ', 'Content-Length: 0', '', '')).head?.reason, '');
    assert.equal(accept(http('HTTP/1.1 200', 'Content-Length: 0', '', '')).head?.reason, '');
    assert.equal(
      accept(http('HTTP/1.0 200 D\xe9j\xe0 vu\t!', 'Content-Length: 0', '', '')).head?.reason,
      'D\xe9j\xe0 vu\t!',
    );
  });

  it('refuses malformed status lines', () => {
    const lines: [string, Http1ErrorCode][] = [
      ['HTTP/1.1 20 OK', 'invalid_status_line'],
      ['HTTP/1.1 2000 OK', 'invalid_status_line'],
      ['HTTP/1.1 2x0 OK', 'invalid_status_line'],
      ['HTTP/1.1 099 X', 'invalid_status_line'],
      ['HTTP/1.1 600 X', 'invalid_status_line'],
      ['HTTP/1.1  200 OK', 'invalid_status_line'],
      ['HTTP/1.1 200\tOK', 'invalid_status_line'],
      ['HTTP/1.1 200 O\x00K', 'invalid_status_line'],
      ['HTTP/1.1 200 O\rK', 'invalid_status_line'],
      ['HTTP/1.1', 'invalid_status_line'],
      ['ICY 200 OK', 'invalid_status_line'],
      ['', 'invalid_status_line'],
      ['HTTP/2 200 OK', 'invalid_status_line'],
      ['http/1.1 200 OK', 'invalid_version'],
      ['HTTP/1.x 200 OK', 'invalid_version'],
      ['HTTP/2.0 200 OK', 'unsupported_version'],
      ['HTTP/0.9 200 OK', 'unsupported_version'],
    ];
    for (const [line, code] of lines) reject(http(line, 'Content-Length: 0', '', ''), code);
  });

  it('refuses a status line longer than the limit', () => {
    const limits: Http1Limits = { ...DEFAULT_LIMITS, maxRequestLineBytes: 30 };
    const line = (reasonLength: number) => `HTTP/1.1 200 ${'x'.repeat(reasonLength)}`;
    assert.equal(parseResponse(http(line(17), 'Content-Length: 0', '', ''), { limits }).error, undefined);
    reject(http(line(18), 'Content-Length: 0', '', ''), 'status_line_too_long', GET, limits);
  });
});

describe('ResponseParser: framing', () => {
  it('reads a Content-Length body', () => {
    const outcome = accept(http('HTTP/1.1 200 OK', 'Content-Length: 5', '', 'hello'));
    assert.equal(outcome.body, 'hello');
    assert.equal(outcome.canReuseConnection, true);
  });

  it('reads a chunked body with trailers', () => {
    const outcome = accept(
      http('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', '5', 'hello', '0', 'Grpc-Status: 0', '', ''),
    );
    assert.equal(outcome.head?.chunked, true);
    assert.equal(outcome.body, 'hello');
    assert.deepEqual(outcome.trailers, ['grpc-status', '0']);
    assert.equal(outcome.canReuseConnection, true);
  });

  it('reads a body without framing until the upstream closes, and never reuses that connection', () => {
    const input = http('HTTP/1.1 200 OK', '', 'until the end');
    const open = parseResponse(input);
    assert.equal(open.complete, false);
    assert.equal(open.body, 'until the end');
    const closed = accept(input, GET, true);
    assert.equal(closed.complete, true);
    assert.equal(closed.head?.keepAlive, false);
    assert.equal(closed.canReuseConnection, false);
  });

  it('reads no body after HEAD, 204 and 304, whatever Content-Length says', () => {
    const head = accept(http('HTTP/1.1 200 OK', 'Content-Length: 1234', '', ''), HEAD);
    assert.equal(head.complete, true);
    assert.equal(head.head?.contentLength, 1234);
    assert.equal(head.canReuseConnection, true);
    const chunkedHead = accept(http('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', ''), HEAD);
    assert.equal(chunkedHead.complete, true);
    assert.equal(accept(http('HTTP/1.1 304 Not Modified', 'Content-Length: 99', '', '')).complete, true);
    assert.equal(accept(http('HTTP/1.1 204 No Content', '', '')).complete, true);
    assert.equal(accept(http('HTTP/1.1 204 No Content', 'Content-Length: 0', '', '')).complete, true);
  });

  it('refuses framing on a 204 (RFC 9110 §8.6)', () => {
    reject(http('HTTP/1.1 204 No Content', 'Content-Length: 5', '', 'hello'), 'body_not_allowed');
    reject(
      http('HTTP/1.1 204 No Content', 'Transfer-Encoding: chunked', '', '0', '', ''),
      'body_not_allowed',
    );
  });

  it('marks a connection with bytes past the response as not reusable (body on HEAD/204/304, extra data)', () => {
    for (const [input, request] of [
      [http('HTTP/1.1 200 OK', 'Content-Length: 5', '', 'hello'), HEAD],
      [http('HTTP/1.1 204 No Content', '', 'hello'), GET],
      [http('HTTP/1.1 304 Not Modified', '', 'hello'), GET],
      [http('HTTP/1.1 200 OK', 'Content-Length: 2', '', 'hello'), GET],
      [http('HTTP/1.1 200 OK', 'Content-Length: 0', '', '', ''), GET],
    ] as const) {
      const outcome = parseResponse(input, { request });
      assert.equal(outcome.complete, true);
      assert.ok(outcome.consumed < input.length);
      assert.equal(outcome.canReuseConnection, false, JSON.stringify(input));
    }
    const late = parseResponse(http('HTTP/1.1 200 OK', 'Content-Length: 0', '', 'x'), { cuts: [38] });
    assert.equal(late.canReuseConnection, false);
  });

  it('refuses ambiguous framing, like requests', () => {
    const cases: [string[], Http1ErrorCode][] = [
      [['Content-Length: 5', 'Transfer-Encoding: chunked'], 'content_length_with_transfer_encoding'],
      [['Transfer-Encoding: chunked', 'Content-Length: 5'], 'content_length_with_transfer_encoding'],
      [['Content-Length: 5', 'Content-Length: 6'], 'duplicate_content_length'],
      [['Content-Length: 5', 'Content-Length: 5'], 'duplicate_content_length'],
      [['Content-Length: 5, 5'], 'duplicate_content_length'],
      [['Content-Length: -5'], 'invalid_content_length'],
      [['Content-Length: 0x5'], 'invalid_content_length'],
      [['Transfer-Encoding: ,chunked'], 'invalid_transfer_encoding'],
      [['Transfer-Encoding: chunked, identity'], 'invalid_transfer_encoding'],
      [['Transfer-Encoding: identity'], 'invalid_transfer_encoding'],
      [['Transfer-Encoding: gzip, chunked'], 'unsupported_transfer_coding'],
      [['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'], 'invalid_transfer_encoding'],
    ];
    for (const [fields, code] of cases) {
      reject(http('HTTP/1.1 200 OK', ...fields, '', '5', 'hello', '0', '', ''), code);
    }
    reject(
      http('HTTP/1.0 200 OK', 'Transfer-Encoding: chunked', '', '0', '', ''),
      'transfer_encoding_in_http10',
    );
  });

  it('refuses a bad chunked body', () => {
    for (const body of [
      '0x5\r\nhello\r\n0\r\n\r\n',
      '5\r\nhelloX\r\n0\r\n\r\n',
      '5;\r\nhello\r\n0\r\n\r\n',
    ]) {
      reject(`${http('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', '')}${body}`);
    }
  });

  it('refuses invalid field lines, like requests', () => {
    for (const line of ['X : y', 'X y: z', ': y', 'X: a\x00b', ' folded', 'X: a\rb']) {
      reject(http('HTTP/1.1 200 OK', 'Content-Length: 0', line, '', ''));
    }
    reject('HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n', 'bare_lf');
    reject('HTTP/1.1 200 OK\r\nX: y\n\r\n', 'bare_lf');
  });

  it('accepts a field value byte only if a request would accept it (0x00-0xFF grid)', () => {
    for (const b of ALL_BYTES) {
      const outcome = parseResponse(http('HTTP/1.1 200 OK', `X: a${b}b`, 'Content-Length: 0', '', ''));
      const code = b.charCodeAt(0);
      const valid = code === 0x09 || (code >= 0x20 && code !== 0x7f);
      assert.equal(outcome.error === undefined, valid, hex(b));
    }
  });
});

describe('ResponseParser: keep-alive', () => {
  it('reuses HTTP/1.1 connections unless Connection says close', () => {
    assert.equal(accept(http('HTTP/1.1 200 OK', 'Content-Length: 0', '', '')).canReuseConnection, true);
    const close = accept(http('HTTP/1.1 200 OK', 'Connection: close', 'Content-Length: 0', '', ''));
    assert.equal(close.head?.keepAlive, false);
    assert.equal(close.canReuseConnection, false);
  });

  it('reuses HTTP/1.0 connections only with Connection: keep-alive and a delimited body', () => {
    assert.equal(accept(http('HTTP/1.0 200 OK', 'Content-Length: 0', '', '')).canReuseConnection, false);
    assert.equal(
      accept(http('HTTP/1.0 200 OK', 'Connection: keep-alive', 'Content-Length: 0', '', ''))
        .canReuseConnection,
      true,
    );
    assert.equal(
      accept(http('HTTP/1.0 200 OK', 'Connection: keep-alive', '', 'x'), GET, true).canReuseConnection,
      false,
    );
  });

  it('does not reuse a connection before the response is complete', () => {
    assert.equal(
      parseResponse(http('HTTP/1.1 200 OK', 'Content-Length: 5', '', 'hel')).canReuseConnection,
      false,
    );
  });
});

describe('ResponseParser: interim responses', () => {
  it('reports 100 Continue and 103 Early Hints separately, then the final response', () => {
    const input =
      http('HTTP/1.1 100 Continue', '', '') +
      http('HTTP/1.1 103 Early Hints', 'Link: </style.css>; rel=preload', '', '') +
      http('HTTP/1.1 201 Created', 'Content-Length: 2', '', 'ok');
    const outcome = accept(input);
    assert.deepEqual(
      outcome.informational.map((h) => [h.status, h.headers]),
      [
        [100, []],
        [103, ['link', '</style.css>; rel=preload']],
      ],
    );
    assert.equal(outcome.head?.status, 201);
    assert.equal(outcome.body, 'ok');
    assert.equal(outcome.canReuseConnection, true);
  });

  it(`refuses more than ${MAX_INFORMATIONAL_RESPONSES} interim responses (1xx flood)`, () => {
    const interim = http('HTTP/1.1 100 Continue', '', '');
    const final = http('HTTP/1.1 200 OK', 'Content-Length: 0', '', '');
    assert.equal(accept(interim.repeat(MAX_INFORMATIONAL_RESPONSES) + final).complete, true);
    reject(interim.repeat(MAX_INFORMATIONAL_RESPONSES + 1) + final, 'too_many_informational');
  });

  it('refuses framing fields on a 1xx', () => {
    reject(http('HTTP/1.1 100 Continue', 'Content-Length: 0', '', ''), 'body_not_allowed');
    reject(http('HTTP/1.1 103 Early Hints', 'Transfer-Encoding: chunked', '', ''), 'body_not_allowed');
  });
});

describe('ResponseParser: tunnels', () => {
  it('ends parsing at a 101 to an Upgrade request: the rest belongs to the new protocol', () => {
    const head = http(
      'HTTP/1.1 101 Switching Protocols',
      'Connection: Upgrade',
      'Upgrade: websocket',
      '',
      '',
    );
    const outcome = parseResponse(`${head}\x81\x05hello`, { request: WEBSOCKET });
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.complete, true);
    assert.equal(outcome.tunnel, true);
    assert.equal(outcome.consumed, head.length);
    assert.equal(outcome.body, '');
    assert.equal(outcome.canReuseConnection, false);
  });

  it('refuses a 101 the request did not ask for, or one without Upgrade', () => {
    const head = http(
      'HTTP/1.1 101 Switching Protocols',
      'Connection: Upgrade',
      'Upgrade: websocket',
      '',
      '',
    );
    reject(head, 'unexpected_switching_protocols', GET);
    reject(
      http('HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', '', ''),
      'unexpected_switching_protocols',
      WEBSOCKET,
    );
  });

  it('treats a refused upgrade as a normal response', () => {
    const outcome = accept(http('HTTP/1.1 403 Forbidden', 'Content-Length: 2', '', 'no'), WEBSOCKET);
    assert.equal(outcome.tunnel, false);
    assert.equal(outcome.body, 'no');
  });

  it('opens a tunnel on 2xx to CONNECT, ignoring its framing fields (RFC 9110 §9.3.6)', () => {
    const head = http('HTTP/1.1 200 Connection Established', 'Transfer-Encoding: chunked', '', '');
    const outcome = parseResponse(`${head}\x16\x03\x01`, { request: CONNECT });
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.tunnel, true);
    assert.equal(outcome.consumed, head.length);
  });

  it('reads the body of a non-2xx answer to CONNECT', () => {
    const outcome = accept(
      http('HTTP/1.1 407 Proxy Authentication Required', 'Content-Length: 4', '', 'auth'),
      CONNECT,
    );
    assert.equal(outcome.tunnel, false);
    assert.equal(outcome.body, 'auth');
  });
});

describe('ResponseParser: end of stream', () => {
  it('tells an upstream that closed without answering from one that cut its response short', () => {
    assert.equal(parseResponse('', { eof: true }).error?.code, 'closed_before_response');
    const cutShort: string[] = [
      'HTTP/1.1 200',
      http('HTTP/1.1 200 OK', 'Content-Length: 5', '', 'hel'),
      http('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', '5', 'hello', ''),
      http('HTTP/1.1 100 Continue', '', ''),
    ];
    for (const input of cutShort) {
      const outcome = parseResponse(input, { eof: true });
      assert.equal(outcome.error?.code, 'incomplete_message', JSON.stringify(input));
      assert.equal(outcome.error?.status, 502);
    }
  });

  it('ignores EOF after a complete response', () => {
    const outcome = parseResponse(http('HTTP/1.1 200 OK', 'Content-Length: 0', '', ''), { eof: true });
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.complete, true);
  });

  it('stays dead after an error and reports nothing more', () => {
    let calls = 0;
    const parser = new ResponseParser(
      {
        onInformational: () => calls++,
        onHead: () => calls++,
        onBody: () => calls++,
        onMessageComplete: () => calls++,
      },
      GET,
    );
    assert.equal(parser.execute(bytes('HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n')), 0);
    assert.equal(parser.error?.code, 'bare_lf');
    assert.equal(parser.execute(bytes(http('HTTP/1.1 200 OK', 'Content-Length: 0', '', ''))), 0);
    parser.finish();
    assert.equal(parser.error?.code, 'bare_lf');
    assert.equal(calls, 0);
  });
});

describe('ResponseParser: incremental input', () => {
  it('gives the same result wherever the input is cut, once or at every byte', () => {
    const input =
      http('HTTP/1.1 100 Continue', '', '') +
      http(
        'HTTP/1.1 200 OK',
        'Transfer-Encoding: chunked',
        'X-A: b',
        '',
        '3;e=1',
        'abc',
        '2',
        'de',
        '0',
        'T: 1',
        '',
        '',
      );
    const whole = summary(parseResponse(input));
    assert.equal(JSON.parse(whole).complete, true);
    for (let at = 0; at <= input.length; at++) {
      assert.equal(summary(parseResponse(input, { cuts: [at] })), whole, `cut at ${at}`);
    }
    const everyByte = Array.from({ length: input.length - 1 }, (_, i) => i + 1);
    assert.equal(summary(parseResponse(input, { cuts: everyByte })), whole);
  });

  it('gives the same close-delimited body wherever the input is cut', () => {
    const input = http('HTTP/1.0 200 OK', 'Server: old', '', 'all of it');
    for (let at = 0; at <= input.length; at++) {
      const outcome = parseResponse(input, { cuts: [at], eof: true });
      assert.equal(outcome.body, 'all of it', `cut at ${at}`);
      assert.equal(outcome.complete, true);
    }
  });
});
