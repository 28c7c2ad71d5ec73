/**
 * The one-way dependency rules between `src/` folders, and a checker for them.
 *
 * Dependencies point one way: model ← config, registry ← translate ← control, and the
 * proxy talks to the rest only over xDS. A folder not in the table is itself a
 * violation, so a new folder forces a decision about where it sits.
 */
import path from 'node:path';

/** For each top-level folder under src/, the other folders it may import from. */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  model: [],
  lib: [],
  xds: ['model', 'lib'],
  config: ['model', 'lib'],
  registry: ['model', 'lib', 'config'],
  translate: ['model', 'lib', 'config', 'registry', 'xds'],
  security: ['model', 'lib', 'xds'],
  telemetry: ['model', 'lib'],
  proxy: ['model', 'lib', 'xds', 'security', 'telemetry'],
  control: ['model', 'lib', 'config', 'registry', 'translate', 'xds', 'security', 'telemetry'],
  kube: ['model', 'lib', 'config', 'registry', 'control', 'xds', 'security', 'telemetry'],
  runtime: ['model', 'lib', 'config', 'registry', 'control', 'proxy', 'xds', 'security', 'telemetry'],
  dashboard: ['model', 'lib', 'telemetry', 'xds'],
  cli: [
    'model',
    'lib',
    'config',
    'registry',
    'translate',
    'xds',
    'control',
    'security',
    'telemetry',
    'proxy',
    'runtime',
    'kube',
    'dashboard',
  ],
};

/** Node built-ins that perform I/O; folders in PURE may not import them. */
const IO_MODULES = new Set([
  'fs',
  'fs/promises',
  'net',
  'http',
  'https',
  'http2',
  'tls',
  'dgram',
  'dns',
  'dns/promises',
  'child_process',
  'cluster',
  'worker_threads',
  'readline',
  'inspector',
]);

/** Folders whose code must be pure computation: no I/O modules at all. */
export const PURE: readonly string[] = ['model', 'translate'];

/** Folders that may not import anything from Node either (plain types and values only). */
export const NO_NODE: readonly string[] = ['model'];

export interface SourceFile {
  /** Path relative to the repository root, with forward slashes, e.g. `src/proxy/router.ts`. */
  readonly path: string;
  readonly source: string;
}

export interface Violation {
  readonly file: string;
  readonly specifier: string;
  readonly reason: string;
}

const IMPORT_PATTERNS = [
  /\bimport\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/g,
  /\bexport\s+(?:type\s+)?[^'"]*?\sfrom\s+['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

export function importSpecifiers(source: string): string[] {
  const found = new Set<string>();
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of source.matchAll(pattern)) if (match[1]) found.add(match[1]);
  }
  return [...found];
}

function folderOf(srcRelative: string): string | undefined {
  const [first, ...rest] = srcRelative.split('/');
  return rest.length > 0 ? first : undefined;
}

function isTestFile(filePath: string): boolean {
  return /\.test(\.util)?\.ts$/.test(filePath);
}

export function findViolations(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    if (!file.path.startsWith('src/')) continue;
    const from = folderOf(file.path.slice('src/'.length));
    if (from === undefined) continue; // files directly in src/ (none today)
    const allowed = ALLOWED[from];
    if (!allowed) {
      violations.push({
        file: file.path,
        specifier: '',
        reason: `folder src/${from} is not in the dependency table`,
      });
      continue;
    }
    for (const specifier of importSpecifiers(file.source)) {
      if (specifier.startsWith('.')) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file.path), specifier));
        if (!target.startsWith('src/')) {
          violations.push({ file: file.path, specifier, reason: 'imports from outside src/' });
          continue;
        }
        const to = folderOf(target.slice('src/'.length));
        if (to !== undefined && to !== from && !allowed.includes(to)) {
          violations.push({ file: file.path, specifier, reason: `src/${from} may not import src/${to}` });
        }
        continue;
      }
      const builtin = specifier.startsWith('node:') ? specifier.slice(5) : undefined;
      // Unit tests beside pure code use node:test and node:assert; they are not the product.
      if (isTestFile(file.path)) continue;
      if (builtin !== undefined && NO_NODE.includes(from)) {
        violations.push({
          file: file.path,
          specifier,
          reason: `src/${from} imports nothing, not even Node built-ins`,
        });
      } else if (builtin !== undefined && PURE.includes(from) && IO_MODULES.has(builtin)) {
        violations.push({ file: file.path, specifier, reason: `src/${from} is pure and may not do I/O` });
      } else if (builtin === undefined && IO_MODULES.has(specifier) && PURE.includes(from)) {
        violations.push({ file: file.path, specifier, reason: `src/${from} is pure and may not do I/O` });
      } else if (builtin === undefined && NO_NODE.includes(from)) {
        violations.push({ file: file.path, specifier, reason: `src/${from} imports no packages` });
      }
    }
  }
  return violations;
}
