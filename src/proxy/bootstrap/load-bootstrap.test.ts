import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBootstrapError, parseBootstrap } from './load-bootstrap.js';

const YAML_BOOTSTRAP = `admin:
  address:
    socket_address: { address: 127.0.0.1, port_value: 9901 }
static_resources:
  listeners:
  - name: listener_0
    address:
      socket_address: { address: 0.0.0.0, port_value: 10000 }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress_http
          route_config:
            virtual_hosts:
            - name: local
              domains: ["*"]
              routes:
              - match: { prefix: "/" }
                route: { cluster: service }
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
  - name: service
    type: STATIC
    load_assignment:
      cluster_name: service
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: { address: 127.0.0.1, port_value: 8080 }
`;

describe('parseBootstrap', () => {
  it("accepts Envoy's getting-started bootstrap unchanged", () => {
    const result = parseBootstrap(YAML_BOOTSTRAP);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
    assert.equal(result.bootstrap.static_resources!.listeners[0]!.name, 'listener_0');
    assert.equal(result.bootstrap.static_resources!.clusters[0]!.name, 'service');
  });

  it('accepts the same bootstrap as JSON', () => {
    const parsed = parseBootstrap(YAML_BOOTSTRAP);
    assert.ok(parsed.ok);
    const asJson = JSON.stringify({
      admin: { address: { socket_address: { address: '127.0.0.1', port_value: 1 } } },
    });
    assert.ok(parseBootstrap(asJson).ok);
  });

  it('names file, line and field path of an unknown field', () => {
    const result = parseBootstrap(
      YAML_BOOTSTRAP.replace('route: { cluster: service }', 'route: { clustr: service }'),
      'b.yaml',
    );
    assert.ok(!result.ok);
    const message = formatBootstrapError('b.yaml', result.errors[0]!);
    assert.match(
      message,
      /^b\.yaml:21: static_resources\.listeners\[0\]\.filter_chains\[0\]\.filters\[0\]\.typed_config\.route_config\.virtual_hosts\[0\]\.routes\[0\]\.route\.clustr: unknown field 'clustr'/,
    );
    assert.match(message, /did you mean 'cluster'/);
  });

  it('rejects set but unsupported top-level fields, invalid YAML and duplicate keys', () => {
    const unsupported = parseBootstrap(`${YAML_BOOTSTRAP}overload_manager: { refresh_interval: 1s }\n`);
    assert.ok(!unsupported.ok);
    assert.match(unsupported.errors[0]!.message, /'overload_manager' is not supported/);
    assert.equal(
      unsupported.errors[0]!.line,
      YAML_BOOTSTRAP.split('\n').length,
      'the line of the appended field',
    );
    const broken = parseBootstrap('admin: [\n');
    assert.ok(!broken.ok);
    assert.match(broken.errors[0]!.message, /invalid YAML/);
    const duplicate = parseBootstrap('admin: {}\nadmin: {}\n');
    assert.ok(!duplicate.ok);
  });
});

describe('parseBootstrap stats_config', () => {
  it('accepts the settings that describe what Skein does, rejects the rest', () => {
    assert.ok(
      parseBootstrap('stats_config: { use_all_default_tags: true, stats_matcher: { reject_all: false } }\n')
        .ok,
    );
    const off = parseBootstrap('stats_config: { stats_matcher: { reject_all: true } }\n');
    assert.ok(!off.ok);
    assert.match(off.errors[0]!.message, /only stats_matcher \{ reject_all: false \}/);
    assert.ok(!parseBootstrap('stats_config: { stats_tags: [{ tag_name: a, regex: "x" }] }\n').ok);
  });
});

describe('parseBootstrap JSON', () => {
  it('rejects a repeated key in a JSON object, at any depth', () => {
    const result = parseBootstrap(
      '{"admin": {"address": {}}, "static_resources": {"clusters": [{"name": "a", "name": "b"}]}}',
    );
    assert.ok(!result.ok);
    assert.match(result.errors[0]!.message, /duplicate key "name"/);
    assert.ok(
      parseBootstrap('{"a\\"b": {"x": 1}}').ok === false,
      'unknown field, but no false duplicate from escapes',
    );
    assert.ok(
      parseBootstrap('{"admin": {}, "node": {"id": "admin"}}').ok,
      'same name in different objects is fine',
    );
  });

  it('places JSON errors on their line', () => {
    const result = parseBootstrap('{\n  "admin": {\n    "adress": {}\n  }\n}\n');
    assert.ok(!result.ok);
    assert.equal(result.errors[0]!.line, 3);
  });
});
