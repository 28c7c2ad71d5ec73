/**
 * Envoy's filter chain selection: criteria are applied in a fixed order, and at each step a
 * chain that names a matching value beats a chain that leaves the criterion unset; chains that
 * name a non-matching value drop out. Order (listener_components.proto, FilterChainMatch):
 * destination port → destination IP → server name → transport protocol → application protocols
 * → source type → source IP → source port.
 */
import { BlockList, isIPv4 } from 'node:net';
import type { FilterChainMatch__Output } from '../../xds/generated/envoy/config/listener/v3/FilterChainMatch.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';

export interface ConnectionFacts {
  readonly destinationPort: number;
  readonly destinationAddress: string;
  readonly sourceAddress: string;
  readonly sourcePort: number;
  /** SNI; empty for plaintext (no TLS inspector yet). */
  readonly serverName: string;
  /** 'raw_buffer' for plaintext, 'tls' once a TLS inspector detects it. */
  readonly transportProtocol: string;
}

export interface CompiledMatch {
  readonly destinationPort: number | undefined;
  readonly destinationRanges: { readonly list: BlockList; readonly longest: number } | undefined;
  readonly serverNames: readonly string[];
  readonly transportProtocol: string;
  readonly applicationProtocols: readonly string[];
  readonly sourceType: 'ANY' | 'SAME_IP_OR_LOOPBACK' | 'EXTERNAL';
  readonly sourceRanges: { readonly list: BlockList; readonly longest: number } | undefined;
  readonly sourcePorts: readonly number[];
}

const SUPPORTED = [
  'destination_port',
  'prefix_ranges',
  'server_names',
  'transport_protocol',
  'application_protocols',
  'source_type',
  'source_prefix_ranges',
  'source_ports',
];

export function compileFilterChainMatch(
  match: FilterChainMatch__Output | null,
  path: FieldPath,
  errors: ConfigError[],
): CompiledMatch {
  if (match) checkSupported('envoy.config.listener.v3.FilterChainMatch', match, SUPPORTED, path, errors);
  return {
    destinationPort: match?.destination_port?.value,
    destinationRanges: compileRanges(match?.prefix_ranges ?? [], [...path, 'prefix_ranges'], errors),
    serverNames: (match?.server_names ?? []).map((n) => n.toLowerCase()),
    transportProtocol: match?.transport_protocol ?? '',
    applicationProtocols: match?.application_protocols ?? [],
    sourceType: (match?.source_type ?? 'ANY') as CompiledMatch['sourceType'],
    sourceRanges: compileRanges(match?.source_prefix_ranges ?? [], [...path, 'source_prefix_ranges'], errors),
    sourcePorts: match?.source_ports ?? [],
  };
}

function compileRanges(
  ranges: readonly { address_prefix: string; prefix_len: { value: number } | null }[],
  path: FieldPath,
  errors: ConfigError[],
): CompiledMatch['destinationRanges'] {
  if (ranges.length === 0) return undefined;
  const list = new BlockList();
  let longest = 0;
  ranges.forEach((range, i) => {
    const type = isIPv4(range.address_prefix) ? 'ipv4' : 'ipv6';
    const len = range.prefix_len?.value ?? (type === 'ipv4' ? 32 : 128);
    try {
      list.addSubnet(range.address_prefix, len, type);
      longest = Math.max(longest, len);
    } catch {
      errors.push({ path: [...path, i], message: `invalid CIDR ${range.address_prefix}/${len}` });
    }
  });
  return { list, longest };
}

/** A stable key so two chains with identical matches can be rejected, as Envoy does. */
export function matchKey(match: CompiledMatch): string {
  return JSON.stringify({
    ...match,
    destinationRanges: match.destinationRanges?.longest,
    sourceRanges: match.sourceRanges?.longest,
  });
}

function serverNameMatches(pattern: string, name: string): boolean {
  if (pattern === name) return true;
  return pattern.startsWith('*.') && name.endsWith(pattern.slice(1));
}

function ipType(address: string): 'ipv4' | 'ipv6' {
  return isIPv4(address) ? 'ipv4' : 'ipv6';
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

/** Keeps the candidates that match most specifically on one criterion (see the file comment). */
function narrow<T>(candidates: readonly T[], specificity: (candidate: T) => number | undefined): T[] {
  let best = -1;
  const winners: T[] = [];
  for (const candidate of candidates) {
    const score = specificity(candidate);
    if (score === undefined) continue; // names a value that does not match
    if (score > best) {
      best = score;
      winners.length = 0;
    }
    if (score === best) winners.push(candidate);
  }
  return winners;
}

/** Picks the chain for a connection, or undefined (then the default chain, if any, applies). */
export function selectFilterChain<T extends { readonly match: CompiledMatch }>(
  chains: readonly T[],
  facts: ConnectionFacts,
): T | undefined {
  let candidates: T[] = [...chains];
  candidates = narrow(candidates, ({ match }) =>
    match.destinationPort === undefined ? 0 : match.destinationPort === facts.destinationPort ? 1 : undefined,
  );
  candidates = narrow(candidates, ({ match }) => {
    const ranges = match.destinationRanges;
    if (!ranges) return 0;
    return ranges.list.check(facts.destinationAddress, ipType(facts.destinationAddress))
      ? 1 + ranges.longest
      : undefined;
  });
  candidates = narrow(candidates, ({ match }) => {
    if (match.serverNames.length === 0) return 0;
    const hit = match.serverNames.find((p) => serverNameMatches(p, facts.serverName));
    return hit === undefined ? undefined : hit === facts.serverName ? 2 + hit.length : 1 + hit.length;
  });
  candidates = narrow(candidates, ({ match }) =>
    match.transportProtocol === '' ? 0 : match.transportProtocol === facts.transportProtocol ? 1 : undefined,
  );
  // No ALPN is known for plaintext yet, so only chains that leave it unset can match.
  candidates = narrow(candidates, ({ match }) => (match.applicationProtocols.length === 0 ? 0 : undefined));
  candidates = narrow(candidates, ({ match }) => {
    if (match.sourceType === 'ANY') return 0;
    const local = isLoopback(facts.sourceAddress) || facts.sourceAddress === facts.destinationAddress;
    return (match.sourceType === 'SAME_IP_OR_LOOPBACK') === local ? 1 : undefined;
  });
  candidates = narrow(candidates, ({ match }) => {
    const ranges = match.sourceRanges;
    if (!ranges) return 0;
    return ranges.list.check(facts.sourceAddress, ipType(facts.sourceAddress))
      ? 1 + ranges.longest
      : undefined;
  });
  candidates = narrow(candidates, ({ match }) =>
    match.sourcePorts.length === 0 ? 0 : match.sourcePorts.includes(facts.sourcePort) ? 1 : undefined,
  );
  return candidates[0];
}
