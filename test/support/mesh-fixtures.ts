/**
 * Registry and config fixtures for end-to-end tests: Kubernetes-like services and workloads for
 * the in-memory registry, and Istio YAML applied through the real loader (a file with an error
 * is rejected whole, as `skein control` and `skein apply` do).
 */
import { formatDiagnostic, type Diagnostic } from '../../src/config/diagnostic.js';
import { loadPaths } from '../../src/config/load.js';
import type { MemoryConfigStore } from '../../src/config/store/memory-store.js';
import { EMPTY_LOCALITY, type Workload } from '../../src/model/endpoint.js';
import { protocolFromPortName } from '../../src/model/protocol.js';
import type { Service } from '../../src/model/service.js';
import { kubernetesHostname } from '../../src/registry/hostnames.js';

/** A Kubernetes-style Service selecting `app: <name>`; ports by name → number (protocol from the name, as Istio). */
export function kubeService(name: string, ports: Readonly<Record<string, number>>, namespace = 'default'): Service {
  return {
    hostname: kubernetesHostname(name, namespace),
    name,
    namespace,
    ports: Object.entries(ports).map(([portName, port]) => ({ name: portName, port, protocol: protocolFromPortName(port, portName) })),
    addresses: [],
    labels: { app: name },
    selector: { app: name },
    exportTo: [],
    resolution: 'STATIC',
    location: 'MESH_INTERNAL',
    registry: 'Kubernetes',
  };
}

/** A workload (pod) at `address`; `ports` maps service port names to the port it listens on when not the service port. */
export function workload(name: string, address: string, labels: Readonly<Record<string, string>>, ports: Readonly<Record<string, number>> = {}, namespace = 'default'): Workload {
  return {
    name,
    namespace,
    address,
    ports,
    labels,
    serviceAccount: '',
    locality: EMPTY_LOCALITY,
    health: 'HEALTHY',
    weight: 1,
    network: '',
  };
}

/**
 * Loads files through the config loader and applies the accepted resources to the store in one
 * batch; returns every error (formatted as `skein analyze` prints them). Files with an error
 * contribute nothing.
 */
export function applyFiles(store: MemoryConfigStore, ...files: string[]): { errors: Diagnostic[]; formatted: string[] } {
  const loaded = loadPaths(files);
  const errors = loaded.diagnostics.filter((d) => d.level === 'error');
  store.apply(loaded.resources.map((r) => r.resource));
  return { errors, formatted: errors.map(formatDiagnostic) };
}
