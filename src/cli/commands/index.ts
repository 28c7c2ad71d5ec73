import { analyzeCommand } from './analyze.js';
import type { SkeinCommand } from './command.js';
import { proxyCommand } from './proxy.js';
import { proxyConfigCommand } from './proxy-config.js';
import { proxyStatusCommand } from './proxy-status.js';
import { versionCommand } from './version.js';

/** Every subcommand, in the order `skein --help` lists them. */
export const commands: readonly SkeinCommand[] = [proxyCommand, proxyStatusCommand, proxyConfigCommand, analyzeCommand, versionCommand];
