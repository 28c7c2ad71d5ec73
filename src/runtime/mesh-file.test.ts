import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MeshFileError, parseMeshFile } from './mesh-file.js';

const FILE = '/meshes/shop/mesh.yaml';

function problemsOf(text: string): readonly string[] {
  try {
    parseMeshFile(text, FILE);
  } catch (err) {
    if (err instanceof MeshFileError) return err.problems;
    throw err;
  }
  assert.fail('the mesh file was accepted');
}

describe('mesh file', () => {
  it('fills Kubernetes-like defaults and derives one service per app label', () => {
    const mesh = parseMeshFile(`apiVersion: skein.dev/v1alpha1
kind: Mesh
metadata: { name: shop }
spec:
  config: [networking/, ../shared/gateway.yaml]
  workloads:
    - name: cart-v1
      labels: { app: cart, version: v1 }
      command: [node, cart.js]
      ports: [{ name: http, port: 9080 }]
    - name: cart-v2
      labels: { app: cart, version: v2 }
      command: [node, cart.js]
      ports: [{ name: http, port: 9080 }, { name: grpc-admin, port: 9090 }]
    - name: ingress
      namespace: istio-system
      kind: gateway
      labels: { app: ingress, istio: ingressgateway }
`, FILE);
    assert.equal(mesh.name, 'shop');
    assert.deepEqual([mesh.xdsPort, mesh.apiPort], [15010, 15014]);
    assert.deepEqual(mesh.config, ['/meshes/shop/networking', '/meshes/shared/gateway.yaml']);
    const cart = mesh.workloads[0];
    assert.deepEqual(
      { namespace: cart?.namespace, kind: cart?.kind, serviceAccount: cart?.serviceAccount, restartPolicy: cart?.restartPolicy, env: cart?.env, readiness: cart?.readinessPath, address: cart?.address },
      { namespace: 'default', kind: 'app', serviceAccount: 'default', restartPolicy: 'Always', env: {}, readiness: undefined, address: undefined },
    );
    // Gateways form no service; ports of every version of an app are merged.
    assert.deepEqual(mesh.services, [
      { name: 'cart', namespace: 'default', selector: { app: 'cart' }, ports: [{ name: 'http', port: 9080 }, { name: 'grpc-admin', port: 9090 }] },
    ]);
  });

  it('keeps an explicit services list as written (per-version services)', () => {
    const mesh = parseMeshFile(`apiVersion: skein.dev/v1alpha1
kind: Mesh
spec:
  services:
    - name: cart-v1
      selector: { app: cart, version: v1 }
      ports: [{ name: http, port: 9080, appProtocol: http }]
  workloads:
    - name: cart-v1
      labels: { app: cart, version: v1 }
      command: [node, cart.js]
`, FILE);
    assert.deepEqual(mesh.services, [
      { name: 'cart-v1', namespace: 'default', selector: { app: 'cart', version: 'v1' }, ports: [{ name: 'http', port: 9080, appProtocol: 'http' }] },
    ]);
  });

  it('names file, line and field of every problem at once', () => {
    assert.deepEqual(problemsOf(`apiVersion: skein.dev/v1
kind: Mesh
spec:
  controlPlane: { xdsPort: 0, grpcPort: 1 }
  workloads:
    - name: cart
      command: [node, cart.js]
      restartPolicy: Sometimes
      labels: { app: [cart] }
      replicas: 2
    - name: ingress
      kind: gateway
      command: [envoy]
    - name: cart
      kind: job
      ports: [{ name: http, port: "9080" }]
`), [
      `${FILE}:1: apiVersion: must be 'skein.dev/v1alpha1'`,
      `${FILE}:4: spec.controlPlane.grpcPort: unknown field; expected one of xdsPort, apiPort`,
      `${FILE}:10: spec.workloads[0].replicas: unknown field; expected one of name, namespace, kind, labels, serviceAccount, command, env, ports, restartPolicy, readinessPath, address`,
      `${FILE}:8: spec.workloads[0].restartPolicy: must be Always, OnFailure or Never`,
      `${FILE}:9: spec.workloads[0].labels.app: must be a string`,
      `${FILE}:13: spec.workloads[1].command: a gateway runs no application`,
      `${FILE}:15: spec.workloads[2].kind: must be 'app' or 'gateway'`,
      `${FILE}:16: spec.workloads[2].ports[0].port: must be a port number (1-65535)`,
      `${FILE}:14: spec.workloads[2].name: duplicate workload 'cart'`,
      `${FILE}:4: spec.controlPlane.xdsPort: must be a port number (1-65535)`,
    ]);
  });

  it('a missing required field points at its parent line', () => {
    assert.deepEqual(problemsOf(`apiVersion: skein.dev/v1alpha1
kind: Mesh
spec:
  workloads:
    - name: cart
      labels: { app: cart }
`), [`${FILE}:5: spec.workloads[0].command: must be a list`]);
  });

  it('reports YAML syntax errors with their line, and an empty file', () => {
    const [syntax] = problemsOf('apiVersion: skein.dev/v1alpha1\nkind: Mesh\nspec:\n  workloads: [\n');
    assert.match(syntax ?? '', /^\/meshes\/shop\/mesh\.yaml:\d+: /);
    assert.deepEqual(problemsOf('# nothing here\n'), [`${FILE}: empty mesh file`]);
  });
});
