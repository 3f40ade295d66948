/**
 * `overlab`: the engine, headless. Every command exits 0 on success, or non-zero with a
 * one-line reason on stderr (validation prints every problem, one per line, path first).
 * Exit codes: 0 ok, 1 the work failed or the input is invalid, 2 usage error, 70 a bug.
 * Each command is one file in commands/, listed once in commands/index.ts.
 */
import { Command, CommanderError } from 'commander';
import { defaultRegistry } from '../shared/tunnels/index.js';
import type { Registry } from '../shared/tunnels/types.js';
import { COMMANDS } from './commands/index.js';
import { cliContext, Exit, processIo, type Io } from './common.js';

export type { Io } from './common.js';

export function buildProgram(io: Io, registry: Registry = defaultRegistry): Command {
  const program = new Command('overlab')
    .description('Design, deploy and measure overlay networks and VPNs.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();
  const ctx = cliContext(io, registry);
  for (const c of COMMANDS) c.register(program, ctx);
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it in-process. */
export async function runCli(argv: readonly string[], io: Io = processIo, registry?: Registry): Promise<number> {
  const program = buildProgram(io, registry);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof Exit) return e.code;
    if (e instanceof CommanderError) {
      // Help and version are successes; commander already printed its own message otherwise.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : 2;
    }
    // Operational failures (a command that failed, no root, no space) are the user's to fix; bugs are ours.
    const bug = !(e instanceof Error) || e instanceof TypeError || e instanceof ReferenceError || e instanceof RangeError || e.message.startsWith('bug:');
    io.err(`overlab: ${bug ? 'internal error: ' : ''}${e instanceof Error ? e.message : String(e)}\n`);
    return bug ? 70 : 1;
  }
}
