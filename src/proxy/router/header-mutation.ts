/**
 * `*_headers_to_add` / `*_headers_to_remove` at one level (route, virtual host, route config or
 * weighted cluster), as Envoy's HeaderParser (source/common/router/header_parser.cc):
 * removals first, then every value is formatted against the headers as they stand, then
 * overwrites, then additions. `append` (legacy BoolValue) maps true to APPEND_IF_EXISTS_OR_ADD and
 * false to OVERWRITE_IF_EXISTS_OR_ADD, and may not be combined with a non-default append_action.
 * An empty value is skipped unless keep_empty_value. `:`-prefixed and host headers may be
 * neither added nor removed: Envoy rejects such a config.
 */
import type { HeaderValueOption__Output } from '../../xds/generated/envoy/config/core/v3/HeaderValueOption.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { asciiLower } from '../matchers/ascii.js';
import { checkHeaderName, checkHeaderValue } from '../matchers/field-checks.js';
import { compileHeaderFormat, type FormatInput, type HeaderFormatter } from './header-formatter.js';
import { hasHeader, removeHeader, setHeader } from './headers.js';

type AppendAction =
  | 'APPEND_IF_EXISTS_OR_ADD'
  | 'ADD_IF_ABSENT'
  | 'OVERWRITE_IF_EXISTS_OR_ADD'
  | 'OVERWRITE_IF_EXISTS';
const APPEND_ACTIONS: readonly string[] = [
  'APPEND_IF_EXISTS_OR_ADD',
  'ADD_IF_ABSENT',
  'OVERWRITE_IF_EXISTS_OR_ADD',
  'OVERWRITE_IF_EXISTS',
];

interface HeaderToAdd {
  readonly name: string;
  readonly format: HeaderFormatter;
  readonly action: AppendAction;
  readonly keepEmpty: boolean;
}

export interface HeaderMutations {
  /** Mutates `headers` in place. */
  apply(headers: string[], input: FormatInput): void;
}

/** PGV max_items on every *_headers_to_add list. */
const MAX_HEADERS_TO_ADD = 1000;

/** Field names of one level's lists, for error paths. */
export interface MutationFields {
  readonly add: string;
  readonly remove: string;
}

export const REQUEST_FIELDS: MutationFields = {
  add: 'request_headers_to_add',
  remove: 'request_headers_to_remove',
};
export const RESPONSE_FIELDS: MutationFields = {
  add: 'response_headers_to_add',
  remove: 'response_headers_to_remove',
};

/** Undefined when both lists are empty (nothing to do) or on error (see `errors`). */
export function compileHeaderMutations(
  toAdd: readonly HeaderValueOption__Output[],
  toRemove: readonly string[],
  path: FieldPath,
  fields: MutationFields,
  errors: ConfigError[],
): HeaderMutations | undefined {
  if (toAdd.length === 0 && toRemove.length === 0) return undefined;
  const before = errors.length;
  if (toAdd.length > MAX_HEADERS_TO_ADD) {
    errors.push({
      path: [...path, fields.add],
      message: `at most ${MAX_HEADERS_TO_ADD} headers may be added`,
    });
  }
  const removals: string[] = [];
  toRemove.forEach((name, i) => {
    const itemPath = [...path, fields.remove, i];
    if (checkHeaderName(name, itemPath, errors) && checkModifiable(name, itemPath, 'removed', errors))
      removals.push(asciiLower(name));
  });
  const additions: HeaderToAdd[] = [];
  toAdd.forEach((option, i) => {
    const added = compileHeaderToAdd(option, [...path, fields.add, i], errors);
    if (added) additions.push(added);
  });
  if (errors.length > before) return undefined;
  return { apply: (headers, input) => applyMutations(headers, input, removals, additions) };
}

function compileHeaderToAdd(
  option: HeaderValueOption__Output,
  path: FieldPath,
  errors: ConfigError[],
): HeaderToAdd | undefined {
  checkSupported(
    'envoy.config.core.v3.HeaderValueOption',
    option,
    ['header', 'append', 'append_action', 'keep_empty_value'],
    path,
    errors,
  );
  const header = option.header;
  if (!header) {
    errors.push({ path: [...path, 'header'], message: 'header is required' });
    return undefined;
  }
  const headerPath = [...path, 'header'];
  checkSupported('envoy.config.core.v3.HeaderValue', header, ['key', 'value'], headerPath, errors);
  const keyPath = [...headerPath, 'key'];
  if (
    !checkHeaderName(header.key, keyPath, errors) ||
    !checkModifiable(header.key, keyPath, 'modified', errors)
  )
    return undefined;
  if (!checkHeaderValue(header.value, [...headerPath, 'value'], errors)) return undefined;

  let action: AppendAction;
  if (!APPEND_ACTIONS.includes(option.append_action)) {
    errors.push({
      path: [...path, 'append_action'],
      message: `unknown append_action ${String(option.append_action)}`,
    });
    return undefined;
  }
  if (option.append) {
    if (option.append_action !== 'APPEND_IF_EXISTS_OR_ADD') {
      errors.push({ path: [...path, 'append'], message: 'append and append_action may not both be set' });
      return undefined;
    }
    action = option.append.value ? 'APPEND_IF_EXISTS_OR_ADD' : 'OVERWRITE_IF_EXISTS_OR_ADD';
  } else {
    action = option.append_action as AppendAction;
  }
  const format = compileHeaderFormat(header.value, [...headerPath, 'value'], errors);
  if (!format) return undefined;
  return { name: asciiLower(header.key), format, action, keepEmpty: option.keep_empty_value };
}

/** Http::HeaderUtility::isModifiableHeader / isRemovableHeader. */
function checkModifiable(name: string, path: FieldPath, verb: string, errors: ConfigError[]): boolean {
  if (name.startsWith(':') || asciiLower(name) === 'host') {
    errors.push({ path, message: `:-prefixed or host headers may not be ${verb}` });
    return false;
  }
  return true;
}

function applyMutations(
  headers: string[],
  input: FormatInput,
  removals: readonly string[],
  additions: readonly HeaderToAdd[],
): void {
  for (const name of removals) removeHeader(headers, name);
  if (additions.length === 0) return;
  const overwrite: [string, string][] = [];
  const add: [string, string][] = [];
  for (const header of additions) {
    const value = header.format(input);
    if (value === '' && !header.keepEmpty) continue;
    switch (header.action) {
      case 'APPEND_IF_EXISTS_OR_ADD':
        add.push([header.name, value]);
        break;
      case 'ADD_IF_ABSENT':
        if (!hasHeader(headers, header.name)) add.push([header.name, value]);
        break;
      case 'OVERWRITE_IF_EXISTS':
        if (hasHeader(headers, header.name)) overwrite.push([header.name, value]);
        break;
      case 'OVERWRITE_IF_EXISTS_OR_ADD':
        overwrite.push([header.name, value]);
        break;
    }
  }
  for (const [name, value] of overwrite) setHeader(headers, name, value);
  for (const [name, value] of add) headers.push(name, value);
}

/**
 * One append on its own, with the same append_action semantics (the header_mutation filter
 * applies its mutations one by one, in order: Http::HeaderMutations).
 */
export function compileHeaderAppend(
  option: HeaderValueOption__Output,
  path: FieldPath,
  errors: ConfigError[],
): HeaderMutations | undefined {
  const added = compileHeaderToAdd(option, path, errors);
  return added && { apply: (headers, input) => applyMutations(headers, input, [], [added]) };
}

/** One removal on its own. */
export function compileHeaderRemove(name: string, path: FieldPath, errors: ConfigError[]): HeaderMutations | undefined {
  if (!checkHeaderName(name, path, errors) || !checkModifiable(name, path, 'removed', errors)) return undefined;
  const lower = asciiLower(name);
  return { apply: (headers) => removeHeader(headers, lower) };
}
