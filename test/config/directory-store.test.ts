/** The watched config directory: atomic per-file updates, last good config kept, recovery, removal, conflicts. */
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Diagnostic } from '../../src/config/diagnostic.js';
import { KIND } from '../../src/config/kinds.js';
import type { ConfigChangeBatch } from '../../src/config/store/config-store.js';
import { DirectoryConfigStore } from '../../src/config/store/directory-store.js';
import { tempDir } from '../support/temp-dir.js';

async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const vs = (name: string, subset: string): string => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
spec:
  hosts: [${name}]
  http:
  - route:
    - destination:
        host: ${name}
        subset: ${subset}
`;

describe('DirectoryConfigStore', () => {
  const dir = tempDir('skein-store-');
  const file = (name: string): string => path.join(dir, name);
  writeFileSync(file('reviews.yaml'), vs('reviews', 'v1'));
  writeFileSync(file('ratings.yml'), vs('ratings', 'v1'));
  const reported = new Map<string, readonly Diagnostic[]>();
  const store = DirectoryConfigStore.open(dir, { debounceMs: 50, onDiagnostics: (f, d) => reported.set(f, d) });
  const batches: ConfigChangeBatch[] = [];
  store.subscribe((batch) => batches.push(batch));
  after(() => store.close());
  const subsetOf = (name: string): string | undefined =>
    (store.get(KIND.VirtualService, 'default', name)?.spec as { http: { route: { destination: { subset: string } }[] }[] } | undefined)?.http[0]?.route[0]?.destination.subset;

  it('loads every file of the directory as one revision', () => {
    assert.equal(store.revision, 1);
    assert.deepEqual(store.list(KIND.VirtualService).map((r) => r.name), ['ratings', 'reviews']);
    assert.equal(store.get(KIND.VirtualService, 'default', 'reviews')?.source?.file, file('reviews.yaml'));
  });

  it('keeps the last good config of a file that turns bad, and reports where it is bad', async () => {
    writeFileSync(file('reviews.yaml'), vs('reviews', 'v2').replace('subset: v2', 'subset: v2\n    timeout: 10q'));
    await waitFor('diagnostics for the bad file', () => (reported.get(file('reviews.yaml'))?.length ?? 0) > 0);
    const [error] = reported.get(file('reviews.yaml')) ?? [];
    assert.equal(error?.code, 'IST0106');
    assert.equal(error?.line, 12);
    assert.equal(error?.fieldPath, 'spec.http[0].timeout');
    assert.equal(subsetOf('reviews'), 'v1');
    assert.equal(store.revision, 1);
    assert.deepEqual(store.diagnostics().map((d) => d.code), ['IST0106']);
  });

  it('recovers when the file is fixed', async () => {
    writeFileSync(file('reviews.yaml'), vs('reviews', 'v2'));
    await waitFor('the fixed file', () => subsetOf('reviews') === 'v2');
    assert.deepEqual(reported.get(file('reviews.yaml')), []);
    assert.deepEqual(store.diagnostics(), []);
    const last = batches.at(-1);
    assert.deepEqual(last?.changes.map((c) => `${c.event} ${c.resource.name}`), ['update reviews']);
  });

  it('follows editors that write a temporary file and rename it over the original', async () => {
    writeFileSync(file('.reviews.yaml.swp'), vs('reviews', 'v3'));
    renameSync(file('.reviews.yaml.swp'), file('reviews.yaml'));
    await waitFor('the renamed file', () => subsetOf('reviews') === 'v3');
  });

  it('rejects a second definition of a resource naming both files, and accepts it once the first is gone', async () => {
    writeFileSync(file('z-ratings-copy.yaml'), vs('ratings', 'v9'));
    await waitFor('the duplicate diagnostic', () => (reported.get(file('z-ratings-copy.yaml'))?.length ?? 0) > 0);
    const [duplicate] = reported.get(file('z-ratings-copy.yaml')) ?? [];
    assert.equal(duplicate?.code, 'SKN0003');
    assert.ok(duplicate?.message.includes(file('ratings.yml')) && duplicate.message.includes(file('z-ratings-copy.yaml')), duplicate?.message);
    assert.equal(subsetOf('ratings'), 'v1');
    rmSync(file('ratings.yml'));
    await waitFor('the copy to take over', () => subsetOf('ratings') === 'v9');
    assert.deepEqual(store.diagnostics(), []);
  });

  it('watches new subdirectories', async () => {
    mkdirSync(file('team-a'));
    writeFileSync(file('team-a/details.json'), JSON.stringify({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'details' }, spec: { host: 'details' } }));
    await waitFor('the file in the new directory', () => store.get(KIND.DestinationRule, 'default', 'details') !== undefined);
    writeFileSync(file('team-a/details.json'), JSON.stringify({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'details' }, spec: { host: 'details', subsets: [{ name: 'v1' }] } }));
    await waitFor('the update in the new directory', () => (store.get(KIND.DestinationRule, 'default', 'details')?.spec as { subsets?: unknown[] }).subsets?.length === 1);
    rmSync(file('team-a'), { recursive: true });
    await waitFor('the removed directory', () => store.get(KIND.DestinationRule, 'default', 'details') === undefined);
  });

  it('removing a file deletes its resources in one batch', async () => {
    const revision = store.revision;
    rmSync(file('reviews.yaml'));
    await waitFor('the deletion', () => store.get(KIND.VirtualService, 'default', 'reviews') === undefined);
    assert.equal(store.revision, revision + 1);
    assert.deepEqual(batches.at(-1)?.changes.map((c) => `${c.event} ${c.resource.name}`), ['delete reviews']);
  });

  it('a burst of writes within the debounce window is applied as one batch', async () => {
    const revision = store.revision;
    writeFileSync(file('a.yaml'), vs('a', 'v1'));
    writeFileSync(file('b.yaml'), vs('b', 'v1'));
    await waitFor('both files', () => store.list(KIND.VirtualService).length === 3);
    assert.equal(store.revision, revision + 1);
  });
});
