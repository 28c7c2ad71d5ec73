/**
 * The `skein` command line: one binary, many roles.
 *
 * Each role or operator command lives in its own module under `src/cli/commands/` and
 * registers itself on the program; `main` only assembles them. Keeping registration
 * in one list makes `skein --help` the index of what the binary can be.
 */
import { Command, CommanderError } from 'commander';
import { SKEIN_VERSION } from '../lib/version.js';
import { commands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('skein')
    .description('Skein service mesh: sidecar proxy, control plane and local mesh runner in one binary.')
    .version(SKEIN_VERSION, '-v, --version', 'print the Skein version')
    .showHelpAfterError('(run `skein --help` for usage)')
    .configureHelp({ sortSubcommands: false });
  for (const command of commands) command.register(program);
  program.addHelpText('after', rolesHelp());
  return program;
}

/** Runs the CLI and resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
}

function rolesHelp(): string {
  const lines = ['', 'Roles (what this binary runs as):'];
  for (const command of commands) {
    if (command.kind === 'role') lines.push(`  ${command.name.padEnd(14)} ${command.summary}`);
  }
  lines.push('', 'Operator commands:');
  for (const command of commands) {
    if (command.kind === 'operator') lines.push(`  ${command.name.padEnd(14)} ${command.summary}`);
  }
  return lines.join('\n');
}
