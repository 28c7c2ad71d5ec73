import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRequests, parseResponse } from './harness.test.util.js';
import {
  chunkSizeLine,
  encodeChunk,
  encodeLastChunk,
  LAST_CHUNK,
  serializeRequestHead,
  serializeResponseHead,
} from './serializer.js';

describe('serializeRequestHead', () => {
  it('writes the request line, the fields in order, one framing field and the empty line', () => {
    const headers = ['host', 'a.example', 'x-role', 'user', 'x-role', 'admin'];
    assert.equal(
      serializeRequestHead('GET', '/x?y=1', headers, 'none'),
      'GET /x?y=1 HTTP/1.1\r\nhost: a.example\r\nx-role: user\r\nx-role: admin\r\n\r\n',
    );
    assert.equal(
      serializeRequestHead('POST', '/', ['host', 'a'], 12),
      'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 12\r\n\r\n',
    );
    assert.equal(
      serializeRequestHead('POST', '/', ['host', 'a'], 'chunked'),
      'POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n',
    );
    assert.equal(serializeRequestHead('POST', '/', [], 0), 'POST / HTTP/1.1\r\ncontent-length: 0\r\n\r\n');
  });

  it('keeps obs-text values byte for byte when written as latin1', () => {
    const head = serializeRequestHead('GET', '/', ['host', 'a', 'x-name', 'caf\xe9'], 'none');
    assert.equal(parseRequests(Buffer.from(head, 'latin1')).messages[0]?.head.headers[3], 'caf\xe9');
  });

  it('refuses anything that could split or reframe the message', () => {
    const bad: [string, string, string[], number | 'chunked' | 'none'][] = [
      ['GET', '/', ['x', 'a\r\nInjected: 1'], 'none'],
      ['GET', '/', ['x', 'a\nb'], 'none'],
      ['GET', '/', ['x', 'a\rb'], 'none'],
      ['GET', '/', ['x', 'a\x00b'], 'none'],
      ['GET', '/', ['x', 'caf\u00e9\u20ac'], 'none'],
      ['GET', '/', ['x y', 'v'], 'none'],
      ['GET', '/', ['x:y', 'v'], 'none'],
      ['GET', '/', ['', 'v'], 'none'],
      ['GET', '/', ['x'], 'none'],
      ['GET', '/', ['content-length', '5'], 'none'],
      ['GET', '/', ['Content-Length', '5'], 5],
      ['GET', '/', ['transfer-encoding', 'chunked'], 'none'],
      ['GET', '/', ['TRANSFER-ENCODING', 'chunked'], 'chunked'],
      ['GET', '/ HTTP/1.1\r\nX: y', [], 'none'],
      ['GET', '/a b', [], 'none'],
      ['GET', '', [], 'none'],
      ['G T', '/', [], 'none'],
      ['', '/', [], 'none'],
      ['GET', '/', [], -1],
      ['GET', '/', [], 1.5],
      ['GET', '/', [], Number.NaN],
      ['GET', '/', [], 2 ** 53],
    ];
    for (const [method, target, headers, framing] of bad) {
      assert.throws(
        () => serializeRequestHead(method, target, headers, framing),
        TypeError,
        JSON.stringify([method, target, headers, framing]),
      );
    }
  });
});

describe('serializeResponseHead', () => {
  it('writes the status line with the standard reason unless one is given', () => {
    assert.equal(
      serializeResponseHead(200, undefined, ['server', 'skein'], 2),
      'HTTP/1.1 200 OK\r\nserver: skein\r\ncontent-length: 2\r\n\r\n',
    );
    assert.equal(
      serializeResponseHead(431, undefined, [], 0),
      'HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n',
    );
    assert.equal(serializeResponseHead(299, undefined, [], 'none'), 'HTTP/1.1 299 \r\n\r\n');
    assert.equal(
      serializeResponseHead(200, 'Fine', [], 'chunked'),
      'HTTP/1.1 200 Fine\r\ntransfer-encoding: chunked\r\n\r\n',
    );
  });

  it('refuses bad statuses and reasons, and framing on 1xx and 204', () => {
    assert.throws(() => serializeResponseHead(99, undefined, [], 'none'), TypeError);
    assert.throws(() => serializeResponseHead(600, undefined, [], 'none'), TypeError);
    assert.throws(() => serializeResponseHead(200.5, undefined, [], 'none'), TypeError);
    assert.throws(() => serializeResponseHead(200, 'OK\r\nX: y', [], 'none'), TypeError);
    assert.throws(() => serializeResponseHead(204, undefined, [], 0), TypeError);
    assert.throws(() => serializeResponseHead(100, undefined, [], 'chunked'), TypeError);
    assert.equal(
      serializeResponseHead(304, undefined, [], 10),
      'HTTP/1.1 304 Not Modified\r\ncontent-length: 10\r\n\r\n',
    );
  });
});

describe('chunk encoding', () => {
  it('frames a chunk as hex size, CRLF, data, CRLF in one buffer', () => {
    assert.equal(encodeChunk(Buffer.from('hello')).toString('latin1'), '5\r\nhello\r\n');
    assert.equal(encodeChunk(Buffer.alloc(300, 'x')).toString('latin1'), `12c\r\n${'x'.repeat(300)}\r\n`);
    assert.equal(chunkSizeLine(4096), '1000\r\n');
  });

  it('never writes a zero-size chunk for empty data, which would end the body', () => {
    assert.equal(encodeChunk(Buffer.alloc(0)).length, 0);
    assert.throws(() => chunkSizeLine(0), RangeError);
    assert.throws(() => chunkSizeLine(-1), RangeError);
  });

  it('ends a body with the last chunk, with or without trailers', () => {
    assert.equal(LAST_CHUNK.toString('latin1'), '0\r\n\r\n');
    assert.equal(encodeLastChunk(), LAST_CHUNK);
    assert.equal(encodeLastChunk([]), LAST_CHUNK);
    assert.equal(encodeLastChunk(['grpc-status', '0']).toString('latin1'), '0\r\ngrpc-status: 0\r\n\r\n');
    assert.throws(() => encodeLastChunk(['x', 'a\r\nb']), TypeError);
    assert.throws(() => encodeLastChunk(['content-length', '1']), TypeError);
  });

  it('round-trips through the parsers', () => {
    const head = serializeRequestHead('PUT', '/up', ['host', 'a'], 'chunked');
    const wire = Buffer.concat([
      Buffer.from(head, 'latin1'),
      encodeChunk(Buffer.from('hello ')),
      encodeChunk(Buffer.from('world')),
      encodeLastChunk(['x-sum', '42']),
    ]);
    const message = parseRequests(wire).messages[0];
    assert.equal(message?.body, 'hello world');
    assert.deepEqual(message?.trailers, ['x-sum', '42']);

    const response = Buffer.concat([
      Buffer.from(serializeResponseHead(200, undefined, ['x-a', 'b'], 'chunked'), 'latin1'),
      encodeChunk(Buffer.from('ok')),
      LAST_CHUNK,
    ]);
    const outcome = parseResponse(response);
    assert.equal(outcome.body, 'ok');
    assert.equal(outcome.canReuseConnection, true);
  });
});
