import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findViolations, importSpecifiers, type SourceFile } from './boundaries.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function sourceFiles(dir: string): SourceFile[] {
  const out: SourceFile[] = [];
  for (const entry of readdirSync(path.join(repoRoot, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (entry.name.endsWith('.ts'))
      out.push({ path: rel, source: readFileSync(path.join(repoRoot, rel), 'utf8') });
  }
  return out;
}

describe('architecture boundaries', () => {
  it('hold for every file under src/', () => {
    const files = sourceFiles('src');
    assert.ok(files.length > 0, 'no sources found: is the repository root right?');
    assert.deepEqual(findViolations(files), []);
  });

  // Tests of the test: each rule must fire on a file that breaks it.
  it('reject the proxy importing control-plane code', () => {
    for (const forbidden of ['control', 'translate', 'registry', 'config']) {
      const violations = findViolations([
        {
          path: 'src/proxy/http/router.ts',
          source: `import { x } from '../../${forbidden}/push-queue.js';\n`,
        },
      ]);
      assert.equal(violations.length, 1, `proxy → ${forbidden} must be a violation`);
      assert.match(violations[0]!.reason, new RegExp(`src/proxy may not import src/${forbidden}`));
    }
  });

  it('reject model importing anything, even Node built-ins', () => {
    assert.equal(
      findViolations([{ path: 'src/model/service.ts', source: "import type { A } from '../xds/a.js';" }])
        .length,
      1,
    );
    assert.equal(
      findViolations([{ path: 'src/model/service.ts', source: "import { readFileSync } from 'node:fs';" }])
        .length,
      1,
    );
    assert.equal(
      findViolations([{ path: 'src/model/service.ts', source: "import YAML from 'yaml';" }]).length,
      1,
    );
  });

  it('reject I/O in translate and upward imports from it', () => {
    assert.equal(
      findViolations([{ path: 'src/translate/lds.ts', source: "import fs from 'node:fs/promises';" }]).length,
      1,
    );
    assert.equal(
      findViolations([{ path: 'src/translate/lds.ts', source: "import { connect } from 'net';" }]).length,
      1,
    );
    assert.equal(
      findViolations([{ path: 'src/translate/lds.ts', source: "export { q } from '../control/q.js';" }])
        .length,
      1,
    );
    assert.deepEqual(
      findViolations([{ path: 'src/translate/lds.ts', source: "import { A } from '../model/a.js';" }]),
      [],
    );
  });

  it('reject a folder missing from the dependency table', () => {
    const violations = findViolations([{ path: 'src/misc/x.ts', source: '' }]);
    assert.match(violations[0]!.reason, /not in the dependency table/);
  });

  it('see every import form', () => {
    const source = [
      "import a from './a.js';",
      "import type { B } from './b.js';",
      "import './c.js';",
      "export * from './d.js';",
      "export { e } from './e.js';",
      "const f = await import('./f.js');",
      'import {\n  g,\n  h,\n} from "./g.js";',
    ].join('\n');
    assert.deepEqual(importSpecifiers(source).sort(), [
      './a.js',
      './b.js',
      './c.js',
      './d.js',
      './e.js',
      './f.js',
      './g.js',
    ]);
  });
});
