/**
 * What every command of the CLI shares: where output goes, how failures become exit codes,
 * argument parsers, and the engine it calls (the same handlers `overlab serve` and the desktop
 * app call; only the door differs).
 */
import { InvalidArgumentError, type Command } from 'commander';
import path from 'node:path';
import type { ProgressEvent } from '../shared/api.js';
import { formatDiagnostic, type Diagnostic } from '../shared/diagnostics.js';
import { PROJECT_FILE } from '../shared/document.js';
import type { Registry } from '../shared/tunnels/types.js';
import { ApiError } from '../engine/api-error.js';
import { createEngine, type Handlers } from '../engine/engine.js';
import { passwordSource } from './password.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** A failure already explained to the user; carries the exit code. */
export class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export const intArg = (name: string) => (v: string): number => {
  if (!/^[0-9]+$/.test(v)) throw new InvalidArgumentError(`${name} must be a whole number, not "${v}"`);
  return Number(v);
};

export const hostListArg = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

export const projectFile = (dir: string): string => path.join(dir, PROJECT_FILE);

export function printDiagnostics(io: Io, diagnostics: readonly Diagnostic[], file?: string): void {
  for (const d of diagnostics) io.err(`${formatDiagnostic(d, file)}\n`);
}

export interface EngineFor {
  /** Progress lines for the terminal (none with --json). */
  readonly onProgress?: (e: ProgressEvent) => void;
}

/** What a command gets to do its work. */
export interface CliContext {
  readonly io: Io;
  readonly registry: Registry;
  /** The engine, its progress events going to `onProgress`, SSH passwords asked on the terminal. */
  engine(o?: EngineFor): Handlers;
}

export function cliContext(io: Io, registry: Registry): CliContext {
  return {
    io,
    registry,
    engine: (o = {}) =>
      createEngine({
        registry,
        emit: (event, payload) => {
          if (event === 'progress') o.onProgress?.(payload as ProgressEvent);
        },
        password: passwordSource(process.env, process.stdin, (s) => process.stderr.write(s)),
      }),
  };
}

/**
 * Runs an engine call; an ApiError (the user's input, not a bug) is printed — its diagnostics one
 * per line, path first — and becomes exit 1.
 */
export async function call<T>(io: Io, work: Promise<T>, file?: string, mapPath: (p: string) => string = (p) => p): Promise<T> {
  try {
    return await work;
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    if (e.diagnostics?.length) printDiagnostics(io, e.diagnostics.map((d) => ({ ...d, path: mapPath(d.path) })), file);
    else io.err(`overlab: ${e.message}\n`);
    throw new Exit(1);
  }
}

/** One command: registers itself on the program. */
export interface CliCommand {
  readonly name: string;
  register(program: Command, ctx: CliContext): void;
}

/** One line per host step on stderr: `ok   hub             preflight`. */
export const progressPrinter = (io: Io, json: boolean | undefined) => (e: ProgressEvent): void => {
  if (json) return;
  if (e.status === 'running' && e.step !== 'apply') return;
  const mark = e.status === 'done' ? 'ok  ' : e.status === 'failed' ? 'FAIL' : e.status === 'running' ? '... ' : e.status;
  io.err(`${mark} ${(e.host ?? '').padEnd(15)} ${e.step}${e.message ? `: ${e.message}` : ''}\n`);
};
