import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { combineHash, hashString } from '../../lib/hash.js';
import { cookieValue } from './cookies.js';
import { compileErrors, compileTable, request, singleHost } from './test-support.js';
import type { ForwardAction, RouteRequest } from './types.js';

function hashOf(policies: object[], req: Partial<RouteRequest>): number | undefined {
  const table = compileTable(
    singleHost([{ match: { prefix: '/' }, route: { cluster: 'c', hash_policy: policies } }]),
  );
  return (table.route(request())!.route.action as ForwardAction).hash(request(req));
}

describe('hash_policy', () => {
  it('hashes a header, order-independently across repeated values', () => {
    const one = hashOf([{ header: { header_name: 'X-User' } }], { headers: ['x-user', 'a', 'x-user', 'b'] });
    const two = hashOf([{ header: { header_name: 'x-user' } }], { headers: ['x-user', 'b', 'x-user', 'a'] });
    assert.equal(one, two);
    assert.notEqual(one, hashOf([{ header: { header_name: 'x-user' } }], { headers: ['x-user', 'a'] }));
    assert.equal(hashOf([{ header: { header_name: 'x-user' } }], {}), undefined);
  });

  it('applies the header regex_rewrite before hashing', () => {
    const policy = [
      { header: { header_name: ':path', regex_rewrite: { pattern: { regex: '\\?.*' }, substitution: '' } } },
    ];
    assert.equal(hashOf(policy, { path: '/a?x=1' }), hashOf(policy, { path: '/a?y=2' }));
    assert.notEqual(hashOf(policy, { path: '/a?x=1' }), hashOf(policy, { path: '/b?x=1' }));
  });

  it('hashes a cookie, the source IP and a query parameter', () => {
    assert.equal(
      hashOf([{ cookie: { name: 'session' } }], { headers: ['cookie', 'a=1; session="abc"'] }),
      hashString('abc'),
    );
    assert.equal(hashOf([{ cookie: { name: 'session' } }], { headers: ['cookie', 'a=1'] }), undefined);
    assert.equal(
      hashOf([{ connection_properties: { source_ip: true } }], { sourceAddress: '1.2.3.4' }),
      hashString('1.2.3.4'),
    );
    assert.equal(hashOf([{ query_parameter: { name: 'u' } }], { path: '/p?u=7&u=8' }), hashString('7'));
  });

  it('combines policies in order and stops at a terminal one that produced a hash', () => {
    const req = { sourceAddress: '1.2.3.4', path: '/p?u=7' };
    assert.equal(
      hashOf([{ connection_properties: { source_ip: true } }, { query_parameter: { name: 'u' } }], req),
      combineHash(hashString('1.2.3.4'), hashString('7')),
    );
    assert.equal(
      hashOf(
        [{ connection_properties: { source_ip: true }, terminal: true }, { query_parameter: { name: 'u' } }],
        req,
      ),
      hashString('1.2.3.4'),
    );
    // A terminal policy without a value does not stop the evaluation.
    assert.equal(
      hashOf(
        [{ header: { header_name: 'x-none' }, terminal: true }, { query_parameter: { name: 'u' } }],
        req,
      ),
      hashString('7'),
    );
  });

  it('rejects cookie generation and filter_state', () => {
    const errors = compileErrors(
      singleHost([
        {
          match: { prefix: '/' },
          route: {
            cluster: 'c',
            hash_policy: [{ cookie: { name: 's', ttl: '10s' } }, { filter_state: { key: 'k' } }],
          },
        },
      ]),
    );
    assert.deepEqual(
      errors.map((e) => e.path.slice(4).join('.')),
      ['route.hash_policy.0.cookie.ttl', 'route.hash_policy.1.filter_state'],
    );
  });

  it('parses cookies like Envoy', () => {
    assert.equal(cookieValue(['cookie', ' a=1;  b=2', 'cookie', 'c="q"'], 'b'), '2');
    assert.equal(cookieValue(['cookie', 'a=1', 'cookie', 'c="q"'], 'c'), 'q');
    assert.equal(cookieValue(['cookie', 'novalue; a'], 'a'), undefined);
  });
});
