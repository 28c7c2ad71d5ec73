/** `skein` as a user runs it: help lists the roles; a bad bootstrap fails with file:line and field path. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../support/temp-dir.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/skein.js');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 20_000 });

describe('skein CLI', () => {
  it('lists its roles in --help and prints its version', () => {
    const help = run('--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Roles \(what this binary runs as\):\n\s+proxy\s/);
    assert.match(run('version').stdout, /^skein \d+\.\d+\.\d+ \(node /);
  });

  it('rejects a bootstrap with an unknown field, naming file, line and path', () => {
    const dir = tempDir('skein-cli-');
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'static_resources:\n  clusters:\n  - name: c\n    connect_timeout: 1s\n    typo_field: 3\n',
    );
    const result = run('proxy', '--config', file);
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      new RegExp(
        `${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5: static_resources\\.clusters\\[0\\]\\.typo_field: unknown field`,
      ),
    );
  });

  it('rejects a bootstrap whose listener names an unknown cluster type or filter', () => {
    const dir = tempDir('skein-cli-');
    const file = path.join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        static_resources: {
          listeners: [
            {
              name: 'l',
              address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
              filter_chains: [
                {
                  filters: [
                    {
                      name: 'x',
                      typed_config: { '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster' },
                    },
                  ],
                },
              ],
            },
          ],
        },
      }),
    );
    const result = run('proxy', '--config', file, '--admin-port', '0');
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      /static_resources\.listeners\[0\]\.filter_chains\[0\]\.filters\[0\]\.typed_config: network filter envoy\.config\.cluster\.v3\.Cluster is not supported/,
    );
  });

  it('explains a missing config file', () => {
    const result = run('proxy', '--config', '/nonexistent/bootstrap.yaml');
    assert.equal(result.status, 1);
    assert.match(result.stderr, /cannot read \/nonexistent\/bootstrap\.yaml/);
  });
});
