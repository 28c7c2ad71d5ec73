import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  forwardableHeaders,
  getHeader,
  getHeaderValues,
  HOP_BY_HOP_HEADERS,
  hopByHopNames,
  isToken,
  isValidHeaderValue,
  removeHeaders,
  splitList,
} from './headers.js';

const HEADERS = ['host', 'a', 'x-role', 'user', 'accept', '*/*', 'x-role', 'admin'];

describe('header helpers', () => {
  it('get the first value or every value of a name', () => {
    assert.equal(getHeader(HEADERS, 'x-role'), 'user');
    assert.equal(getHeader(HEADERS, 'missing'), undefined);
    assert.deepEqual(getHeaderValues(HEADERS, 'x-role'), ['user', 'admin']);
    assert.deepEqual(getHeaderValues(HEADERS, 'missing'), []);
  });

  it('remove names without touching the input', () => {
    assert.deepEqual(removeHeaders(HEADERS, new Set(['x-role'])), ['host', 'a', 'accept', '*/*']);
    assert.equal(HEADERS.length, 8);
  });

  it('treat the fixed hop-by-hop set and every Connection option as hop-by-hop', () => {
    const headers = ['connection', 'Keep-Alive, X-Secret', 'connection', ', x-other', 'x-secret', '1'];
    const names = hopByHopNames(headers);
    for (const name of HOP_BY_HOP_HEADERS) assert.ok(names.has(name), name);
    assert.ok(names.has('x-secret'));
    assert.ok(names.has('x-other'));
    assert.ok(!names.has(''));
  });

  it('never let Connection strip Host', () => {
    assert.ok(!hopByHopNames(['connection', 'host, Host']).has('host'));
  });

  it('keep only end-to-end fields for forwarding, Content-Length included in what goes', () => {
    const received = [
      'host',
      'a',
      'connection',
      'keep-alive, x-hop',
      'keep-alive',
      'timeout=5',
      'x-hop',
      'secret',
      'transfer-encoding',
      'chunked',
      'content-length',
      '5',
      'te',
      'trailers',
      'upgrade',
      'websocket',
      'proxy-connection',
      'keep-alive',
      'trailer',
      'x-sum',
      'x-end',
      'kept',
    ];
    assert.deepEqual(forwardableHeaders(received), ['host', 'a', 'x-end', 'kept']);
  });

  it('split lists at commas and trim OWS, keeping empty elements visible', () => {
    assert.deepEqual(splitList('a, b ,\tc'), ['a', 'b', 'c']);
    assert.deepEqual(splitList(',chunked'), ['', 'chunked']);
    assert.deepEqual(splitList(''), ['']);
    assert.deepEqual(splitList('a,,b'), ['a', '', 'b']);
  });

  it('recognize tokens and valid field values', () => {
    assert.ok(isToken("!#$%&'*+-.^_`|~09azAZ"));
    for (const bad of ['', 'a b', 'a:b', 'a\r', '(a)', 'caf\xe9', '\u0100'])
      assert.ok(!isToken(bad), JSON.stringify(bad));
    for (const good of ['', 'plain', 'with space\tand tab', 'caf\xe9', '\x80\xff']) {
      assert.ok(isValidHeaderValue(good), JSON.stringify(good));
    }
    for (const bad of ['a\r\nb', 'a\nb', 'a\rb', '\x00', '\x7f', '\x1b[31m', '\u20ac']) {
      assert.ok(!isValidHeaderValue(bad), JSON.stringify(bad));
    }
  });
});
