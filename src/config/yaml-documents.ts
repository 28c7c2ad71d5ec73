/**
 * Multi-document YAML (and JSON, which is YAML) parsed with the `yaml` package, keeping for
 * every field the line it is on, so that a problem found later in a plain JS object can still
 * name its line. The document model itself is dropped once the line index is built.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';
import type { FieldPath } from './field-path.js';

export interface SourceDocument {
  /** The document as plain JS (YAML 1.2 core schema). */
  readonly value: unknown;
  /** 1-based line of the document's first node. */
  readonly line: number;
  /** The line of `path`, or of its nearest ancestor that is in the document. */
  lineOf(path: FieldPath): number;
}

export interface YamlSyntaxError {
  readonly line: number;
  readonly message: string;
}

const SEPARATOR = '\u0000';
const pathKey = (path: FieldPath): string => path.join(SEPARATOR);

function indexLines(node: unknown, path: (string | number)[], lines: Map<string, number>, lineAt: (offset: number) => number): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const keyNode = pair.key as Node | null;
      const childPath = [...path, key];
      const range = keyNode?.range ?? (pair.value as Node | null)?.range;
      if (range) lines.set(pathKey(childPath), lineAt(range[0]));
      indexLines(pair.value, childPath, lines, lineAt);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const childPath = [...path, i];
      const range = (item as Node | null)?.range;
      if (range) lines.set(pathKey(childPath), lineAt(range[0]));
      if (!isAlias(item)) indexLines(item, childPath, lines, lineAt);
    });
  }
}

/** Splits `text` into documents; empty documents are skipped, broken ones become errors. */
export function parseYamlDocuments(text: string): { documents: SourceDocument[]; errors: YamlSyntaxError[] } {
  const lineCounter = new LineCounter();
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  const documents: SourceDocument[] = [];
  const errors: YamlSyntaxError[] = [];
  for (const doc of parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true })) {
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        errors.push({ line: lineAt(error.pos[0]), message: error.message.split('\n')[0] ?? error.message });
      }
      continue;
    }
    if (doc.contents === null) continue;
    const lines = new Map<string, number>();
    const startLine = lineAt(doc.contents.range?.[0] ?? 0);
    lines.set('', startLine);
    indexLines(doc.contents, [], lines, lineAt);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (error) {
      errors.push({ line: startLine, message: (error as Error).message });
      continue;
    }
    if (value === null || value === undefined) continue; // an empty document (`---` at the end)
    documents.push({
      value,
      line: startLine,
      lineOf(path) {
        for (let n = path.length; n >= 0; n--) {
          const line = lines.get(pathKey(path.slice(0, n)));
          if (line !== undefined) return line;
        }
        return startLine;
      },
    });
  }
  return { documents, errors };
}
