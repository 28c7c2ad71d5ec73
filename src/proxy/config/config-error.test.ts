import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeProtoJson } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from './config-error.js';

describe('checkSupported', () => {
  it('flags set fields outside the supported list, ignoring enum zero values and oneof keys', () => {
    const decoded = decodeProtoJson<object>('envoy.config.cluster.v3.Cluster', {
      name: 'c',
      type: 'STATIC',
      lb_policy: 'ROUND_ROBIN',
      respect_dns_ttl: true,
    });
    assert.ok(decoded.ok);
    const errors: ConfigError[] = [];
    checkSupported(
      'envoy.config.cluster.v3.Cluster',
      decoded.value,
      ['name', 'type'],
      ['clusters', 0],
      errors,
    );
    assert.deepEqual(
      errors.map((e) => e.path.join('/')),
      ['clusters/0/respect_dns_ttl'],
    );
  });
});
