/** `skein analyze` as a user runs it: istioctl-style lines, JSON, exit status, suppressions. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../../src/config/diagnostic.js';
import { conformancePath, conformanceSkip } from '../support/conformance.js';
import { tempDir } from '../support/temp-dir.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/skein.js');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'analyze', ...args], { encoding: 'utf8', timeout: 20_000 });

const dir = tempDir('skein-analyze-');
const write = (name: string, text: string): string => {
  writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};

const config = write(
  'reviews.yaml',
  `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}]
---
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
---
apiVersion: v1
kind: Service
metadata: {name: reviews}
spec:
  ports: [{port: 9080, name: http}]
`,
);

describe('skein analyze', () => {
  it('prints each finding like istioctl and exits 1 on errors', () => {
    const result = run(config);
    assert.equal(result.status, 1);
    assert.equal(
      result.stdout,
      `Error [IST0101] (VirtualService default/reviews ${config}:17) Referenced host+subset in destinationrule not found: "reviews+v9"\n` +
        'Found 1 error, 0 warnings and 0 info messages in 1 file.\n',
    );
  });

  it('prints JSON with file, line and field path', () => {
    const result = run('-o', 'json', config);
    assert.equal(result.status, 1);
    const diagnostics = JSON.parse(result.stdout) as Diagnostic[];
    assert.deepEqual(diagnostics, [
      {
        level: 'error',
        code: 'IST0101',
        name: 'ReferencedResourceNotFound',
        message: 'Referenced host+subset in destinationrule not found: "reviews+v9"',
        resource: { group: 'networking.istio.io', kind: 'VirtualService', namespace: 'default', name: 'reviews' },
        file: config,
        line: 17,
        fieldPath: 'spec.http[0].route[0].destination.subset',
      },
    ]);
  });

  it('--suppress silences a code on matching resources, and exits 0 when nothing is left', () => {
    const result = run('--suppress', 'IST0101=VirtualService *.default', config);
    assert.equal(result.status, 0, result.stdout);
    assert.equal(result.stdout, '\u2714 No validation issues found when analyzing 1 file.\n');
    assert.equal(run('--suppress', 'IST0101=VirtualService reviews.prod', config).status, 1);
  });

  it('reports schema errors with the field path, and warnings without failing', () => {
    const bad = write('bad.yaml', 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  servers:\n  - port: {number: 80, name: http, protocl: HTTP}\n    hosts: ["*"]\n');
    const result = run(bad);
    assert.equal(result.status, 1);
    assert.match(result.stdout, new RegExp(`Error \\[IST0106\\] \\(Gateway default/gw ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6\\) Schema validation error: spec.servers\\[0\\].port.protocl: unknown field "protocl" \\(did you mean "protocol"\\?\\)`));
    const warn = write('warn.yaml', 'apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: f}\nspec: {configPatches: []}\n');
    const warned = run(warn);
    assert.equal(warned.status, 0);
    assert.match(warned.stdout, /^Warning \[SKN0004\] \(EnvoyFilter default\/f .*warn.yaml:1\) EnvoyFilter is accepted but not supported by Skein: it has no effect\nFound 0 errors, 1 warning and 0 info messages in 1 file.\n$/);
  });

  it('explains a missing path and a bad option', () => {
    const missing = run('/nonexistent/config.yaml');
    assert.equal(missing.status, 1);
    assert.match(missing.stdout, /Error \[SKN0006\] \(\/nonexistent\/config.yaml\) cannot read \/nonexistent\/config.yaml: ENOENT/);
    assert.equal(run('-o', 'xml', config).status, 2);
  });

  it('analyzes the Bookinfo app with its rules clean', conformanceSkip(), () => {
    const result = run(conformancePath('istio/bookinfo/kube'), conformancePath('istio/bookinfo/networking/destination-rule-all.yaml'), conformancePath('istio/bookinfo/networking/virtual-service-reviews-test-v2.yaml'));
    assert.equal(result.status, 0, result.stdout);
    assert.equal(result.stdout, '\u2714 No validation issues found when analyzing 4 files.\n');
  });
});
