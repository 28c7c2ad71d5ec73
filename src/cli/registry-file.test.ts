import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRegistryFile } from './registry-file.js';

const FILE = 'registry.yaml';

describe('registry file (skein control --registry-file)', () => {
  it('reads services with their workloads, and workloads alone', () => {
    const parsed = parseRegistryFile(
      [
        '- service:',
        '    name: reviews',
        '    ports:',
        '    - {name: http, port: 9080}',
        '    - {name: grpc-api, port: 7070, targetPort: 17070}',
        '  workloads:',
        '  - name: reviews-v1',
        '    address: 127.0.10.3',
        '    labels: {app: reviews, version: v1}',
        '    ports: {http: 19080}',
        '    serviceAccount: bookinfo-reviews',
        '- workloads:',
        '  - {name: ratings-v1, namespace: shop, address: 127.0.10.4, labels: {app: ratings}}',
      ].join('\n'),
      FILE,
    );
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.join('\n'));
    const [service] = parsed.contents.services;
    assert.equal(service?.hostname, 'reviews.default.svc.cluster.local');
    assert.deepEqual(service?.selector, { app: 'reviews' });
    assert.deepEqual(service?.ports, [
      { name: 'http', port: 9080, protocol: 'HTTP' },
      { name: 'grpc-api', port: 7070, protocol: 'GRPC', targetPort: 17070 },
    ]);
    assert.deepEqual(
      parsed.contents.workloads.map((w) => [w.namespace, w.name, w.address, w.ports, w.serviceAccount]),
      [
        ['default', 'reviews-v1', '127.0.10.3', { http: 19080 }, 'bookinfo-reviews'],
        ['shop', 'ratings-v1', '127.0.10.4', {}, ''],
      ],
    );
  });

  it('names file, line and field of every problem', () => {
    const parsed = parseRegistryFile(
      [
        '- service:',
        '    name: reviews',
        '    ports: [{name: http, port: 90800}]',
        '    selectr: {app: reviews}',
        '  workloads:',
        '  - name: reviews-v1',
        '    address: localhost',
        '    labels: {app: ratings}',
        '  - {name: reviews-v1, address: 127.0.0.3, labels: {app: reviews}}',
      ].join('\n'),
      FILE,
    );
    assert.ok(!parsed.ok);
    assert.deepEqual(parsed.problems, [
      "registry.yaml:4: [0].service.selectr: unknown field 'selectr'; expected one of name, namespace, ports, selector, labels",
      'registry.yaml:3: [0].service.ports[0].port: must be a port number (1-65535)',
      'registry.yaml:7: [0].workloads[0].address: must be an IP address',
      `registry.yaml:8: [0].workloads[0].labels: the service's selector {"app":"reviews"} in namespace default does not select this workload`,
      'registry.yaml:9: [0].workloads[1].name: workload default/reviews-v1 is already declared at [0].workloads[0]',
    ]);
  });

  it('reports YAML syntax errors and a top level that is not a list', () => {
    const broken = parseRegistryFile('- service: {name: a\n', FILE);
    assert.ok(!broken.ok && /^registry\.yaml:\d+: /.test(broken.problems[0] ?? ''));
    const mapping = parseRegistryFile('service: {name: a}\n', FILE);
    assert.ok(!mapping.ok);
    assert.deepEqual(mapping.problems, ['registry.yaml:1: (root): must be a list of {service, workloads} entries']);
  });
});
