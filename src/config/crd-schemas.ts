/**
 * The Istio and Gateway API CRD schemas Skein ships (src/config/schemas/crd-schemas.json,
 * extracted from the upstream CRDs by scripts/extract-crd-schemas.js), read once on first use.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface CrdVersion {
  readonly name: string;
  readonly served: boolean;
  readonly storage: boolean;
  readonly deprecated?: boolean;
  /** Key into the schema table. */
  readonly schema: string;
}

export interface Crd {
  readonly group: string;
  readonly kind: string;
  readonly plural: string;
  readonly scope: 'Namespaced' | 'Cluster';
  readonly versions: readonly CrdVersion[];
}

export interface CrdSchemaFile {
  readonly sources: readonly { readonly file: string; readonly sha256: string; readonly gatewayApiBundleVersion?: string }[];
  readonly crds: readonly Crd[];
  readonly schemas: Readonly<Record<string, Record<string, unknown>>>;
}

// The JSON sits in src/ (committed); compiled code runs from dist/src/config/.
const CANDIDATES = ['./schemas/crd-schemas.json', '../../../src/config/schemas/crd-schemas.json'];

let loaded: { file: CrdSchemaFile; byType: Map<string, Crd> } | undefined;

function load(): { file: CrdSchemaFile; byType: Map<string, Crd> } {
  if (!loaded) {
    const path = CANDIDATES.map((c) => fileURLToPath(new URL(c, import.meta.url))).find((p) => existsSync(p));
    if (!path) throw new Error(`CRD schemas not found (looked for ${CANDIDATES.join(', ')} next to ${import.meta.url})`);
    const file = JSON.parse(readFileSync(path, 'utf8')) as CrdSchemaFile;
    loaded = { file, byType: new Map(file.crds.map((crd) => [`${crd.group}/${crd.kind}`, crd])) };
  }
  return loaded;
}

/** The CRD defining `group`/`kind`, if Skein ships its schema. */
export function crdFor(group: string, kind: string): Crd | undefined {
  return load().byType.get(`${group}/${kind}`);
}

export function crdSchema(id: string): Record<string, unknown> {
  const schema = load().file.schemas[id];
  if (!schema) throw new Error(`no CRD schema ${id}`);
  return schema;
}

export function allCrds(): readonly Crd[] {
  return load().file.crds;
}

export function crdSchemaTable(): Readonly<Record<string, Record<string, unknown>>> {
  return load().file.schemas;
}
