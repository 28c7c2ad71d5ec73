/**
 * typed_per_filter_config of the route configuration, its virtual hosts and routes, keyed by
 * the HTTP filter's configured name (Envoy's PerFilterConfigs, router/per_filter_config.cc).
 * Each value is decoded and validated once, when the route configuration is compiled, by the
 * filter factory registered for its type; `envoy.config.route.v3.FilterConfig` wraps a value to
 * mark it `is_optional` or to disable or enable the filter at that level. The deprecated `cors`
 * field of virtual hosts and route actions is compiled here too, for the CORS filter.
 *
 * The results live beside the compiled table, keyed by the raw messages the compiled objects
 * keep (`raw`), and are read through the lookups below with the stream's route decision.
 */
import type { FilterConfig__Output } from '../../xds/generated/envoy/config/route/v3/FilterConfig.js';
import type { Route__Output } from '../../xds/generated/envoy/config/route/v3/Route.js';
import type { RouteConfiguration__Output } from '../../xds/generated/envoy/config/route/v3/RouteConfiguration.js';
import type { VirtualHost__Output } from '../../xds/generated/envoy/config/route/v3/VirtualHost.js';
import type { Any__Output } from '../../xds/generated/google/protobuf/Any.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { unpackAny } from '../../xds/protos.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { compileCorsPolicy, type CorsPolicy, ROUTE_CORS_POLICY } from '../filters/http/cors-policy.js';
import { httpFilterFactoryByAnyType } from '../filters/registry.js';
import type { RouteDecision, RouteTable } from './types.js';

const FILTER_CONFIG = 'envoy.config.route.v3.FilterConfig';

interface FilterConfigEntry {
  /** undefined when the entry only enables or disables the filter, or is optional and unknown. */
  readonly config: object | undefined;
  readonly disabled: boolean;
}

type LevelConfigs = ReadonlyMap<string, FilterConfigEntry>;

/** Per level (raw route, virtual host or route configuration message): its compiled entries. */
const levelConfigs = new WeakMap<object, LevelConfigs>();
/** Per raw virtual host or route: its compiled deprecated `cors` policy. */
const legacyCors = new WeakMap<object, CorsPolicy>();
/** Per raw route configuration: filter names some level disables with FilterConfig. */
const disabledSomewhere = new WeakMap<object, ReadonlySet<string>>();

/** Compiles every level of `config`; errors name the field paths under `path`. */
export function compileRouteFilterConfigs(
  config: RouteConfiguration__Output,
  path: FieldPath,
  errors: ConfigError[],
): void {
  const disabledNames = new Set<string>();
  const level = (owner: object, map: Record<string, Any__Output>, levelPath: FieldPath): void => {
    const compiled = compileLevel(map, [...levelPath, 'typed_per_filter_config'], errors);
    if (compiled.size === 0) return;
    levelConfigs.set(owner, compiled);
    for (const [name, entry] of compiled) if (entry.disabled) disabledNames.add(name);
  };
  level(config, config.typed_per_filter_config, path);
  config.virtual_hosts.forEach((host, i) => {
    const hostPath = [...path, 'virtual_hosts', i];
    level(host, host.typed_per_filter_config, hostPath);
    compileLegacyCors(host, host.cors, hostPath, errors);
    host.routes.forEach((route, j) => {
      const routePath = [...hostPath, 'routes', j];
      level(route, route.typed_per_filter_config, routePath);
      compileRouteActionExtras(route, routePath, errors);
    });
  });
  disabledSomewhere.set(config, disabledNames);
}

function compileRouteActionExtras(route: Route__Output, path: FieldPath, errors: ConfigError[]): void {
  const action = route.route;
  if (!action) return;
  compileLegacyCors(route, action.cors, [...path, 'route'], errors);
  // Envoy resolves a weighted cluster's own typed_per_filter_config before the route's, but
  // Skein picks the weighted cluster in the router, after the filters ran: refuse rather than ignore.
  action.weighted_clusters?.clusters.forEach((cluster, k) => {
    if (Object.keys(cluster.typed_per_filter_config).length > 0) {
      errors.push({
        path: [...path, 'route', 'weighted_clusters', 'clusters', k, 'typed_per_filter_config'],
        message: "field 'typed_per_filter_config' is not supported by Skein yet",
      });
    }
  });
}

function compileLegacyCors(
  owner: VirtualHost__Output | Route__Output,
  cors: Parameters<typeof compileCorsPolicy>[1] | null,
  path: FieldPath,
  errors: ConfigError[],
): void {
  if (!cors) return;
  const policy = compileCorsPolicy(ROUTE_CORS_POLICY, cors, [...path, 'cors'], errors);
  if (policy) legacyCors.set(owner, policy);
}

function compileLevel(
  map: Record<string, Any__Output>,
  path: FieldPath,
  errors: ConfigError[],
): Map<string, FilterConfigEntry> {
  const compiled = new Map<string, FilterConfigEntry>();
  for (const [name, any] of Object.entries(map)) {
    const entryPath = [...path, name];
    const unpacked = unpackAny<unknown>(any);
    if (!unpacked.ok) {
      errors.push({ path: entryPath, message: unpacked.error });
      continue;
    }
    if (unpacked.typeName !== FILTER_CONFIG) {
      const config = compileFilterConfig(name, unpacked.typeName, unpacked.value, false, entryPath, errors);
      if (config !== null) compiled.set(name, { config, disabled: false });
      continue;
    }
    const wrapper = unpacked.value as FilterConfig__Output;
    checkSupported(FILTER_CONFIG, wrapper, ['config', 'is_optional', 'disabled'], entryPath, errors);
    // A disabled filter's config is ignored outright; an empty Any only enables the filter.
    if (wrapper.disabled) {
      compiled.set(name, { config: undefined, disabled: true });
      continue;
    }
    if (!wrapper.config) {
      errors.push({
        path: [...entryPath, 'config'],
        message: `Empty route/virtual host per filter configuration for ${name} filter`,
      });
      continue;
    }
    if (wrapper.config.type_url === '') {
      compiled.set(name, { config: undefined, disabled: false });
      continue;
    }
    const inner = unpackAny<unknown>(wrapper.config);
    if (!inner.ok) {
      errors.push({ path: [...entryPath, 'config'], message: inner.error });
      continue;
    }
    const config = compileFilterConfig(
      name,
      inner.typeName,
      inner.value,
      wrapper.is_optional,
      [...entryPath, 'config'],
      errors,
    );
    if (config !== null) compiled.set(name, { config, disabled: false });
  }
  return compiled;
}

/** The compiled config; undefined for an optional one Skein lacks; null on error. */
function compileFilterConfig(
  name: string,
  typeName: string,
  value: unknown,
  isOptional: boolean,
  path: FieldPath,
  errors: ConfigError[],
): object | undefined | null {
  const factory = httpFilterFactoryByAnyType(typeName);
  if (!factory?.createRouteConfig || factory.routeConfigTypeName === undefined) {
    if (isOptional) return undefined;
    errors.push({
      path,
      message: factory
        ? `The filter ${name} doesn't support virtual host or route specific configurations`
        : `Didn't find a registered implementation for '${name}' with type URL: '${typeName}'`,
    });
    return null;
  }
  if (factory.routeConfigTypeName !== typeName) {
    errors.push({
      path,
      message: `the per-route config of ${factory.typeName} must be a ${factory.routeConfigTypeName}, not ${typeName}`,
    });
    return null;
  }
  const before = errors.length;
  const config = factory.createRouteConfig(value, path, errors);
  return errors.length > before || !config ? null : config;
}

/** What the lookups read from a stream (HttpStream has both). */
export interface RoutedStream {
  route(): RouteDecision | undefined;
  readonly routeTable: RouteTable;
}

/** The levels' entries for `name`, most specific first: route, virtual host, route configuration. */
function entries(stream: RoutedStream, name: string): (FilterConfigEntry | undefined)[] {
  const decision = stream.route();
  const table = levelConfigs.get(stream.routeTable.raw)?.get(name);
  if (!decision) return [table];
  const route = decision.route.raw;
  return [
    route ? levelConfigs.get(route)?.get(name) : undefined,
    levelConfigs.get(decision.virtualHost.raw)?.get(name),
    table,
  ];
}

type ConfigClass<T> = abstract new (...args: never[]) => T;

/**
 * The most specific config for the filter named `name` (Envoy's mostSpecificPerFilterConfig):
 * the route's, else the virtual host's, else the route configuration's. undefined when none, or
 * when the most specific one is not a `type` (Envoy's dynamic_cast in resolveMostSpecificPerFilterConfig).
 */
export function mostSpecificPerFilterConfig<T>(
  stream: RoutedStream,
  name: string,
  type: ConfigClass<T>,
): T | undefined {
  for (const entry of entries(stream, name)) {
    if (entry?.config !== undefined) return entry.config instanceof type ? entry.config : undefined;
  }
  return undefined;
}

/** Every level's config of `type`, least specific first (Envoy's getAllPerFilterConfig). */
export function allPerFilterConfigs<T>(stream: RoutedStream, name: string, type: ConfigClass<T>): T[] {
  const out: T[] = [];
  const levels = entries(stream, name);
  for (let i = levels.length - 1; i >= 0; i--) {
    const config = levels[i]?.config;
    if (config instanceof type) out.push(config);
  }
  return out;
}

/**
 * Whether the most specific level that mentions `name` disables it (true) or enables it (false);
 * undefined when no level does (Envoy's RouteEntryImplBase::filterDisabled).
 */
export function filterDisabled(stream: RoutedStream, name: string): boolean | undefined {
  for (const entry of entries(stream, name)) if (entry) return entry.disabled;
  return undefined;
}

/** True when some level of `table` disables the filter named `name` with FilterConfig. */
export function routeTableDisablesFilter(table: RouteTable, name: string): boolean {
  return disabledSomewhere.get(table.raw)?.has(name) ?? false;
}

/** The deprecated `cors` policies of the route action and then the virtual host, where set. */
export function legacyCorsPolicies(stream: RoutedStream): CorsPolicy[] {
  const decision = stream.route();
  if (!decision) return [];
  const out: CorsPolicy[] = [];
  const route = decision.route.raw ? legacyCors.get(decision.route.raw) : undefined;
  if (route) out.push(route);
  const host = legacyCors.get(decision.virtualHost.raw);
  if (host) out.push(host);
  return out;
}
