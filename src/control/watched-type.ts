/**
 * What one connection subscribes to for one type URL and where its ACK/NACK state stands
 * (Istio's `WatchedResource`). The nonce pair decides the status `skein proxy-status` shows:
 * SYNCED when the last nonce sent was ACKed, STALE while it is not, NACKED when the proxy
 * rejected it, NOT SENT before the first response.
 */
import type { EncodedResource } from '../xds/resource-encoding.js';
import { versionOfSet } from '../xds/resource-encoding.js';
import { hashString } from '../lib/hash.js';
import { isWildcardType } from '../xds/type-rules.js';
import type { WatchedNames } from './generator.js';

export type SyncState = 'SYNCED' | 'STALE' | 'NOT SENT' | 'NACKED';

/** A resource the proxy holds as far as the server knows: sent on this stream, or declared by a delta client on reconnect. */
export type HeldResource =
  | EncodedResource
  | { readonly name: string; readonly version: string; readonly entryHash: readonly [number, number] };

export function declaredResource(name: string, version: string): HeldResource {
  const key = `${name}\0${version}`;
  return { name, version, entryHash: [hashString(key), hashString(key, 0x9747b28c)] };
}

export class WatchedType implements WatchedNames {
  constructor(typeUrl: string) {
    this.typeUrl = typeUrl;
    this.wildcardAllowed = isWildcardType(typeUrl);
  }

  readonly typeUrl: string;
  readonly wildcardAllowed: boolean;
  wildcard = false;
  names = new Set<string>();
  /** Whether any request ever named a resource (after that, an empty list no longer means wildcard). */
  explicitlySubscribed = false;
  /** Resources the proxy holds, by name. */
  readonly held = new Map<string, HeldResource>();

  nonceSent: string | undefined;
  versionSent: string | undefined;
  sentAt: Date | undefined;
  nonceAcked: string | undefined;
  versionAcked: string | undefined;
  /** The nonce the proxy NACKed, while it is still the last one sent. */
  nackedNonce: string | undefined;
  lastError: string | undefined;
  nacks = 0;

  get state(): SyncState {
    if (this.nonceSent === undefined) return 'NOT SENT';
    if (this.nackedNonce === this.nonceSent) return 'NACKED';
    return this.nonceAcked === this.nonceSent ? 'SYNCED' : 'STALE';
  }

  /** Whether this subscription covers a resource name. */
  covers(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }

  /**
   * Applies the SotW subscription rules (xds_protocol#how-the-client-specifies-what-resources-to-return):
   * an empty list means wildcard for LDS/CDS until a name was ever requested; "*" subscribes to
   * the wildcard explicitly. Returns the names added.
   */
  setSotwNames(resourceNames: readonly string[]): string[] {
    const next = new Set(resourceNames);
    if (resourceNames.length > 0) this.explicitlySubscribed = true;
    let wildcard = false;
    if (this.wildcardAllowed) {
      wildcard = next.delete('*') || (next.size === 0 && !this.explicitlySubscribed);
    }
    const added = [...next].filter((n) => !this.names.has(n));
    if (wildcard && !this.wildcard) added.push('*');
    for (const name of this.names) if (!next.has(name) && !wildcard) this.held.delete(name);
    this.wildcard = wildcard;
    this.names = next;
    return added;
  }

  /**
   * Applies a delta request's subscribe/unsubscribe lists. Returns the names to send now ("*"
   * when the wildcard was just subscribed) and the names unsubscribed while the wildcard may
   * still cover them, which the server must answer (xds_protocol#unsubscribing-from-resources).
   */
  applyDeltaSubscriptions(
    subscribe: readonly string[],
    unsubscribe: readonly string[],
    first: boolean,
  ): { added: string[]; unsubscribedUnderWildcard: string[] } {
    const added: string[] = [];
    const unsubscribedUnderWildcard: string[] = [];
    // Legacy wildcard: a first request that names nothing subscribes to "*" (xds_protocol#incremental-xds).
    if (first && subscribe.length === 0 && unsubscribe.length === 0 && this.wildcardAllowed) {
      this.wildcard = true;
      added.push('*');
    }
    for (const name of subscribe) {
      this.explicitlySubscribed = true;
      if (name === '*') {
        if (this.wildcardAllowed && !this.wildcard) {
          this.wildcard = true;
          added.push('*');
        }
      } else if (!this.names.has(name)) {
        this.names.add(name);
        added.push(name);
      } else {
        added.push(name); // re-subscribing: the client may have forgotten it, so it is sent again
      }
    }
    for (const name of unsubscribe) {
      if (name === '*') {
        this.wildcard = false;
        for (const held of this.held.keys()) if (!this.names.has(held)) this.held.delete(held);
      } else if (this.names.delete(name)) {
        if (this.wildcard) unsubscribedUnderWildcard.push(name);
        else this.held.delete(name);
      }
    }
    return { added, unsubscribedUnderWildcard };
  }

  /** The type version of what the proxy holds (order-independent content hash). */
  heldVersion(): string {
    return versionOfSet(this.held.values());
  }

  recordSent(nonce: string, version: string): void {
    this.nonceSent = nonce;
    this.versionSent = version;
    this.sentAt = new Date();
  }

  recordAck(nonce: string, version: string): void {
    this.nonceAcked = nonce;
    this.versionAcked = version;
    this.lastError = undefined;
  }

  recordNack(nonce: string, error: string): void {
    this.nackedNonce = nonce;
    this.lastError = error;
    this.nacks++;
  }
}
