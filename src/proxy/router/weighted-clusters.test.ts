import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mutateRequestHeaders } from './route-table.js';
import { compileErrors, compileTable, formatContext, request, singleHost } from './test-support.js';
import type { ForwardAction } from './types.js';

function forward(weighted: object): ForwardAction {
  const table = compileTable(
    singleHost([{ match: { prefix: '/' }, route: { weighted_clusters: weighted } }]),
  );
  const action = table.route(request())!.route.action;
  assert.equal(action.kind, 'forward');
  return action as ForwardAction;
}

describe('weighted_clusters', () => {
  it('picks clusters in proportion to their weights (3 sigma over 10,000 picks)', () => {
    const action = forward({
      clusters: [
        { name: 'a', weight: 70 },
        { name: 'b', weight: 20 },
        { name: 'c', weight: 10 },
        { name: 'z', weight: 0 },
      ],
    });
    const counts = new Map<string, number>();
    const picks = 10_000;
    for (let i = 0; i < picks; i++) {
      const name = action.pickCluster(request())!;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    for (const [name, share] of [
      ['a', 0.7],
      ['b', 0.2],
      ['c', 0.1],
    ] as const) {
      const expected = picks * share;
      const sigma = Math.sqrt(picks * share * (1 - share));
      const got = counts.get(name) ?? 0;
      assert.ok(Math.abs(got - expected) <= 3 * sigma, `${name}: ${got} vs ${expected} +- ${3 * sigma}`);
    }
    assert.equal(counts.get('z'), undefined);
  });

  it('uses header_name as the selection value when it holds one uint64', () => {
    const action = forward({
      header_name: 'x-pick',
      clusters: [
        { name: 'a', weight: 1 },
        { name: 'b', weight: 2 },
      ],
    });
    assert.equal(action.pickCluster(request({ headers: ['x-pick', '0'] })), 'a');
    assert.equal(action.pickCluster(request({ headers: ['x-pick', '1'] })), 'b');
    assert.equal(action.pickCluster(request({ headers: ['x-pick', '5'] })), 'b'); // 5 % 3
    assert.equal(action.pickCluster(request({ headers: ['x-pick', '18446744073709551615'] })), 'a'); // (2^64-1) % 3 = 0
  });

  it('reads a cluster name from cluster_header entries, and none when absent', () => {
    const action = forward({ clusters: [{ cluster_header: 'X-Cluster', weight: 1 }] });
    assert.equal(
      action.pickCluster(request({ headers: ['x-cluster', 'dyn', 'x-cluster', 'second'] })),
      'dyn',
    );
    assert.equal(action.pickCluster(request()), undefined);
  });

  it("applies the chosen entry's header mutations before the route's", () => {
    const table = compileTable(
      singleHost([
        {
          match: { prefix: '/' },
          route: {
            weighted_clusters: {
              clusters: [
                {
                  name: 'a',
                  weight: 1,
                  host_rewrite_literal: 'a.internal',
                  request_headers_to_add: [{ header: { key: 'x-level', value: 'cluster' }, append: false }],
                },
              ],
            },
          },
          request_headers_to_add: [{ header: { key: 'x-level', value: 'route' }, append: false }],
        },
      ]),
    );
    const decision = table.route(request())!;
    const target = (decision.route.action as ForwardAction).pickTarget(request())!;
    assert.equal(target.hostRewrite, 'a.internal');
    assert.deepEqual(mutateRequestHeaders([], decision, table, formatContext({ clusterTarget: target })), [
      'x-level',
      'route',
    ]);
  });

  it('rejects a zero total, missing weights, both name and cluster_header, and a wrong total_weight', () => {
    const paths = (weighted: object) =>
      compileErrors(singleHost([{ match: { prefix: '/' }, route: { weighted_clusters: weighted } }])).map(
        (e) => e.path.slice(4).join('.'),
      );
    assert.deepEqual(paths({ clusters: [{ name: 'a', weight: 0 }] }), ['route.weighted_clusters.clusters']);
    assert.deepEqual(paths({ clusters: [{ name: 'a' }] }), ['route.weighted_clusters.clusters.0.weight']);
    assert.deepEqual(paths({ clusters: [{ name: 'a', cluster_header: 'x', weight: 1 }] }), [
      'route.weighted_clusters.clusters.0',
    ]);
    assert.deepEqual(paths({ clusters: [{ name: 'a', weight: 1 }], total_weight: 100 }), [
      'route.weighted_clusters.total_weight',
    ]);
    assert.deepEqual(paths({ clusters: [] }), ['route.weighted_clusters.clusters']);
    assert.deepEqual(paths({ clusters: [{ name: 'a', weight: 1, metadata_match: {} }] }), [
      'route.weighted_clusters.clusters.0.metadata_match',
    ]);
  });
});
