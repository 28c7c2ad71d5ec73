import { analyzeCommand } from './analyze.js';
import { applyCommand, deleteCommand, downCommand, getCommand } from './mesh.js';
import { upCommand } from './up.js';
import type { SkeinCommand } from './command.js';
import { controlCommand } from './control.js';
import { proxyCommand } from './proxy.js';
import { proxyConfigCommand } from './proxy-config.js';
import { proxyStatusCommand } from './proxy-status.js';
import { versionCommand } from './version.js';

/** Every subcommand, in the order `skein --help` lists them. */
export const commands: readonly SkeinCommand[] = [proxyCommand, controlCommand, upCommand, applyCommand, deleteCommand, getCommand, downCommand, proxyStatusCommand, proxyConfigCommand, analyzeCommand, versionCommand];
