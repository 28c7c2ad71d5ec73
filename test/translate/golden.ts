/**
 * Golden files for translation output: compared as JSON, rewritten when UPDATE_GOLDEN=1.
 * They live in the source tree (test/translate/golden), not in dist/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const goldenDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/translate/golden');

export function assertGolden(name: string, actual: unknown): void {
  const file = path.join(goldenDir, `${name}.json`);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(goldenDir, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  assert.ok(existsSync(file), `golden file ${file} is missing (run with UPDATE_GOLDEN=1 to create it)`);
  assert.deepEqual(JSON.parse(text), JSON.parse(readFileSync(file, 'utf8')), `${name} differs from ${file} (UPDATE_GOLDEN=1 rewrites it)`);
}
