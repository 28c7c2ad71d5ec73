/** Translation of the mesh (Istio and Gateway API config + registry) to Envoy v3 xDS, per proxy. */
export { generate, generateEndpoints, generateListeners, generateRoutes, routeNamesFor } from './generate.js';
export { generateClusters } from './clusters.js';
export { pushContextOf, type PushContext } from './push-context.js';
export { proxyScopeOf, type ProxyScope } from './sidecar-scope.js';
export * from './names.js';
export * from './xds-resource.js';
