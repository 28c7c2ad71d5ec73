import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytes, http, parseRequests } from './harness.test.util.js';
import { DEFAULT_LIMITS, type Http1Limits } from './limits.js';
import { RequestParser } from './request-parser.js';

/** A request line of exactly `length` bytes (CRLF excluded). */
function requestLineOf(length: number): string {
  const fixed = 'GET / HTTP/1.1'.length;
  return `GET /${'a'.repeat(length - fixed)} HTTP/1.1`;
}

/** Field lines of exactly `total` bytes, CRLFs included: Host plus one filler field. */
function fieldsOf(total: number): string[] {
  const host = 'Host: a'; // 9 bytes with CRLF
  return [host, `X: ${'v'.repeat(total - 9 - 5)}`];
}

/** Feeds `input` in pieces of `size` bytes; returns how many bytes went in before the parser failed. */
function bytesFedUntilError(input: string, size: number, limits: Http1Limits = DEFAULT_LIMITS): number {
  const parser = new RequestParser({ onHead() {}, onBody() {}, onMessageComplete() {} }, limits);
  const data = bytes(input);
  for (let fed = 0; fed < data.length; fed += size) {
    parser.execute(data.subarray(fed, fed + size));
    if (parser.error !== undefined) return fed + size;
  }
  assert.fail('the parser never failed');
}

describe('limits: request line (414)', () => {
  it('accepts a request line of exactly the limit and refuses one byte more', () => {
    const limit = DEFAULT_LIMITS.maxRequestLineBytes;
    assert.equal(parseRequests(http(requestLineOf(limit), 'Host: a', '', '')).error, undefined);
    const outcome = parseRequests(http(requestLineOf(limit + 1), 'Host: a', '', ''));
    assert.equal(outcome.error?.code, 'request_line_too_long');
    assert.equal(outcome.error?.status, 414);
  });

  it('gives the same verdict wherever the input is cut', () => {
    const limits: Http1Limits = { ...DEFAULT_LIMITS, maxRequestLineBytes: 40 };
    const exact = http(requestLineOf(40), 'Host: a', '', '');
    const over = http(requestLineOf(41), 'Host: a', '', '');
    for (let at = 0; at <= over.length; at++) {
      assert.equal(parseRequests(exact, { limits, cuts: [at] }).error, undefined, `cut at ${at}`);
      assert.equal(
        parseRequests(over, { limits, cuts: [at] }).error?.code,
        'request_line_too_long',
        `cut at ${at}`,
      );
    }
  });

  it('refuses a 1 MB request line within the first 64 KiB read, without buffering the rest', () => {
    const huge = `GET /${'a'.repeat(1024 * 1024)} HTTP/1.1\r\nHost: a\r\n\r\n`;
    assert.equal(bytesFedUntilError(huge, 64 * 1024), 64 * 1024);
  });

  it('refuses a request line sent one byte at a time as soon as it passes the limit', () => {
    const fed = bytesFedUntilError(`GET /${'a'.repeat(20_000)}`, 1);
    assert.ok(fed <= DEFAULT_LIMITS.maxRequestLineBytes + 2, `failed only after ${fed} bytes`);
  });
});

describe('limits: header section (431)', () => {
  it('accepts field lines of exactly the limit and refuses one byte more', () => {
    const limit = DEFAULT_LIMITS.maxHeadersBytes;
    assert.equal(parseRequests(http('GET / HTTP/1.1', ...fieldsOf(limit), '', '')).error, undefined);
    const outcome = parseRequests(http('GET / HTTP/1.1', ...fieldsOf(limit + 1), '', ''));
    assert.equal(outcome.error?.code, 'headers_too_large');
    assert.equal(outcome.error?.status, 431);
  });

  it('gives the same verdict wherever the input is cut', () => {
    const limits: Http1Limits = { ...DEFAULT_LIMITS, maxHeadersBytes: 40 };
    const exact = http('GET / HTTP/1.1', ...fieldsOf(40), '', '');
    const over = http('GET / HTTP/1.1', ...fieldsOf(41), '', '');
    for (let at = 0; at <= over.length; at++) {
      assert.equal(parseRequests(exact, { limits, cuts: [at] }).error, undefined, `cut at ${at}`);
      assert.equal(
        parseRequests(over, { limits, cuts: [at] }).error?.code,
        'headers_too_large',
        `cut at ${at}`,
      );
    }
  });

  it('refuses an endless header line as soon as it passes the limit, in any piece size', () => {
    const endless = `GET / HTTP/1.1\r\nHost: a\r\nX: ${'v'.repeat(200_000)}`;
    for (const size of [1, 7, 1024, 64 * 1024]) {
      const fed = bytesFedUntilError(endless, size);
      assert.ok(fed <= 25 + DEFAULT_LIMITS.maxHeadersBytes + size, `size ${size}: failed after ${fed} bytes`);
    }
  });

  it('refuses endless small header lines by size, and never waits for an empty line', () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `X-${i}: v`).join('\r\n'); // about 110 KB
    const limits: Http1Limits = { ...DEFAULT_LIMITS, maxHeadersCount: 10_000 };
    assert.equal(
      parseRequests(`GET / HTTP/1.1\r\nHost: a\r\n${lines}`, { limits }).error?.code,
      'headers_too_large',
    );
  });

  it('accepts exactly the header count limit and refuses one more', () => {
    const fields = (n: number) => ['Host: a', ...Array.from({ length: n - 1 }, (_, i) => `X-${i}: v`)];
    const limit = DEFAULT_LIMITS.maxHeadersCount;
    assert.equal(parseRequests(http('GET / HTTP/1.1', ...fields(limit), '', '')).error, undefined);
    const outcome = parseRequests(http('GET / HTTP/1.1', ...fields(limit + 1), '', ''));
    assert.equal(outcome.error?.code, 'too_many_headers');
    assert.equal(outcome.error?.status, 431);
  });

  it('refuses a 20 KB header with the 16 KiB Node-like limit', () => {
    const limits: Http1Limits = { ...DEFAULT_LIMITS, maxHeadersBytes: 16 * 1024 };
    const outcome = parseRequests(http('GET / HTTP/1.1', 'Host: a', `X: ${'v'.repeat(20_000)}`, '', ''), {
      limits,
    });
    assert.equal(outcome.error?.code, 'headers_too_large');
  });

  it('counts each message on its own: a pipelined second request gets the full budget', () => {
    const limits: Http1Limits = { ...DEFAULT_LIMITS, maxHeadersBytes: 40 };
    const request = http('GET / HTTP/1.1', ...fieldsOf(40), '', '');
    const outcome = parseRequests(request + request + request, { limits });
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.messages.length, 3);
  });
});
