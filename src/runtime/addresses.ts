/**
 * Per-workload addresses for the local runtime. Every workload gets its own loopback IP (as a
 * pod gets its own IP), so every sidecar can listen on the service's real port (9080) and its
 * admin on 15000 without clashing. Linux routes all of 127.0.0.0/8 to the loopback interface,
 * so binding 127.0.10.3 needs no root and no interface setup.
 */

/** The Nth workload's IP: 127.0.10.2, 127.0.10.3, … 127.0.10.251, then 127.0.11.2, … */
export function workloadAddress(index: number): string {
  const block = 10 + Math.floor(index / 250);
  return `127.0.${block}.${2 + (index % 250)}`;
}

/** Istio's sidecar ports, kept so users' muscle memory works: admin 15000, the HTTP proxy port 15080. */
export const SIDECAR_ADMIN_PORT = 15000;
export const SIDECAR_HTTP_PROXY_PORT = 15080;

/**
 * Where the app listens for a service port: the workload's own IP, at the port + 10000
 * (9080 → 19080), so the sidecar can own 9080 on the same IP and forward to the app.
 */
export function appPortFor(servicePort: number): number {
  return servicePort + 10_000 <= 65_535 ? servicePort + 10_000 : servicePort - 10_000;
}

/** A pod-like name: `reviews-v2-` + 5 characters derived from the mesh and workload names. */
export function podName(meshName: string, workloadName: string): string {
  let hash = 2166136261;
  for (const char of `${meshName}/${workloadName}`) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  return `${workloadName}-${hash.toString(36).slice(0, 5).padStart(5, '0')}`;
}
