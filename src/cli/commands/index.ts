import type { SkeinCommand } from './command.js';
import { proxyCommand } from './proxy.js';
import { versionCommand } from './version.js';

/** Every subcommand, in the order `skein --help` lists them. */
export const commands: readonly SkeinCommand[] = [proxyCommand, versionCommand];
