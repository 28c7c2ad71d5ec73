import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResponseFramingError, type ResponseHead, ResponseReader } from './http-response-reader.js';

const ok = (body: string, extra = ''): string =>
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`;

function collect(reader: ResponseReader, chunks: string[]): ResponseHead[] {
  const heads: ResponseHead[] = [];
  for (const chunk of chunks) reader.feed(Buffer.from(chunk, 'latin1'), (h) => heads.push(h));
  return heads;
}

describe('ResponseReader', () => {
  it('frames back-to-back responses in one chunk', () => {
    const heads = collect(new ResponseReader(), [ok('abc') + ok('') + ok('x'.repeat(1024))]);
    assert.deepEqual(
      heads.map((h) => h.status),
      [200, 200, 200],
    );
  });

  it('frames a response split at every byte', () => {
    const text = ok('hello', 'Connection: close\r\n') + ok('again');
    const reader = new ResponseReader();
    const heads = collect(reader, [...text]);
    assert.equal(heads.length, 2);
    assert.equal(heads[0]!.keepAlive, false);
    assert.equal(heads[1]!.keepAlive, true);
    assert.equal(reader.midResponse, false);
  });

  it('reads the status of error responses', () => {
    const heads = collect(new ResponseReader(), [
      'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 2\r\n\r\nno',
    ]);
    assert.equal(heads[0]!.status, 503);
  });

  it('frames chunked bodies, with extensions and trailers, split at every byte', () => {
    const chunked =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n' +
      'HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n0\r\nx-trailer: 1\r\n\r\n';
    const reader = new ResponseReader();
    const heads = collect(reader, [...chunked, ok('tail')]);
    assert.deepEqual(
      heads.map((h) => h.status),
      [200, 201, 200],
    );
    assert.equal(reader.midResponse, false);
  });

  it('rejects unknown framing and responses without a length', () => {
    assert.throws(
      () => collect(new ResponseReader(), ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n']),
      ResponseFramingError,
    );
    assert.throws(() => collect(new ResponseReader(), ['HTTP/1.1 200 OK\r\n\r\n']), ResponseFramingError);
    assert.throws(() => collect(new ResponseReader(), ['SSH-2.0-OpenSSH\r\n\r\n']), ResponseFramingError);
  });
});
