import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigResource } from '../../model/config.js';
import { KIND } from '../kinds.js';
import type { ConfigChangeBatch } from './config-store.js';
import { MemoryConfigStore } from './memory-store.js';

function vs(name: string, revision: string, namespace = 'default'): ConfigResource {
  return { group: 'networking.istio.io', kind: 'VirtualService', version: 'v1', name, namespace, labels: {}, annotations: {}, spec: { hosts: [name] }, revision };
}

describe('MemoryConfigStore', () => {
  it('applies a batch under one revision and notifies once', () => {
    const store = new MemoryConfigStore();
    const batches: ConfigChangeBatch[] = [];
    store.subscribe((b) => batches.push(b));
    store.apply([vs('a', '1'), vs('b', '1')]);
    assert.equal(store.revision, 1);
    assert.equal(batches.length, 1);
    assert.deepEqual(batches[0]?.changes.map((c) => `${c.event} ${c.resource.name}`), ['add a', 'add b']);
    assert.deepEqual(store.list(KIND.VirtualService).map((r) => r.name), ['a', 'b']);
    assert.equal(store.get(KIND.VirtualService, 'default', 'b')?.revision, '1');
    assert.equal(store.list(KIND.DestinationRule).length, 0);
  });

  it('ignores unchanged resources, reports updates with the previous version, and deletes', () => {
    const store = new MemoryConfigStore();
    store.apply([vs('a', '1')]);
    assert.equal(store.apply([vs('a', '1')]), undefined);
    assert.equal(store.revision, 1);
    const update = store.apply([vs('a', '2')]);
    assert.equal(update?.changes[0]?.event, 'update');
    assert.equal(update?.changes[0]?.previous?.revision, '1');
    const removed = store.delete(KIND.VirtualService, 'default', 'a');
    assert.equal(removed?.changes[0]?.event, 'delete');
    assert.equal(store.revision, 3);
    assert.equal(store.delete(KIND.VirtualService, 'default', 'a'), undefined);
  });

  it('keeps snapshots immutable across later writes', () => {
    const store = new MemoryConfigStore();
    store.apply([vs('a', '1')]);
    const before = store.snapshot();
    store.apply([vs('b', '1')]);
    store.delete(KIND.VirtualService, 'default', 'a');
    assert.equal(before.revision, 1);
    assert.deepEqual(before.list(KIND.VirtualService).map((r) => r.name), ['a']);
    assert.deepEqual(store.snapshot().list(KIND.VirtualService).map((r) => r.name), ['b']);
  });
});
