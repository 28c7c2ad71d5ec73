/**
 * Diagnostics: every problem found in config, with Istio's analyzer message codes and names
 * verbatim where Istio has one (pkg/config/analysis/msg/messages.yaml), and `SKN` codes for the
 * file-level problems Istio reports without a code (YAML syntax, unknown kinds, duplicates).
 */
import type { FieldPath } from './field-path.js';
import { formatFieldPath } from './field-path.js';

export type DiagnosticLevel = 'error' | 'warning' | 'info';

export interface ResourceRef {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export interface Diagnostic {
  readonly level: DiagnosticLevel;
  /** `IST0101`, `SKN0001`, ... stable across releases. */
  readonly code: string;
  /** `ReferencedResourceNotFound`, ... */
  readonly name: string;
  readonly message: string;
  readonly resource?: ResourceRef;
  readonly file?: string;
  /** 1-based. */
  readonly line?: number;
  readonly fieldPath?: string;
}

export interface MessageType {
  readonly code: string;
  readonly name: string;
  readonly level: DiagnosticLevel;
}

const m = (code: string, name: string, level: DiagnosticLevel): MessageType => ({ code, name, level });

/** The message types Skein reports (Istio's codes, names and levels, plus Skein's own). */
export const MSG = {
  ReferencedResourceNotFound: m('IST0101', 'ReferencedResourceNotFound', 'error'),
  SchemaValidationError: m('IST0106', 'SchemaValidationError', 'error'),
  ConflictingMeshGatewayVirtualServiceHosts: m('IST0109', 'ConflictingMeshGatewayVirtualServiceHosts', 'error'),
  MultipleSidecarsWithoutWorkloadSelectors: m('IST0111', 'MultipleSidecarsWithoutWorkloadSelectors', 'error'),
  VirtualServiceDestinationPortSelectorRequired: m('IST0112', 'VirtualServiceDestinationPortSelectorRequired', 'error'),
  VirtualServiceUnreachableRule: m('IST0130', 'VirtualServiceUnreachableRule', 'warning'),
  VirtualServiceIneffectiveMatch: m('IST0131', 'VirtualServiceIneffectiveMatch', 'info'),
  VirtualServiceHostNotFoundInGateway: m('IST0132', 'VirtualServiceHostNotFoundInGateway', 'warning'),
  SchemaWarning: m('IST0133', 'SchemaWarning', 'warning'),
  UnknownDestinationRuleHost: m('IST0174', 'UnknownDestinationRuleHost', 'warning'),
  YamlSyntaxError: m('SKN0001', 'YamlSyntaxError', 'error'),
  UnknownKind: m('SKN0002', 'UnknownKind', 'error'),
  DuplicateResource: m('SKN0003', 'DuplicateResource', 'error'),
  UnsupportedKind: m('SKN0004', 'UnsupportedKind', 'warning'),
  IgnoredKind: m('SKN0005', 'IgnoredKind', 'info'),
  UnreadableFile: m('SKN0006', 'UnreadableFile', 'error'),
} as const;

export interface Where {
  readonly resource?: ResourceRef;
  readonly file?: string;
  readonly line?: number;
  readonly path?: FieldPath;
}

export function diagnostic(type: MessageType, message: string, where: Where = {}): Diagnostic {
  return {
    level: type.level,
    code: type.code,
    name: type.name,
    message,
    ...(where.resource ? { resource: where.resource } : {}),
    ...(where.file !== undefined ? { file: where.file } : {}),
    ...(where.line !== undefined ? { line: where.line } : {}),
    ...(where.path && where.path.length > 0 ? { fieldPath: formatFieldPath(where.path) } : {}),
  };
}

const LEVEL_WORD: Readonly<Record<DiagnosticLevel, string>> = { error: 'Error', warning: 'Warning', info: 'Info' };

/**
 * istioctl analyze's line format:
 * `Error [IST0101] (VirtualService default/reviews samples/x.yaml:12) Referenced host+subset in destinationrule not found: "reviews+v9"`.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const origin = d.file === undefined ? undefined : d.line === undefined ? d.file : `${d.file}:${d.line}`;
  const resource = d.resource
    ? `${d.resource.kind} ${d.resource.namespace ? `${d.resource.namespace}/` : ''}${d.resource.name}`
    : undefined;
  const where = [resource, origin].filter((x) => x !== undefined).join(' ');
  return `${LEVEL_WORD[d.level]} [${d.code}]${where ? ` (${where})` : ''} ${d.message}`;
}

/** Orders diagnostics by file, line, then code, as a reader scans them. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  const fa = a.file ?? '';
  const fb = b.file ?? '';
  if (fa !== fb) return fa < fb ? -1 : 1;
  if ((a.line ?? 0) !== (b.line ?? 0)) return (a.line ?? 0) - (b.line ?? 0);
  return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
}
