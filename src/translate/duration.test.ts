import assert from 'node:assert/strict';
import { test } from 'node:test';
import { durationSeconds, toProtoDuration } from './duration.js';

test('Istio (Go) durations become proto3 JSON durations with 0, 3, 6 or 9 fractional digits', () => {
  assert.equal(toProtoDuration('3m'), '180s');
  assert.equal(toProtoDuration('1h30m'), '5400s');
  assert.equal(toProtoDuration('1.5s'), '1.500s');
  assert.equal(toProtoDuration('500ms'), '0.500s');
  assert.equal(toProtoDuration('250us'), '0.000250s');
  assert.equal(toProtoDuration('0'), '0s');
  assert.equal(toProtoDuration('10'), undefined);
  assert.equal(toProtoDuration('1x'), undefined);
  assert.equal(durationSeconds('24h'), 86400);
});
