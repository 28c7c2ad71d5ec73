/**
 * Every Bookinfo YAML of Istio's samples loads and validates, and analyzes clean against the
 * Bookinfo services, except where it references things that do not exist; those cases are
 * listed here with the reason.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { analyze } from '../../src/config/analysis/analyze.js';
import { type Diagnostic, formatDiagnostic } from '../../src/config/diagnostic.js';
import { KIND, sameType } from '../../src/config/kinds.js';
import { loadFile, loadPaths } from '../../src/config/load.js';
import { conformancePath, conformanceSkip } from '../support/conformance.js';

const lines = (ds: readonly Diagnostic[]): string[] => ds.map(formatDiagnostic);

describe('Istio Bookinfo samples', conformanceSkip(), () => {
  const bookinfo = (...parts: string[]): string => conformancePath('istio', 'bookinfo', ...parts);
  const files = (dir: string): string[] => readdirSync(bookinfo(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();

  it('every file loads and validates on its own', () => {
    for (const dir of ['networking', 'gateway-api', 'kube']) {
      for (const file of files(dir)) {
        const loaded = loadFile(bookinfo(dir, file));
        assert.deepEqual(lines(loaded.diagnostics), [], `${dir}/${file}`);
        assert.ok(loaded.resources.length > 0, `${dir}/${file} has resources`);
      }
    }
  });

  it("keeps Bookinfo's Kubernetes objects for the registries: Services, ServiceAccounts, Deployments", () => {
    const loaded = loadFile(bookinfo('kube', 'bookinfo.yaml'));
    const count = (type: typeof KIND.Service): number => loaded.resources.filter((r) => sameType(r.type, type)).length;
    assert.equal(count(KIND.Service), 4);
    assert.equal(count(KIND.ServiceAccount), 4);
    assert.equal(count(KIND.Deployment), 6);
    const reviews = loaded.resources.find((r) => sameType(r.type, KIND.Service) && r.resource.name === 'reviews');
    assert.deepEqual((reviews?.resource.spec as { ports: unknown[] }).ports, [{ port: 9080, name: 'http' }]);
  });

  it('each networking sample analyzes clean over the Bookinfo app and destination-rule-all.yaml', () => {
    for (const file of files('networking')) {
      const paths = [bookinfo('kube', 'bookinfo.yaml')];
      if (!file.startsWith('destination-rule') && file !== 'fault-injection-details-v1.yaml') {
        paths.push(bookinfo('networking', 'destination-rule-all.yaml'));
      }
      paths.push(bookinfo('networking', file));
      const loaded = loadPaths(paths);
      const diagnostics = [...loaded.diagnostics, ...analyze(loaded.resources)];
      if (file === 'certmanager-gateway.yaml') {
        // Routes ACME challenges to cert-manager's solver service, which is not part of Bookinfo.
        assert.deepEqual(diagnostics.map((d) => `${d.code} ${d.message}`), ['IST0101 Referenced host not found: "cert-manager-resolver"']);
      } else {
        assert.deepEqual(lines(diagnostics), [], file);
      }
    }
  });

  it('fault-injection-details-v1.yaml redefines the details DestinationRule of destination-rule-all.yaml', () => {
    // The task applies it with `kubectl apply`, replacing the rule; loaded side by side as one
    // config, the second definition is a conflict and its file is rejected.
    const loaded = loadPaths([bookinfo('networking', 'destination-rule-all.yaml'), bookinfo('networking', 'fault-injection-details-v1.yaml')]);
    assert.deepEqual(loaded.diagnostics.map((d) => `${d.code} ${d.resource?.kind} ${d.resource?.name} line ${d.line}`), ['SKN0003 DestinationRule details line 23']);
  });

  it('the networking directory as one config: the alternative versions of each rule conflict', () => {
    // The samples are alternatives applied one at a time (reviews v1, then 50/50, ...); as one
    // directory the first file defining a resource wins and the others are rejected.
    const loaded = loadPaths([bookinfo('networking')]);
    const codes = new Set(loaded.diagnostics.map((d) => d.code));
    assert.deepEqual([...codes], ['SKN0003']);
    const rejected = loaded.files.filter((f) => !f.accepted).map((f) => f.file.split('/').pop());
    assert.ok(rejected.includes('destination-rule-all.yaml') && rejected.includes('virtual-service-reviews-v3.yaml'), rejected.join(' '));
  });

  it('each Gateway API route analyzes clean over the Bookinfo app, its versioned services and gateway', () => {
    for (const file of files('gateway-api')) {
      const loaded = loadPaths([
        bookinfo('kube', 'bookinfo.yaml'),
        bookinfo('kube', 'bookinfo-versions.yaml'),
        bookinfo('gateway-api', 'bookinfo-gateway.yaml'),
        bookinfo('gateway-api', file),
      ]);
      assert.deepEqual(lines([...loaded.diagnostics, ...analyze(loaded.resources)]), [], file);
    }
  });

  it('Gateway API defaults are applied as the API server applies them', () => {
    const loaded = loadFile(bookinfo('gateway-api', 'route-reviews-90-10.yaml'));
    const spec = loaded.resources[0]?.resource.spec as { parentRefs: { group: string; kind: string }[]; rules: { backendRefs: { group: string; kind: string }[] }[] };
    assert.equal(spec.parentRefs[0]?.kind, 'Service');
    assert.equal(spec.rules[0]?.backendRefs[0]?.group, '');
    assert.equal(spec.rules[0]?.backendRefs[0]?.kind, 'Service');
  });
});

describe('committed CRD schemas', conformanceSkip(), () => {
  it('match the conformance CRDs (scripts/extract-crd-schemas.js --check)', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = new URL('../../../scripts/extract-crd-schemas.js', import.meta.url).pathname;
    const result = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
  });
});
