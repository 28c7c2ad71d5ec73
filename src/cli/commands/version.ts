import { SKEIN_VERSION } from '../../lib/version.js';
import type { SkeinCommand } from './command.js';

export const versionCommand: SkeinCommand = {
  name: 'version',
  kind: 'operator',
  summary: 'print the Skein, Node.js and xDS API versions',
  register(program) {
    program
      .command(this.name)
      .description(this.summary)
      .option('--json', 'print as JSON')
      .action((options: { json?: boolean }) => {
        const info = { skein: SKEIN_VERSION, node: process.versions.node, xdsApi: 'v3' };
        process.stdout.write(
          options.json
            ? `${JSON.stringify(info)}\n`
            : `skein ${info.skein} (node ${info.node}, xDS ${info.xdsApi})\n`,
        );
      });
  },
};
