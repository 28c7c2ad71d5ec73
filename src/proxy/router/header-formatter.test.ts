import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import type { ConfigError } from '../config/config-error.js';
import { compileHeaderFormat } from './header-formatter.js';
import { formatContext } from './test-support.js';

function format(value: string, requestHeaders: string[] = [], extra = {}): string | undefined {
  const errors: ConfigError[] = [];
  const formatter = compileHeaderFormat(value, ['value'], errors);
  return formatter?.({ context: formatContext({ requestHeaders, ...extra }), requestHeaders });
}

function error(value: string): string {
  const errors: ConfigError[] = [];
  assert.equal(compileHeaderFormat(value, ['value'], errors), undefined);
  return errors[0]!.message;
}

describe('compileHeaderFormat', () => {
  it('substitutes connection and request commands', () => {
    assert.equal(format('%DOWNSTREAM_REMOTE_ADDRESS%'), '10.0.0.1:5555');
    assert.equal(format('ip=%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%;'), 'ip=10.0.0.1;');
    assert.equal(
      format('%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%', [], { downstreamRemoteAddress: '[::1]:80' }),
      '::1',
    );
    assert.equal(format('%DOWNSTREAM_LOCAL_ADDRESS%'), '10.0.0.2:8080');
    assert.equal(format('%UPSTREAM_REMOTE_ADDRESS%', [], { upstreamHost: '10.1.1.1:80' }), '10.1.1.1:80');
    assert.equal(format('%UPSTREAM_REMOTE_ADDRESS%'), ''); // nothing to show yet
    assert.equal(format('%PROTOCOL%'), 'HTTP/1.1');
    assert.equal(format('%HOSTNAME%'), hostname());
    assert.equal(
      format('%START_TIME%', [], { startTime: Date.UTC(2024, 0, 2, 3, 4, 5, 6) }),
      '2024-01-02T03:04:05.006Z',
    );
  });

  it('reads request headers with an alternative and a length limit', () => {
    const headers = ['x-a', 'alpha', 'x-b', 'beta', 'host', 'h.example'];
    assert.equal(format('%REQ(X-A)%', headers), 'alpha');
    assert.equal(format('%REQ(x-missing?x-b)%', headers), 'beta');
    assert.equal(format('%REQ(x-a):3%', headers), 'alp');
    assert.equal(format('%REQ(:authority)%', headers), 'h.example');
    assert.equal(format('[%REQ(x-missing)%]', headers), '[]');
  });

  it('treats %% as a literal percent sign', () => {
    assert.equal(format('100%%'), '100%');
    assert.equal(format('%%DOWNSTREAM_REMOTE_ADDRESS%%'), '%DOWNSTREAM_REMOTE_ADDRESS%');
    assert.equal(format('plain'), 'plain');
  });

  it('rejects unknown commands and malformed expressions', () => {
    assert.match(error('%NOT_A_COMMAND%'), /unknown or unsupported command %NOT_A_COMMAND%/);
    assert.match(error('50%'), /invalid '%' at position 2/);
    assert.match(error('%REQ%'), /needs one header name/);
    assert.match(error('%START_TIME(%s)%'), /invalid '%'|not supported/);
    assert.match(error('%PROTOCOL(x)%'), /takes no arguments/);
  });
});
