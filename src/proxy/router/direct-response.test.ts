import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileErrors, compileTable, request, singleHost } from './test-support.js';
import type { DirectResponseAction } from './types.js';

function direct(response: object, extra: object = {}): DirectResponseAction {
  const table = compileTable({
    ...(singleHost([{ match: { prefix: '/' }, direct_response: response }]) as object),
    ...extra,
  });
  return table.route(request())!.route.action as DirectResponseAction;
}

describe('direct_response', () => {
  it('serves a status and an inline body', () => {
    const action = direct({ status: 200, body: { inline_string: 'ok\n' } });
    assert.equal(action.status, 200);
    assert.equal(action.body?.toString(), 'ok\n');
    assert.deepEqual(
      direct({ status: 503, body: { inline_bytes: Buffer.from([1, 2]).toString('base64') } }).body,
      Buffer.from([1, 2]),
    );
    assert.equal(direct({ status: 204 }).body, undefined);
  });

  it('adds the request URL as location for 201 and 3xx only', () => {
    assert.equal(direct({ status: 302 }).location(request({ path: '/a?b' })), 'http://example.com/a?b');
    assert.equal(direct({ status: 201 }).location(request()), 'http://example.com/');
    assert.equal(direct({ status: 200 }).location(request()), undefined);
  });

  it('limits the body to max_direct_response_body_size_bytes (default 4096)', () => {
    direct({ status: 200, body: { inline_string: 'x'.repeat(4096) } });
    const errors = compileErrors(
      singleHost([
        {
          match: { prefix: '/' },
          direct_response: { status: 200, body: { inline_string: 'x'.repeat(4097) } },
        },
      ]),
    );
    assert.deepEqual(
      errors.map((e) => e.path.slice(4).join('.')),
      ['direct_response.body'],
    );
    assert.equal(
      direct(
        { status: 200, body: { inline_string: 'x'.repeat(5000) } },
        { max_direct_response_body_size_bytes: 8192 },
      ).body?.length,
      5000,
    );
  });

  it('rejects out-of-range statuses and file bodies', () => {
    const paths = (response: object) =>
      compileErrors(singleHost([{ match: { prefix: '/' }, direct_response: response }])).map((e) =>
        e.path.slice(4).join('.'),
      );
    assert.deepEqual(paths({ status: 600 }), ['direct_response.status']);
    assert.deepEqual(paths({ status: 199 }), ['direct_response.status']);
    assert.deepEqual(paths({ status: 200, body: { filename: '/etc/passwd' } }), [
      'direct_response.body.filename',
    ]);
  });
});
