/** Starting an xDS server on loopback for tests, and waiting for conditions. */
import type { XdsGenerator } from '../../src/control/generator.js';
import type { XdsLogger, XdsServerOptions } from '../../src/control/xds-server.js';
import { XdsServer } from '../../src/control/xds-server.js';

/** Keeps warnings for assertions instead of printing them. */
export class RecordingLog implements XdsLogger {
  readonly warnings: string[] = [];
  info(): void {}
  warn(message: string): void {
    this.warnings.push(message);
  }
}

export async function startXdsServer(
  generator: XdsGenerator,
  options: Partial<XdsServerOptions> = {},
): Promise<{ server: XdsServer; port: number; log: RecordingLog }> {
  const log = new RecordingLog();
  const server = new XdsServer({ generator, debounceAfterMs: 20, debounceMaxMs: 1000, log, ...options });
  const port = await server.listen(0, '127.0.0.1');
  return { server, port, log };
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
