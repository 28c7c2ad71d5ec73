import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headerMutationFilterFactory } from './header-mutation-filter.js';
import { filterErrors, filterMaker, routeTable, TestStream } from './test-stream.test.util.js';

const NAME = 'envoy.filters.http.header_mutation';
const PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutationPerRoute';

const set = (key: string, value: string) => ({
  append: { header: { key, value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
});
const perRoute = (value: string) => ({
  '@type': PER_ROUTE,
  mutations: { request_mutations: [set('x-level', value)], response_mutations: [set('x-level', value)] },
});

function run(config: object, routes: unknown[], hostExtra: object = {}, tableExtra: object = {}, headers: string[] = []) {
  const make = filterMaker(headerMutationFilterFactory, config, NAME);
  const stream = new TestStream(routeTable(routes, hostExtra, tableExtra), { headers });
  const filter = make();
  stream.encoders = [filter];
  assert.equal(filter.decodeHeaders(stream.http), 'continue');
  const response = stream.encode({ status: 200, headers: ['server-timing', 'db'], contentLength: 0 }).headers;
  return { request: stream.headers, response };
}

const plainRoute = [{ match: { prefix: '/' }, route: { cluster: 'web' } }];

describe('header_mutation filter', () => {
  it('applies request and response mutations one by one, in order', () => {
    const { request, response } = run(
      {
        mutations: {
          request_mutations: [
            { remove: 'x-secret' },
            { append: { header: { key: 'x-user-copy', value: '%REQ(x-user)%' } } },
            set('x-user', 'anonymous'),
            { append: { header: { key: 'x-once', value: 'a' }, append_action: 'ADD_IF_ABSENT' } },
            { append: { header: { key: 'x-once', value: 'b' }, append_action: 'ADD_IF_ABSENT' } },
          ],
          response_mutations: [{ remove: 'server-timing' }, { append: { header: { key: 'x-served-by', value: 'skein' } } }],
        },
      },
      plainRoute,
      {},
      {},
      ['x-secret', 's', 'x-user', 'jason'],
    );
    assert.deepEqual(request, ['x-user-copy', 'jason', 'x-user', 'anonymous', 'x-once', 'a']);
    assert.deepEqual(response, ['x-served-by', 'skein']);
  });

  it('applies per-route mutations after its own, the least specific level last (so it wins)', () => {
    const routes = [{ match: { prefix: '/' }, route: { cluster: 'web' }, typed_per_filter_config: { [NAME]: perRoute('route') } }];
    const host = { typed_per_filter_config: { [NAME]: perRoute('vhost') } };
    const table = { typed_per_filter_config: { [NAME]: perRoute('table') } };
    const filterLevel = { mutations: { request_mutations: [set('x-level', 'filter')] } };
    assert.deepEqual(run(filterLevel, routes, host, table).request, ['x-level', 'table']);
    assert.deepEqual(run(filterLevel, routes, host).request, ['x-level', 'vhost']);
    assert.deepEqual(run({ ...filterLevel, most_specific_header_mutations_wins: true }, routes, host, table).request, [
      'x-level',
      'route',
    ]);
    assert.deepEqual(run({}, routes, host, table).response, ['server-timing', 'db', 'x-level', 'table']);
  });

  it('rejects pseudo-headers, host and a mutation without an action', () => {
    const messages = (mutations: object[]) =>
      filterErrors(headerMutationFilterFactory, { mutations: { request_mutations: mutations } }).map(
        (e) => `${e.path.join('.')}: ${e.message}`,
      );
    assert.deepEqual(messages([{ remove: ':path' }]), ['mutations.request_mutations.0.remove: :-prefixed or host headers may not be removed']);
    assert.deepEqual(messages([set('host', 'x')]), [
      'mutations.request_mutations.0.append.header.key: :-prefixed or host headers may not be modified',
    ]);
    assert.deepEqual(messages([{}]), ['mutations.request_mutations.0: one of remove or append is required']);
  });
});
