import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainIndex, withoutPort } from './domain-index.js';

function index(domains: string[], ignorePort = false): DomainIndex<string> {
  const result = new DomainIndex<string>(ignorePort);
  for (const domain of domains) assert.equal(result.add(domain, domain), undefined, domain);
  return result;
}

describe('DomainIndex (RouteMatcher::findVirtualHost)', () => {
  const domains = [
    'api.example.com',
    'Secret.COM',
    '*.example.com',
    '*-bar.example.com',
    '*.com',
    'foo.*',
    'foo.bar.*',
    'svc:8080',
    '*',
  ];
  const cases: [string, string | undefined][] = [
    ['api.example.com', 'api.example.com'], // exact beats wildcards
    ['API.Example.COM', 'api.example.com'], // hosts are case-insensitive (RFC 4343)
    ['secret.com', 'Secret.COM'],
    ['x.example.com', '*.example.com'],
    ['foo-bar.example.com', '*-bar.example.com'], // longest suffix first
    ['a.b.example.com', '*.example.com'],
    ['.example.com', '*.com'], // '*.example.com' must match at least one character
    ['other.com', '*.com'],
    ['foo.org', 'foo.*'],
    ['foo.bar.org', 'foo.bar.*'], // longest prefix first
    ['api.example.com:80', '*'], // a port is part of the host: no exact match without it
    ['svc:8080', 'svc:8080'],
    ['svc', '*'],
    ['svc:9090', '*'],
    ['unknown', '*'], // Host without port must still reach '*'
  ];
  for (const [host, expected] of cases) {
    it(`${host} -> ${expected}`, () => assert.equal(index(domains).find(host), expected));
  }

  it('suffix wildcards are tried before prefix wildcards', () => {
    assert.equal(index(['foo.*', '*.com']).find('foo.com'), '*.com');
  });

  it('finds nothing without a Host unless only the default exists', () => {
    assert.equal(index(['a.com', '*']).find(''), undefined);
    assert.equal(index(['*']).find(''), '*');
    assert.equal(index(['a.com']).find('b.com'), undefined);
  });

  it('can ignore the port of the Host', () => {
    const ignoring = index(['api.example.com', '*.svc'], true);
    assert.equal(ignoring.find('api.example.com:443'), 'api.example.com');
    assert.equal(ignoring.find('x.svc:80'), '*.svc');
    assert.equal(withoutPort('[::1]:80'), '[::1]');
    assert.equal(withoutPort('[::1]'), '[::1]');
  });

  it('reports duplicates, including case variants and a second "*"', () => {
    const result = new DomainIndex<number>(false);
    assert.equal(result.add('a.com', 1), undefined);
    assert.match(result.add('A.com', 2)!, /duplicate domain 'a.com'/);
    assert.equal(result.add('*.a.com', 3), undefined);
    assert.match(result.add('*.A.com', 4)!, /duplicate/);
    assert.equal(result.add('*', 5), undefined);
    assert.match(result.add('*', 6)!, /only one/);
  });
});
