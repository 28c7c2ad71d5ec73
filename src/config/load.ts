/**
 * Loading config from files and directories (recursively: `*.yaml`, `*.yml`, `*.json`), each
 * file parsed and validated on its own; a resource defined twice is an error naming both files,
 * and the file loaded later is rejected.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { type Diagnostic, MSG, diagnostic } from './diagnostic.js';
import { typeKey } from './kinds.js';
import { type ParsedResource, type ParseOptions, parseConfig } from './parse.js';

export const CONFIG_FILE = /\.(ya?ml|json)$/i;

export interface LoadedFile {
  readonly file: string;
  readonly resources: readonly ParsedResource[];
  readonly diagnostics: readonly Diagnostic[];
  /** False when the file has an error: none of its resources are used. */
  readonly accepted: boolean;
}

/** The config files under `paths` (directories recursively, hidden entries skipped), sorted. Explicit files are kept whatever their name. */
export function listConfigFiles(paths: readonly string[]): string[] {
  const out = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && CONFIG_FILE.test(entry.name)) out.add(full);
    }
  };
  for (const p of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(p).isDirectory();
    } catch {
      out.add(p); // reported as unreadable by loadFile
      continue;
    }
    if (isDirectory) walk(p);
    else out.add(p);
  }
  return [...out].sort();
}

/** Reads and parses one file; an unreadable file is an error diagnostic. */
export function loadFile(file: string, options: ParseOptions = {}): LoadedFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return { file, resources: [], diagnostics: [diagnostic(MSG.UnreadableFile, `cannot read ${file}: ${reason}`, { file })], accepted: false };
  }
  return fromText(file, text, options);
}

export function fromText(file: string, text: string, options: ParseOptions = {}): LoadedFile {
  const result = parseConfig(text, file, options);
  return {
    file,
    resources: result.resources,
    diagnostics: result.diagnostics,
    accepted: !result.diagnostics.some((d) => d.level === 'error'),
  };
}

export function resourceKey(r: ParsedResource): string {
  return `${typeKey(r.type)}/${r.resource.namespace}/${r.resource.name}`;
}

/**
 * Duplicate definitions in `file` of resources already owned by other files (or twice in the
 * file itself). `owners` maps resource keys to the file defining them.
 */
export function duplicateDiagnostics(file: LoadedFile, owners: ReadonlyMap<string, string>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const local = new Set<string>();
  for (const r of file.resources) {
    const key = resourceKey(r);
    const other = owners.get(key);
    const owner = other !== undefined && other !== file.file ? other : local.has(key) ? file.file : undefined;
    local.add(key);
    if (owner === undefined) continue;
    const { kind, namespace, name, group } = r.resource;
    out.push(
      diagnostic(MSG.DuplicateResource, `${kind} ${namespace ? `${namespace}/` : ''}${name} is already defined in ${owner}; this definition in ${file.file} is rejected`, {
        file: file.file,
        line: r.lineOf([]),
        resource: { group, kind, namespace, name },
      }),
    );
  }
  return out;
}

export interface LoadResult {
  readonly files: readonly LoadedFile[];
  /** The resources of every accepted file. */
  readonly resources: readonly ParsedResource[];
  readonly diagnostics: readonly Diagnostic[];
}

/** Loads every config file under `paths`, in sorted order; a file with any error contributes nothing. */
export function loadPaths(paths: readonly string[], options: ParseOptions = {}): LoadResult {
  const owners = new Map<string, string>();
  const files: LoadedFile[] = [];
  for (const name of listConfigFiles(paths)) {
    let loaded = loadFile(name, options);
    const duplicates = duplicateDiagnostics(loaded, owners);
    if (duplicates.length > 0) loaded = { ...loaded, diagnostics: [...loaded.diagnostics, ...duplicates], accepted: false };
    if (loaded.accepted) for (const r of loaded.resources) owners.set(resourceKey(r), name);
    files.push(loaded);
  }
  return {
    files,
    resources: files.filter((f) => f.accepted).flatMap((f) => f.resources),
    diagnostics: files.flatMap((f) => f.diagnostics),
  };
}
