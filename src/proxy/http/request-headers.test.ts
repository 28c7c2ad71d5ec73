import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HcmConfig } from './hcm-config.js';
import { connectionOptions, getHeaderValues as get } from '../http1/headers.js';
import { isInternalAddress, sanitizeRequestHeaders } from './request-headers.js';

/** Only the fields sanitizing reads; the rest of HcmConfig is irrelevant here. */
function config(overrides: Partial<HcmConfig> = {}): HcmConfig {
  return {
    useRemoteAddress: false,
    skipXffAppend: false,
    generateRequestId: true,
    preserveExternalRequestId: false,
    headersWithUnderscores: 'ALLOW',
    via: '',
    ...overrides,
  } as HcmConfig;
}

describe('sanitizeRequestHeaders', () => {
  const internalPeer = { address: '10.1.2.3', internal: true };
  const externalPeer = { address: '203.0.113.9', internal: false };

  it('drops hop-by-hop, framing and Connection-listed headers but forwards te: trailers', () => {
    const received = [
      'connection', 'x-hop, keep-alive', 'keep-alive', 'timeout=5', 'x-hop', '1', 'transfer-encoding', 'chunked',
      'content-length', '5', 'expect', '100-continue', 'upgrade', 'h2c', 'proxy-connection', 'x', 'host', 'a',
      'te', 'trailers', 'x-keep', 'yes',
    ];
    const out = sanitizeRequestHeaders(received, connectionOptions(received), internalPeer, 'http', config())!;
    const names = out.headers.filter((_, i) => i % 2 === 0);
    assert.deepEqual(names.filter((n) => !n.startsWith('x-forwarded') && n !== 'x-request-id'), ['te', 'x-keep']);
    const gzip = sanitizeRequestHeaders(['te', 'gzip'], undefined, internalPeer, 'http', config())!;
    assert.deepEqual(get(gzip.headers, 'te'), []);
  });

  it('appends the peer to x-forwarded-for only with use_remote_address (and not skip_xff_append)', () => {
    const received = ['x-forwarded-for', '1.1.1.1'];
    assert.deepEqual(get(sanitizeRequestHeaders(received, undefined, externalPeer, 'http', config())!.headers, 'x-forwarded-for'), ['1.1.1.1']);
    const edge = sanitizeRequestHeaders(received, undefined, externalPeer, 'http', config({ useRemoteAddress: true }))!;
    assert.deepEqual(get(edge.headers, 'x-forwarded-for'), ['1.1.1.1,203.0.113.9']);
    const skip = sanitizeRequestHeaders(received, undefined, externalPeer, 'http', config({ useRemoteAddress: true, skipXffAppend: true }))!;
    assert.deepEqual(get(skip.headers, 'x-forwarded-for'), ['1.1.1.1']);
  });

  it('lets an edge proxy overwrite x-forwarded-proto and strip x-envoy-* from external peers only', () => {
    const received = ['x-forwarded-proto', 'https', 'x-envoy-retry-on', '5xx', 'x-forwarded-client-cert', 'spoof'];
    const edgeExternal = sanitizeRequestHeaders(received, undefined, externalPeer, 'http', config({ useRemoteAddress: true }))!;
    assert.deepEqual(get(edgeExternal.headers, 'x-forwarded-proto'), ['http']);
    assert.deepEqual(get(edgeExternal.headers, 'x-envoy-retry-on'), []);
    assert.deepEqual(get(edgeExternal.headers, 'x-forwarded-client-cert'), []);
    const edgeInternal = sanitizeRequestHeaders(received, undefined, internalPeer, 'http', config({ useRemoteAddress: true }))!;
    assert.deepEqual(get(edgeInternal.headers, 'x-envoy-retry-on'), ['5xx']);
    const sidecar = sanitizeRequestHeaders(received, undefined, externalPeer, 'http', config())!;
    assert.deepEqual(get(sidecar.headers, 'x-forwarded-proto'), ['https'], 'a non-edge proxy keeps the received scheme');
  });

  it('keeps an internal request id, regenerates an external one at the edge, generates a missing one', () => {
    const received = ['x-request-id', 'abc'];
    assert.equal(sanitizeRequestHeaders(received, undefined, internalPeer, 'http', config({ useRemoteAddress: true }))!.requestId, 'abc');
    assert.notEqual(sanitizeRequestHeaders(received, undefined, externalPeer, 'http', config({ useRemoteAddress: true }))!.requestId, 'abc');
    assert.equal(
      sanitizeRequestHeaders(received, undefined, externalPeer, 'http', config({ useRemoteAddress: true, preserveExternalRequestId: true }))!
        .requestId,
      'abc',
    );
    assert.match(sanitizeRequestHeaders([], undefined, internalPeer, 'http', config())!.requestId, /^[0-9a-f-]{36}$/);
  });

  it('applies headers_with_underscores_action', () => {
    const received = ['x_under', '1'];
    assert.equal(sanitizeRequestHeaders(received, undefined, internalPeer, 'http', config({ headersWithUnderscores: 'REJECT_REQUEST' })), undefined);
    const dropped = sanitizeRequestHeaders(received, undefined, internalPeer, 'http', config({ headersWithUnderscores: 'DROP_HEADER' }))!;
    assert.deepEqual(get(dropped.headers, 'x_under'), []);
  });

  it("classifies Envoy's default internal ranges", () => {
    for (const address of ['10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '127.0.0.1', '::1', 'fd00::1', '::ffff:10.0.0.1']) {
      assert.ok(isInternalAddress(address), address);
    }
    for (const address of ['172.32.0.1', '8.8.8.8', '2001:db8::1', '::ffff:8.8.8.8']) assert.ok(!isInternalAddress(address), address);
  });
});
