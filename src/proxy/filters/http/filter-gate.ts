/**
 * Route-based filter chains: an http_filters entry with `disabled: true` runs only where a
 * route, virtual host or route configuration enables it with typed_per_filter_config, and an
 * enabled one is skipped where a level disables it with `FilterConfig{disabled: true}`; the most
 * specific level that names the filter decides (Envoy's FilterChainUtility with
 * RouteEntryImplBase::filterDisabled). Envoy decides when it builds the chain, after routing;
 * the gate decides when the filter is first reached, from the stream's route at that moment.
 */
import type { HttpFilter, HttpStream, ResponseHead } from '../../http/http-filter.js';
import { filterDisabled } from '../../router/per-filter-config.js';

/** Wraps a filter maker so each stream's filter runs only where its route lets it. */
export function gateByRoute(name: string, disabledByDefault: boolean, make: () => HttpFilter): () => HttpFilter {
  return () => new RouteGatedFilter(name, disabledByDefault, make);
}

class RouteGatedFilter implements HttpFilter {
  private readonly name: string;
  private readonly disabledByDefault: boolean;
  private readonly make: () => HttpFilter;
  /** null until decided; undefined when skipped for this stream. */
  private inner: HttpFilter | undefined | null = null;

  constructor(name: string, disabledByDefault: boolean, make: () => HttpFilter) {
    this.name = name;
    this.disabledByDefault = disabledByDefault;
    this.make = make;
  }

  private filter(stream: HttpStream): HttpFilter | undefined {
    if (this.inner === null) {
      const disabled = filterDisabled(stream, this.name) ?? this.disabledByDefault;
      this.inner = disabled ? undefined : this.make();
    }
    return this.inner;
  }

  decodeHeaders(stream: HttpStream): 'continue' | 'stop' {
    const inner = this.filter(stream);
    return inner ? inner.decodeHeaders(stream) : 'continue';
  }

  encodeHeaders(stream: HttpStream, head: ResponseHead): void {
    this.filter(stream)?.encodeHeaders?.(stream, head);
  }

  onDestroy(): void {
    this.inner?.onDestroy?.();
  }
}
