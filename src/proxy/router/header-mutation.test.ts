import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HeaderValueOption__Output } from '../../xds/generated/envoy/config/core/v3/HeaderValueOption.js';
import { decodeProtoJson } from '../../xds/proto-json.js';
import type { ConfigError } from '../config/config-error.js';
import { compileHeaderMutations, REQUEST_FIELDS } from './header-mutation.js';
import { formatContext } from './test-support.js';

function options(json: object[]): HeaderValueOption__Output[] {
  return json.map((item) => {
    const decoded = decodeProtoJson<HeaderValueOption__Output>(
      'envoy.config.core.v3.HeaderValueOption',
      item,
    );
    assert.ok(decoded.ok);
    return decoded.value;
  });
}

function apply(add: object[], remove: string[], headers: string[]): string[] {
  const errors: ConfigError[] = [];
  const mutations = compileHeaderMutations(options(add), remove, ['route'], REQUEST_FIELDS, errors);
  assert.deepEqual(errors, []);
  mutations?.apply(headers, { context: formatContext({ requestHeaders: headers }), requestHeaders: headers });
  return headers;
}

function errorsOf(add: object[], remove: string[] = []): string[] {
  const errors: ConfigError[] = [];
  assert.equal(compileHeaderMutations(options(add), remove, ['route'], REQUEST_FIELDS, errors), undefined);
  return errors.map((e) => `${e.path.join('.')}: ${e.message}`);
}

describe('compileHeaderMutations (HeaderParser)', () => {
  const existing = () => ['x-a', '1', 'x-keep', 'k'];

  it('APPEND_IF_EXISTS_OR_ADD (the default) adds another line', () => {
    assert.deepEqual(apply([{ header: { key: 'X-A', value: '2' } }], [], existing()), [
      'x-a',
      '1',
      'x-keep',
      'k',
      'x-a',
      '2',
    ]);
  });

  it('ADD_IF_ABSENT only adds a missing header', () => {
    assert.deepEqual(
      apply([{ header: { key: 'x-a', value: '2' }, append_action: 'ADD_IF_ABSENT' }], [], existing()),
      existing(),
    );
    assert.deepEqual(
      apply([{ header: { key: 'x-b', value: '2' }, append_action: 'ADD_IF_ABSENT' }], [], existing()),
      [...existing(), 'x-b', '2'],
    );
  });

  it('OVERWRITE_IF_EXISTS_OR_ADD replaces every line or adds', () => {
    const headers = ['x-a', '1', 'x-a', '1b', 'x-keep', 'k'];
    assert.deepEqual(
      apply(
        [{ header: { key: 'x-a', value: '2' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
        [],
        headers,
      ),
      ['x-keep', 'k', 'x-a', '2'],
    );
    assert.deepEqual(
      apply(
        [{ header: { key: 'x-b', value: '2' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
        [],
        existing(),
      ),
      [...existing(), 'x-b', '2'],
    );
  });

  it('OVERWRITE_IF_EXISTS leaves a missing header missing', () => {
    assert.deepEqual(
      apply([{ header: { key: 'x-b', value: '2' }, append_action: 'OVERWRITE_IF_EXISTS' }], [], existing()),
      existing(),
    );
    assert.deepEqual(
      apply([{ header: { key: 'x-a', value: '2' }, append_action: 'OVERWRITE_IF_EXISTS' }], [], existing()),
      ['x-keep', 'k', 'x-a', '2'],
    );
  });

  it('maps the legacy append BoolValue', () => {
    assert.deepEqual(apply([{ header: { key: 'x-a', value: '2' }, append: true }], [], existing()), [
      ...existing(),
      'x-a',
      '2',
    ]);
    assert.deepEqual(apply([{ header: { key: 'x-a', value: '2' }, append: false }], [], existing()), [
      'x-keep',
      'k',
      'x-a',
      '2',
    ]);
  });

  it('skips empty values unless keep_empty_value', () => {
    assert.deepEqual(apply([{ header: { key: 'x-e', value: '' } }], [], []), []);
    assert.deepEqual(apply([{ header: { key: 'x-e', value: '%REQ(x-missing)%' } }], [], []), []);
    assert.deepEqual(apply([{ header: { key: 'x-e', value: '' }, keep_empty_value: true }], [], []), [
      'x-e',
      '',
    ]);
  });

  it('removes before adding, and formats after removal', () => {
    assert.deepEqual(
      apply(
        [{ header: { key: 'x-copy', value: 'v=%REQ(x-a)%' } }, { header: { key: 'x-keep', value: 'new' } }],
        ['x-keep', 'X-Gone'],
        ['x-gone', 'g', ...existing()],
      ),
      ['x-a', '1', 'x-copy', 'v=1', 'x-keep', 'new'],
    );
  });

  it('rejects pseudo/host headers, both append forms, raw_value and bad names', () => {
    assert.deepEqual(errorsOf([{ header: { key: ':path', value: '/x' } }]), [
      'route.request_headers_to_add.0.header.key: :-prefixed or host headers may not be modified',
    ]);
    assert.deepEqual(errorsOf([{ header: { key: 'Host', value: 'x' } }]), [
      'route.request_headers_to_add.0.header.key: :-prefixed or host headers may not be modified',
    ]);
    assert.deepEqual(errorsOf([], [':authority']), [
      'route.request_headers_to_remove.0: :-prefixed or host headers may not be removed',
    ]);
    assert.deepEqual(errorsOf([], ['host']), [
      'route.request_headers_to_remove.0: :-prefixed or host headers may not be removed',
    ]);
    assert.deepEqual(
      errorsOf([{ header: { key: 'x', value: 'v' }, append: true, append_action: 'ADD_IF_ABSENT' }]),
      ['route.request_headers_to_add.0.append: append and append_action may not both be set'],
    );
    assert.match(
      errorsOf([{ header: { key: 'x', raw_value: 'dg==' } }])[0]!,
      /header\.raw_value: field 'raw_value' is not supported/,
    );
    assert.match(errorsOf([{ header: { key: '', value: 'v' } }])[0]!, /header name must not be empty/);
    assert.match(
      errorsOf([{ header: { key: 'x', value: '%BOGUS%' } }])[0]!,
      /header\.value: unknown or unsupported command/,
    );
    assert.match(errorsOf([{}])[0]!, /header is required/);
  });
});
