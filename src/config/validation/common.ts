/**
 * Building blocks of Istio's semantic validation (istio/istio pkg/config/validation/agent and
 * pkg/config/labels), with Istio's error messages verbatim so users can search for them.
 */
import { isIP } from 'node:net';
import { RE2JS } from 're2js';
import { parseGoDuration } from '../duration.js';
import type { FieldPath } from '../field-path.js';
import type { Issue } from '../schema-validator.js';

/** Collects errors and warnings with their field paths. */
export class Issues {
  readonly list: Issue[] = [];
  error(path: FieldPath, message: string | undefined): void {
    if (message !== undefined) this.list.push({ level: 'error', path, message });
  }
  warning(path: FieldPath, message: string | undefined): void {
    if (message !== undefined) this.list.push({ level: 'warning', path, message });
  }
}

const DNS1123_LABEL = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const WILDCARD_PREFIX = /^(\*|(\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;
const QUALIFIED_NAME = /^(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_KEY = /^((?:[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)*)\/)?((?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/;
const LABEL_VALUE = /^((?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

/** Kubernetes object names (metadata.name) of custom resources: DNS-1123 subdomains. */
export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}

export function isIpAddress(value: string): boolean {
  return isIP(value) !== 0;
}

/** agent.CheckDNS1123Preconditions + ValidateDNS1123Labels (ValidateFQDN). */
export function validateFqdn(domain: string): string | undefined {
  if (domain.length > 255) return `domain name "${domain}" too long (max 255)`;
  if (domain.length === 0) return 'empty domain name not allowed';
  return validateDns1123Labels(domain);
}

function validateDns1123Labels(domain: string): string | undefined {
  const parts = domain.split('.');
  const top = parts[parts.length - 1] ?? '';
  if (/^[+-]?[0-9]+$/.test(top)) return `domain name "${domain}" invalid (top level domain "${top}" cannot be all-numeric)`;
  for (let i = 0; i < parts.length; i++) {
    const label = parts[i] ?? '';
    if (i === parts.length - 1 && label === '') return undefined; // `istio.io.` is allowed
    if (!isDns1123Label(label)) return `domain name "${domain}" invalid (label "${label}" invalid)`;
  }
  return undefined;
}

/** agent.ValidateWildcardDomain: a wildcard is allowed only in the first label. */
export function validateWildcardDomain(domain: string): string | undefined {
  if (domain.length > 255) return `domain name "${domain}" too long (max 255)`;
  if (domain.length === 0) return 'empty domain name not allowed';
  const dot = domain.indexOf('.');
  const first = dot < 0 ? domain : domain.slice(0, dot);
  if (first.length > 63 || !WILDCARD_PREFIX.test(first)) return `domain name "${domain}" invalid (label "${first}" invalid)`;
  return dot < 0 ? undefined : validateDns1123Labels(domain.slice(dot + 1));
}

/** agent.ValidatePartialWildCard. */
export function validatePartialWildcard(host: string): string | undefined {
  return host.includes('*') && host.length !== 1 && !host.startsWith('*.') ? `partial wildcard "${host}" not allowed` : undefined;
}

/** agent.ValidatePort. */
export function validatePort(port: number): string | undefined {
  return port >= 1 && port <= 65535 ? undefined : `port number ${port} must be in the range 1..65535`;
}

/**
 * agent.ValidateDuration: at least 1ms, whole milliseconds. The syntax is Go's (see duration.ts);
 * the schema's CEL rule already rejected what does not parse.
 */
export function validateDuration(text: string): string | undefined {
  const parsed = parseGoDuration(text);
  if (!parsed.ok) return parsed.error;
  if (parsed.nanos < 1e6) return 'duration must be greater than 1ms';
  if (parsed.nanos % 1e6 !== 0) return 'only durations to ms precision are supported';
  return undefined;
}

/**
 * validation.go validateStringRegexp: RE2 syntax (Envoy's safe_regex) and at most 1024
 * characters, Istio's approximation of Envoy's re2.max_program_size.
 */
export function validateRegex(regex: string, where: string): string | undefined {
  if (regex === '') return `"${where}": regex string match should not be empty`;
  if (regex.length > 1024) return `"${where}": regex is too large, max length allowed is 1024`;
  try {
    RE2JS.compile(regex);
    return undefined;
  } catch (error) {
    return `"${where}": ${(error as Error).message}; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)`;
  }
}

/** Kubernetes label keys and values (labels.Instance.Validate). */
export function validateLabels(labels: Readonly<Record<string, string>> | undefined, path: FieldPath, issues: Issues): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    const match = LABEL_KEY.exec(key);
    if (!match || (match[1] !== undefined && match[1].length - 1 > 253)) issues.error([...path, key], `invalid tag key: "${key}"`);
    if (!LABEL_VALUE.test(value) || value.length > 63) issues.error([...path, key], `invalid tag value: "${value}"`);
  }
}

export function isQualifiedName(value: string): boolean {
  return value.length <= 63 && QUALIFIED_NAME.test(value);
}

/** validation.go validateExportTo (without the ServiceEntry `~` special case unless asked). */
export function validateExportTo(
  namespace: string,
  exportTo: readonly string[] | undefined,
  path: FieldPath,
  issues: Issues,
  isServiceEntry = false,
): void {
  if (!exportTo || exportTo.length === 0) return;
  const seen = new Set<string>();
  exportTo.forEach((entry, i) => {
    const key = entry === '.' ? namespace : entry;
    if (seen.has(key)) {
      issues.error(
        [...path, i],
        key !== entry ? `duplicate entries in exportTo: . and current namespace ${namespace}` : `duplicate entries in exportTo for entry ${entry}`,
      );
      return;
    }
    if (!(isServiceEntry && entry === '~') && key !== '*' && key !== '~' && !isDns1123Label(key)) {
      issues.error([...path, i], `only . or * or ~ or a valid DNS 1123 label is allowed as exportTo entry, got "${entry}"`);
      return;
    }
    seen.add(key);
  });
  if (seen.has('*') && exportTo.length > 1) issues.error(path, 'cannot have both public (*) and non-public exportTo values for a resource');
  if (seen.has('~') && exportTo.length > 1) issues.error(path, 'cannot export service entry to no one (~) and someone');
}

/** validation.go validateHTTPRouteDestinations / validateWeight: weights are relative; all zero is an error. */
export function validateWeights(weights: readonly (number | undefined)[], path: FieldPath, issues: Issues): void {
  let total = 0;
  weights.forEach((weight, i) => {
    if ((weight ?? 0) < 0) issues.error([...path, i, 'weight'], `weight ${weight} < 0`);
    total += weight ?? 0;
  });
  if (weights.length > 1 && total === 0) issues.error(path, 'total destination weight = 0');
}

/** validatePercentage. */
export function validatePercentage(value: number | undefined, path: FieldPath, issues: Issues): void {
  if (value === undefined) return;
  if (value < 0 || value > 100 || (value > 0 && value < 0.0001)) {
    issues.error(path, `percentage ${value} is neither 0.0, nor in range [0.0001, 100.0]`);
  }
}
