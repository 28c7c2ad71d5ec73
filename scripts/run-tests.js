#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with node:test.
// Node 20's `--test` takes no globs, so the files are listed here.
// Usage: node scripts/run-tests.js [substring-filter ...]
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
const filters = process.argv.slice(2);

function find(dir) {
  let out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out = out.concat(find(full));
    else if (entry.name.endsWith('.test.js')) out.push(full);
  }
  return out;
}

const files = find(path.join(root, 'dist'))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files found under dist/ (did the build run?)');
  process.exit(1);
}
const child = spawn(process.execPath, ['--test', '--test-timeout=300000', ...files], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
