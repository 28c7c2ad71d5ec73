/**
 * istioctl analyze's `--suppress <code>=<resource>`: `IST0102=Namespace frod`,
 * `IST0101=VirtualService reviews.default`, with `*` matching any run of characters.
 */
import type { Diagnostic } from './diagnostic.js';

export interface Suppression {
  readonly code: string;
  readonly resource: RegExp;
}

export function parseSuppression(text: string): Suppression | string {
  const eq = text.indexOf('=');
  if (eq <= 0) return `invalid suppression "${text}": expected <code>=<resource>, e.g. "IST0101=VirtualService reviews.default"`;
  const code = text.slice(0, eq).trim();
  const resource = text.slice(eq + 1).trim();
  const pattern = resource.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return { code, resource: new RegExp(`^${pattern}$`) };
}

/** `Kind name.namespace`, the form suppressions name resources in. */
export function suppressionName(d: Diagnostic): string | undefined {
  if (!d.resource) return undefined;
  return `${d.resource.kind} ${d.resource.name}${d.resource.namespace ? `.${d.resource.namespace}` : ''}`;
}

export function isSuppressed(d: Diagnostic, suppressions: readonly Suppression[]): boolean {
  const name = suppressionName(d);
  return suppressions.some((s) => s.code === d.code && name !== undefined && s.resource.test(name));
}
