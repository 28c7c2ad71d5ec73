/** Polling readiness probes for the local runtime: a proxy's admin /ready, an app's port or HTTP path. */
import { connect } from 'node:net';

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 50, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (signal?.aborted) return false;
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return false;
}

/** True when `path` on host:port answers 2xx within a second. */
export async function httpReady(host: string, port: number, path: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${host}:${port}${path}`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status >= 200 && response.status < 300;
  } catch {
    return false;
  }
}

/** True when a TCP connection to host:port is accepted. */
export function tcpReady(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
