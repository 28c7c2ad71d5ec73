/** Broken config is reported with file, line and field path, and never accepted. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/config/analysis/analyze.js';
import type { Diagnostic } from '../../src/config/diagnostic.js';
import { loadPaths } from '../../src/config/load.js';
import { parseConfig } from '../../src/config/parse.js';
import { tempDir } from '../support/temp-dir.js';

function errorsOf(text: string, file = 'x.yaml'): Diagnostic[] {
  const result = parseConfig(text, file);
  return result.diagnostics.filter((d) => d.level === 'error');
}

function only(diagnostics: readonly Diagnostic[]): Diagnostic {
  assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics, null, 2));
  return diagnostics[0] as Diagnostic;
}

const REVIEWS_DR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - name: v1
    labels:
      version: v1
`;

describe('broken config inputs', () => {
  it('an unknown field is an error at its line with a did-you-mean hint', () => {
    const d = only(errorsOf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination:
        host: reviews
        subst: v1
`));
    assert.equal(d.code, 'IST0106');
    assert.equal(d.line, 11);
    assert.equal(d.fieldPath, 'spec.http[0].route[0].destination.subst');
    assert.match(d.message, /unknown field "subst" \(did you mean "subset"\?\)/);
    assert.deepEqual(d.resource, { group: 'networking.istio.io', kind: 'VirtualService', namespace: 'default', name: 'reviews' });
  });

  it('a schema type violation names the field', () => {
    const d = only(errorsOf(`apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: reviews, namespace: prod}
spec:
  host: reviews
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: many
`));
    assert.equal(d.line, 9);
    assert.equal(d.fieldPath, 'spec.trafficPolicy.connectionPool.tcp.maxConnections');
    assert.match(d.message, /must be of type integer/);
    assert.equal(d.resource?.namespace, 'prod');
  });

  it('an invalid RE2 regex is rejected (Istio validateStringRegexp)', () => {
    const d = only(errorsOf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [reviews]
  http:
  - match:
    - headers:
        end-user:
          regex: "(?!jason)"
    route:
    - destination: {host: reviews}
`));
    assert.equal(d.line, 10);
    assert.equal(d.fieldPath, 'spec.http[0].match[0].headers.end-user.regex');
    assert.match(d.message, /Istio uses RE2 style regex-based match/);
  });

  it('a bad duration is rejected by the CRD rule and by Istio\'s ms-precision rule', () => {
    const cel = only(errorsOf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
    timeout: 0.5ms
`));
    assert.equal(cel.fieldPath, 'spec.http[0].timeout');
    assert.equal(cel.line, 9);
    assert.match(cel.message, /must be a valid duration greater than 1ms/);
    const unit = only(errorsOf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
    fault:
      delay:
        fixedDelay: 7 seconds
        percentage: {value: 100}
`));
    assert.equal(unit.fieldPath, 'spec.http[0].fault.delay.fixedDelay');
    assert.match(unit.message, /time: unknown unit " seconds" in duration "7 seconds"/);
  });

  it('weights are relative: 50/30 is fine, all zero is an error', () => {
    const doc = (w1: number, w2: number): string => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: ${w1}
    - destination: {host: reviews, subset: v2}
      weight: ${w2}
`;
    assert.deepEqual(errorsOf(doc(50, 30)), []);
    const d = only(errorsOf(doc(0, 0)));
    assert.equal(d.fieldPath, 'spec.http[0].route');
    assert.match(d.message, /total destination weight = 0/);
  });

  it('"only one of" oneOf rules and Gateway API path CEL rules are enforced', () => {
    const oneOf = only(errorsOf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [reviews]
  http:
  - match:
    - uri: {exact: /a, prefix: /b}
    route:
    - destination: {host: reviews}
`));
    assert.equal(oneOf.fieldPath, 'spec.http[0].match[0].uri');
    assert.match(oneOf.message, /only one of exact, prefix, regex may be set, found exact and prefix/);
    const route = errorsOf(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches:
    - path: {type: PathPrefix, value: "reviews//x"}
    backendRefs:
    - {name: reviews, port: 9080}
`);
    assert.deepEqual(route.map((d) => d.fieldPath), ['spec.rules[0].matches[0].path', 'spec.rules[0].matches[0].path']);
    assert.match(route[0]?.message ?? '', /must be an absolute path and start with '\/'/);
    assert.match(route[1]?.message ?? '', /must not contain '\/\/'/);
    assert.equal(route[0]?.line, 8);
  });

  it('a YAML syntax error names its line; other documents of the file still parse', () => {
    const result = parseConfig(`${REVIEWS_DR}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r
spec: {}
`, 'broken.yaml');
    const d = only(result.diagnostics);
    assert.equal(d.code, 'SKN0001');
    assert.equal(d.file, 'broken.yaml');
    assert.ok(d.line !== undefined && d.line >= 14, `line ${d.line}`);
    assert.equal(result.resources.length, 1);
  });

  it('unknown kinds are errors; other Kubernetes kinds are noted and ignored; EnvoyFilter is accepted with a warning', () => {
    const result = parseConfig(`apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
---
apiVersion: batch/v1
kind: Job
metadata: {name: j}
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: f}
spec:
  configPatches: []
---
apiVersion: networking.istio.io/v2
kind: VirtualService
metadata: {name: v}
`, 'kinds.yaml');
    assert.deepEqual(
      result.diagnostics.map((d) => `${d.level} ${d.code} ${d.line}`),
      ['error SKN0002 2', 'info SKN0005 5', 'warning SKN0004 9', 'error SKN0002 15'],
    );
    assert.match(result.diagnostics[3]?.message ?? '', /no matches for kind "VirtualService" in version "networking.istio.io\/v2" \(served: networking.istio.io\/v1, networking.istio.io\/v1alpha3, networking.istio.io\/v1beta1\)/);
    assert.deepEqual(result.resources.map((r) => r.resource.kind), ['EnvoyFilter']);
  });

  it('a List is expanded and JSON files get line numbers too', () => {
    const json = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'a' }, spec: { host: 'a', subsets: [{ name: 'v1' }, { name: 'v1' }] } }] }, null, 2);
    const d = only(errorsOf(json, 'list.json'));
    assert.equal(d.fieldPath, 'spec.subsets[1].name');
    assert.match(d.message, /duplicate subset names: v1/);
    assert.equal(d.line, json.split('\n').findIndex((l, i, all) => l.includes('"name": "v1"') && all.slice(0, i).some((x) => x.includes('"name": "v1"'))) + 1);
  });

  it('a subset no DestinationRule defines is IST0101 at the subset line', () => {
    const result = parseConfig(`${REVIEWS_DR}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination:
        host: reviews
        subset: v9
`, 'vs.yaml');
    assert.deepEqual(result.diagnostics, []);
    const d = only(analyze(result.resources).filter((x) => x.code === 'IST0101' && x.message.includes('subset')));
    assert.equal(d.message, 'Referenced host+subset in destinationrule not found: "reviews+v9"');
    assert.equal(d.line, 21);
    assert.equal(d.fieldPath, 'spec.http[0].route[0].destination.subset');
  });

  it('the same resource in two files: the later file is rejected, naming both', () => {
    const dir = tempDir('skein-dup-');
    writeFileSync(path.join(dir, 'a.yaml'), REVIEWS_DR);
    writeFileSync(path.join(dir, 'b.yaml'), `${REVIEWS_DR.replace('v1\n', 'v1\n').replace('name: reviews', 'name: ratings')}---\n${REVIEWS_DR}`);
    const loaded = loadPaths([dir]);
    const d = only(loaded.diagnostics);
    assert.equal(d.code, 'SKN0003');
    assert.equal(d.file, path.join(dir, 'b.yaml'));
    assert.equal(d.line, 12);
    assert.ok(d.message.includes(path.join(dir, 'a.yaml')) && d.message.includes(path.join(dir, 'b.yaml')), d.message);
    assert.deepEqual(loaded.resources.map((r) => r.resource.name), ['reviews']);
    assert.equal(loaded.files.find((f) => f.file.endsWith('b.yaml'))?.accepted, false);
  });
});
