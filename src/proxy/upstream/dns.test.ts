import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DnsAnswer, selectFamily, systemResolver } from './dns.js';

const both: DnsAnswer[] = [
  { address: '10.0.0.1', family: 4 },
  { address: 'fd00::1', family: 6 },
  { address: '10.0.0.2', family: 4 },
];
const v4only: DnsAnswer[] = [{ address: '10.0.0.1', family: 4 }];
const pick = (answers: DnsAnswer[], family: Parameters<typeof selectFamily>[1]) =>
  selectFamily(answers, family).map((a) => a.address);

describe('selectFamily', () => {
  it("follows Envoy's dns_lookup_family", () => {
    assert.deepEqual(pick(both, 'AUTO'), ['fd00::1']);
    assert.deepEqual(pick(v4only, 'AUTO'), ['10.0.0.1'], 'AUTO falls back to IPv4');
    assert.deepEqual(pick(both, 'V4_PREFERRED'), ['10.0.0.1', '10.0.0.2']);
    assert.deepEqual(pick([{ address: 'fd00::1', family: 6 }], 'V4_PREFERRED'), ['fd00::1']);
    assert.deepEqual(pick(both, 'V4_ONLY'), ['10.0.0.1', '10.0.0.2']);
    assert.deepEqual(pick(v4only, 'V6_ONLY'), []);
    assert.deepEqual(pick(both, 'ALL'), ['10.0.0.1', 'fd00::1', '10.0.0.2']);
  });
});

describe('systemResolver', () => {
  it('resolves IP literals and localhost through getaddrinfo', async () => {
    assert.deepEqual(await systemResolver.resolve('127.0.0.1'), [{ address: '127.0.0.1', family: 4 }]);
    const local = await systemResolver.resolve('localhost');
    assert.ok(local.some((a) => a.address === '127.0.0.1' || a.address === '::1'));
  });
});
