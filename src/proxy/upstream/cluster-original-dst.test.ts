import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpPort } from './cluster-original-dst.js';

describe('parseIpPort', () => {
  it('accepts IP literals with a port, IPv6 in brackets', () => {
    assert.deepEqual(parseIpPort('10.195.16.237:8888'), { address: '10.195.16.237', port: 8888 });
    assert.deepEqual(parseIpPort('[::1]:80'), { address: '::1', port: 80 });
  });

  it('rejects names, missing ports, bad ports and unbracketed IPv6', () => {
    for (const value of ['example.com:80', '10.0.0.1', '10.0.0.1:70000', '::1:80', '[10.0.0.1]:80', '']) {
      assert.equal(parseIpPort(value), undefined, value);
    }
  });
});
