/**
 * PeerAuthentication, AuthorizationPolicy and RequestAuthentication semantic checks, after
 * istio/istio pkg/config/validation/validation.go (`ValidatePeerAuthentication`,
 * `ValidateAuthorizationPolicy`, `ValidateRequestAuthentication`).
 */
import type { ConfigResource } from '../../model/config.js';
import type { FieldPath } from '../field-path.js';
import { Issues, validateLabels } from './common.js';

interface Selector {
  readonly matchLabels?: Readonly<Record<string, string>>;
}

interface PeerAuthenticationSpec {
  readonly selector?: Selector;
  readonly portLevelMtls?: Readonly<Record<string, unknown>>;
}

interface Source {
  readonly [field: string]: readonly string[] | undefined;
}

interface Rule {
  readonly from?: readonly { readonly source?: Source }[];
  readonly to?: readonly { readonly operation?: Source }[];
  readonly when?: readonly { readonly key?: string; readonly values?: readonly string[]; readonly notValues?: readonly string[] }[];
}

interface AuthorizationPolicySpec {
  readonly selector?: Selector;
  readonly action?: 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';
  readonly provider?: { readonly name?: string };
  readonly rules?: readonly Rule[];
}

interface RequestAuthenticationSpec {
  readonly selector?: Selector;
  readonly jwtRules?: readonly { readonly issuer?: string; readonly jwksUri?: string; readonly jwks?: string }[];
}

export function validatePeerAuthentication(resource: ConfigResource): Issues {
  const spec = (resource.spec ?? {}) as PeerAuthenticationSpec;
  const issues = new Issues();
  const emptySelector = Object.keys(spec.selector?.matchLabels ?? {}).length === 0;
  const ports = spec.portLevelMtls;
  if (emptySelector && ports && Object.keys(ports).length > 0) {
    issues.error(['spec', 'portLevelMtls'], 'mesh/namespace peer authentication cannot have port level mTLS');
  }
  if (ports && Object.keys(ports).length === 0) issues.error(['spec', 'portLevelMtls'], 'port level mTLS, if defined, must have at least one element');
  for (const port of Object.keys(ports ?? {})) {
    const n = Number(port);
    if (!Number.isInteger(n) || n <= 0 || n > 65535) issues.error(['spec', 'portLevelMtls', port], 'port must be in range 1..65535');
  }
  validateLabels(spec.selector?.matchLabels, ['spec', 'selector', 'matchLabels'], issues);
  return issues;
}

const SOURCE_FIELDS = [
  'principals', 'requestPrincipals', 'namespaces', 'ipBlocks', 'remoteIpBlocks', 'serviceAccounts', 'trustDomains',
  'notPrincipals', 'notRequestPrincipals', 'notNamespaces', 'notIpBlocks', 'notRemoteIpBlocks', 'notServiceAccounts', 'notTrustDomains',
];
const OPERATION_FIELDS = ['hosts', 'ports', 'methods', 'paths', 'notHosts', 'notPorts', 'notMethods', 'notPaths'];
/** CUSTOM action cannot match these yet (Istio: "... is currently not supported with CUSTOM action"). */
const CUSTOM_UNSUPPORTED_SOURCE = ['namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'trustDomains', 'notTrustDomains', 'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals'];

function checkNoEmptyValues(object: Source, fields: readonly string[], path: FieldPath, issues: Issues): void {
  for (const field of fields) {
    const values = object[field];
    if (values?.some((v) => v === '')) issues.error([...path, field], `empty value is found in ${field[0]?.toUpperCase()}${field.slice(1)}`);
  }
}

export function validateAuthorizationPolicy(resource: ConfigResource): Issues {
  const spec = (resource.spec ?? {}) as AuthorizationPolicySpec;
  const issues = new Issues();
  const action = spec.action ?? 'ALLOW';
  validateLabels(spec.selector?.matchLabels, ['spec', 'selector', 'matchLabels'], issues);
  const meaningless = 'without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request';
  if (action === 'CUSTOM') {
    if (spec.rules === undefined) issues.error(['spec'], `CUSTOM action ${meaningless}`);
    else if (!spec.provider?.name) issues.error(['spec', 'provider'], '`provider.name` must not be empty');
  }
  if (spec.provider && action !== 'CUSTOM') issues.error(['spec', 'provider'], `\`provider\` must not be with non CUSTOM action, found ${action}`);
  if (action === 'DENY' && spec.rules === undefined) issues.error(['spec'], `DENY action ${meaningless}`);
  spec.rules?.forEach((rule, i) => {
    const path = ['spec', 'rules', i];
    if (rule.from !== undefined && rule.from.length === 0) issues.error([...path, 'from'], `\`from\` must not be empty, found at rule ${i}`);
    rule.from?.forEach((from, j) => {
      const source = from.source;
      const at = [...path, 'from', j, 'source'];
      if (!source) return issues.error(at, `\`from.source\` must not be nil, found at rule ${i}`);
      if (!SOURCE_FIELDS.some((f) => (source[f]?.length ?? 0) > 0)) issues.error(at, `\`from.source\` must not be empty, found at rule ${i}`);
      checkNoEmptyValues(source, SOURCE_FIELDS, at, issues);
      if (action === 'CUSTOM') {
        for (const field of CUSTOM_UNSUPPORTED_SOURCE) {
          if ((source[field]?.length ?? 0) > 0) issues.error([...at, field], `From.${field[0]?.toUpperCase()}${field.slice(1)} is currently not supported with CUSTOM action`);
        }
      }
    });
    if (rule.to !== undefined && rule.to.length === 0) issues.error([...path, 'to'], `\`to\` must not be empty, found at rule ${i}`);
    rule.to?.forEach((to, j) => {
      const operation = to.operation;
      const at = [...path, 'to', j, 'operation'];
      if (!operation) return issues.error(at, `\`to.operation\` must not be nil, found at rule ${i}`);
      if (!OPERATION_FIELDS.some((f) => (operation[f]?.length ?? 0) > 0)) issues.error(at, `\`to.operation\` must not be empty, found at rule ${i}`);
      checkNoEmptyValues(operation, OPERATION_FIELDS, at, issues);
      for (const field of ['ports', 'notPorts']) {
        for (const port of operation[field] ?? []) {
          const n = Number(port);
          if (!/^[0-9]+$/.test(port) || n < 1 || n > 65535) issues.error([...at, field], `port must be in the range [1, 65535] but found ${port}`);
        }
      }
    });
    rule.when?.forEach((condition, j) => {
      const at = [...path, 'when', j];
      if (!condition.key) return issues.error([...at, 'key'], '`key` must not be empty');
      if (!condition.values?.length && !condition.notValues?.length) {
        issues.error(at, `at least one of \`values\` or \`notValues\` must be set for key ${condition.key}`);
      }
      if (action === 'CUSTOM' && (['source.namespace', 'source.serviceAccount', 'source.trustDomain', 'source.principal'].includes(condition.key) || condition.key.startsWith('request.auth.'))) {
        issues.error([...at, 'key'], `${condition.key} is currently not supported with CUSTOM action`);
      }
    });
    const onlyHttpFrom = rule.from?.every((f) => !['principals', 'notPrincipals', 'ipBlocks', 'notIpBlocks', 'namespaces', 'notNamespaces', 'remoteIpBlocks', 'notRemoteIpBlocks', 'serviceAccounts', 'notServiceAccounts'].some((k) => f.source?.[k] !== undefined)) ?? true;
    const onlyHttpTo = rule.to?.every((t) => t.operation?.ports === undefined && t.operation?.notPorts === undefined) ?? true;
    const hasFrom = (rule.from?.length ?? 0) > 0;
    const hasTo = (rule.to?.length ?? 0) > 0;
    if (action === 'DENY' && ((hasFrom && !hasTo && onlyHttpFrom) || (hasTo && onlyHttpTo))) {
      issues.warning(path, 'configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port');
    }
  });
  return issues;
}

export function validateRequestAuthentication(resource: ConfigResource): Issues {
  const spec = (resource.spec ?? {}) as RequestAuthenticationSpec;
  const issues = new Issues();
  validateLabels(spec.selector?.matchLabels, ['spec', 'selector', 'matchLabels'], issues);
  spec.jwtRules?.forEach((rule, i) => {
    if (!rule.issuer) issues.error(['spec', 'jwtRules', i, 'issuer'], 'issuer must be set');
  });
  return issues;
}
