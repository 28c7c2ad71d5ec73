import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allHeaders, firstHeader, hasHeader, joinedHeader, removeHeader, setHeader } from './headers.js';

describe('flat header lists', () => {
  const headers = () => ['a', '1', 'b', '2', 'a', '3'];

  it('reads first, all and comma-joined values', () => {
    assert.equal(firstHeader(headers(), 'a'), '1');
    assert.deepEqual(allHeaders(headers(), 'a'), ['1', '3']);
    assert.equal(joinedHeader(headers(), 'a'), '1,3');
    assert.equal(joinedHeader(headers(), 'b'), '2');
    assert.equal(joinedHeader(headers(), 'c'), undefined);
    assert.ok(hasHeader(headers(), 'b'));
  });

  it('removes and sets in place', () => {
    const list = headers();
    removeHeader(list, 'a');
    assert.deepEqual(list, ['b', '2']);
    setHeader(list, 'b', 'x');
    assert.deepEqual(list, ['b', 'x']);
  });
});
