import { httpConnectionManagerFactory } from '../http/hcm-filter.js';
import { routerFilterFactory } from '../http/router-filter.js';
import { tcpProxyFactory } from '../tcp/tcp-proxy.js';
import { corsFilterFactory } from './http/cors.js';
import { faultFilterFactory } from './http/fault.js';
import { headerMutationFilterFactory } from './http/header-mutation-filter.js';
import { localRateLimitFilterFactory } from './http/local-ratelimit.js';
import { registerHttpFilter, registerNetworkFilter } from './registry.js';

let registered = false;

/** Registers every built-in filter by its Envoy type URL; called once at start-up (idempotent). */
export function registerBuiltinFilters(): void {
  if (registered) return;
  registered = true;
  registerNetworkFilter(httpConnectionManagerFactory);
  registerNetworkFilter(tcpProxyFactory);
  registerHttpFilter(routerFilterFactory);
  registerHttpFilter(faultFilterFactory);
  registerHttpFilter(corsFilterFactory);
  registerHttpFilter(localRateLimitFilterFactory);
  registerHttpFilter(headerMutationFilterFactory);
}
