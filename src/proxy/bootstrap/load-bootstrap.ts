/**
 * Reads an Envoy v3 Bootstrap from YAML or JSON text, as `envoy -c` does, and decodes it
 * strictly. Errors carry the field path and, for YAML and JSON alike, the line it is on.
 */
import { createRequire } from 'node:module';
import yaml from 'js-yaml';
import type { Bootstrap__Output } from '../../xds/generated/envoy/config/bootstrap/v3/Bootstrap.js';
import { decodeProtoJson, type FieldPath, formatPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { checkDynamicResources } from './dynamic-resources.js';
import { findDuplicateJsonKey } from './json-duplicate-keys.js';

export interface BootstrapError extends ConfigError {
  /** 1-based line in the source, when the path could be located. */
  readonly line: number | undefined;
}

export type BootstrapResult =
  | { ok: true; bootstrap: Bootstrap__Output }
  | { ok: false; errors: BootstrapError[] };

const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';
/** Top-level bootstrap fields Skein implements; anything else set is an error. */
const SUPPORTED_FIELDS = ['node', 'static_resources', 'dynamic_resources', 'admin', 'stats_config'];
const SUPPORTED_STATIC = ['listeners', 'clusters'];
const SUPPORTED_ADMIN = ['address'];

const DUPLICATE = Symbol('duplicate key');

/** The parsed JSON value, DUPLICATE when an object repeats a key, undefined when not JSON. */
function parseJson(text: string): unknown {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return findDuplicateJsonKey(trimmed) === undefined ? value : DUPLICATE;
  } catch {
    return undefined; // YAML that happens to start with '{', or broken JSON: the YAML parser explains
  }
}

/** Maps a field path to its 1-based line, through YAML's document model (JSON is YAML). */
function lineFinder(text: string): (path: FieldPath) => number | undefined {
  // Loaded only here, on the error path: importing `yaml` costs ~8 MB of RSS in every proxy.
  const { LineCounter, parseDocument } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
}

/** Parses and decodes bootstrap text. `fileName` only labels errors. */
export function parseBootstrap(text: string, fileName = 'bootstrap'): BootstrapResult {
  // JSON is parsed directly and YAML by js-yaml: the `yaml` package's document model costs
  // ~130 bytes of heap per source byte, and a sidecar-sized bootstrap would leave that much
  // committed heap behind. That document is built only when there are errors to place.
  let json: unknown = parseJson(text);
  if (json === DUPLICATE) {
    return {
      ok: false,
      errors: [
        { path: [], message: `${fileName}: duplicate key "${findDuplicateJsonKey(text)}"`, line: undefined },
      ],
    };
  }
  if (json === undefined) {
    try {
      // The YAML 1.2 core schema only: no timestamps or binary turning a string field into an object.
      json = yaml.load(text, { schema: yaml.CORE_SCHEMA, filename: fileName }) ?? {};
    } catch (err) {
      const mark = (err as { mark?: { line: number } }).mark;
      const reason = (err as { reason?: string }).reason ?? (err as Error).message;
      return {
        ok: false,
        errors: [
          {
            path: [],
            message: `${fileName}: invalid YAML: ${reason}`,
            line: mark ? mark.line + 1 : undefined,
          },
        ],
      };
    }
  }
  const decoded = decodeProtoJson<Bootstrap__Output>(BOOTSTRAP, json);
  const withLines = (errors: readonly ConfigError[]): BootstrapError[] => {
    const lineOf = lineFinder(text);
    return errors.map((e) => ({ ...e, line: lineOf(e.path) }));
  };
  if (!decoded.ok) return { ok: false, errors: withLines(decoded.errors) };

  const errors: ConfigError[] = [];
  const bootstrap = decoded.value;
  checkSupported(BOOTSTRAP, bootstrap, SUPPORTED_FIELDS, [], errors);
  if (bootstrap.static_resources) {
    checkSupported(
      'envoy.config.bootstrap.v3.Bootstrap.StaticResources',
      bootstrap.static_resources,
      SUPPORTED_STATIC,
      ['static_resources'],
      errors,
    );
  }
  const stats = bootstrap.stats_config;
  if (stats) {
    // Skein always extracts Envoy's default tags and keeps every stat: that is what these say.
    checkSupported(
      'envoy.config.metrics.v3.StatsConfig',
      stats,
      ['use_all_default_tags', 'stats_matcher'],
      ['stats_config'],
      errors,
    );
    if (stats.use_all_default_tags?.value === false) {
      errors.push({
        path: ['stats_config', 'use_all_default_tags'],
        message: 'use_all_default_tags: false is not supported yet',
      });
    }
    const matcher = stats.stats_matcher;
    if (matcher && (matcher.stats_matcher !== 'reject_all' || matcher.reject_all)) {
      errors.push({
        path: ['stats_config', 'stats_matcher'],
        message: 'only stats_matcher { reject_all: false } is supported yet',
      });
    }
  }
  if (bootstrap.admin)
    checkSupported('envoy.config.bootstrap.v3.Admin', bootstrap.admin, SUPPORTED_ADMIN, ['admin'], errors);
  checkDynamicResources(bootstrap, errors);
  if (errors.length > 0) return { ok: false, errors: withLines(errors) };
  return { ok: true, bootstrap };
}

/** `file:line: path: message`, the form every Skein config error is printed in. */
export function formatBootstrapError(fileName: string, error: BootstrapError): string {
  const where = error.line === undefined ? fileName : `${fileName}:${error.line}`;
  return error.path.length > 0
    ? `${where}: ${formatPath(error.path)}: ${error.message}`
    : `${where}: ${error.message}`;
}
