import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergePushRequests, type PushRequest } from './push-request.js';

const config = (...kinds: string[]): PushRequest => ({ full: true, reason: ['config'], configsUpdated: new Set(kinds) });

describe('mergePushRequests: updated config kinds', () => {
  it('two config-only pushes merge into the union of their kinds', () => {
    const merged = mergePushRequests(config('virtualServices'), config('destinationRules'));
    assert.deepEqual([...(merged.configsUpdated ?? [])].sort(), ['destinationRules', 'virtualServices']);
  });

  it('a push that may change anything absorbs the kinds', () => {
    assert.equal(mergePushRequests(config('virtualServices'), { full: true, reason: ['service'] }).configsUpdated, undefined);
    assert.equal(mergePushRequests({ full: true, reason: ['proxyrequest'] }, config('virtualServices')).configsUpdated, undefined);
  });

  it('an endpoint change merged into a config push keeps every type (EDS included)', () => {
    const endpoints: PushRequest = { full: false, reason: ['endpoint'], edsUpdates: new Set(['reviews.default.svc.cluster.local']) };
    for (const merged of [mergePushRequests(config('virtualServices'), endpoints), mergePushRequests(endpoints, config('virtualServices'))]) {
      assert.equal(merged.full, true);
      assert.equal(merged.configsUpdated, undefined);
    }
  });
});
