/** The mesh model: plain readonly types and pure helpers shared by config, registry, translate and control. */
export * from './config.js';
export * from './endpoint.js';
export * from './gateway-api.js';
export * from './host.js';
export * from './labels.js';
export * from './mesh-config.js';
export * from './networking.js';
export * from './protocol.js';
export * from './proxy.js';
export * from './security.js';
export * from './service.js';
export * from './snapshot.js';
export * from './telemetry.js';
