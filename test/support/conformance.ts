/**
 * Third-party conformance inputs (Istio's Bookinfo YAML, the Istio and Gateway API CRDs) live
 * outside the repository: in `../shared/conformance` beside the checkout, or wherever
 * SKEIN_CONFORMANCE_DIR points. A user's clone may not have them, so suites skip with a clear
 * message; CI sets SKEIN_REQUIRE_CONFORMANCE=1 and then their absence is a failure.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The conformance directory, or undefined when it is absent and not required. */
export function conformanceDir(): string | undefined {
  const dir = process.env.SKEIN_CONFORMANCE_DIR ?? path.resolve(repoRoot, '../shared/conformance');
  if (existsSync(dir)) return dir;
  if (process.env.SKEIN_REQUIRE_CONFORMANCE === '1') {
    throw new Error(`conformance inputs required but missing: ${dir} (set SKEIN_CONFORMANCE_DIR)`);
  }
  return undefined;
}

/**
 * Options for `describe`/`test`: skips with the reason when the inputs are absent.
 * Usage: `describe('bookinfo', conformanceSkip(), () => { const dir = conformancePath('istio/bookinfo'); ... })`.
 */
export function conformanceSkip(): { skip: string | false } {
  return conformanceDir() === undefined
    ? { skip: 'conformance inputs absent: put them in ../shared/conformance or set SKEIN_CONFORMANCE_DIR' }
    : { skip: false };
}

/** A path inside the conformance directory; throws when the directory is absent (use conformanceSkip first). */
export function conformancePath(...parts: string[]): string {
  const dir = conformanceDir();
  if (!dir) throw new Error('conformance inputs absent');
  return path.join(dir, ...parts);
}
