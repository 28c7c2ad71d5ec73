#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript in dist/.
import { main } from '../dist/src/cli/main.js';

main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`skein: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
