import type { Command } from 'commander';

/** A CLI subcommand module. `role` commands run a long-lived Skein component; `operator` commands act on one. */
export interface SkeinCommand {
  readonly name: string;
  readonly kind: 'role' | 'operator';
  readonly summary: string;
  register(program: Command): void;
}
