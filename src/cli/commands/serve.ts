/**
 * `overlab serve DIR [--port P] [--host ADDR]`: the UI in a browser, on loopback, behind a
 * session token printed in the URL. Runs until Ctrl-C (SIGINT) or SIGTERM.
 */
import { InvalidArgumentError } from 'commander';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createEngine } from '../../engine/engine.js';
import { rendererDir } from '../../engine/paths.js';
import { isLoopbackHost, startServe } from '../../engine/serve.js';
import { passwordSource } from '../password.js';
import type { CliCommand } from '../common.js';

const portArg = (v: string): number => {
  if (!/^[0-9]+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError(`--port must be a TCP port number (0–65535; 0 = any free port), not "${v}"`);
  return Number(v);
};

const loopbackArg = (v: string): string => {
  if (!isLoopbackHost(v)) {
    throw new InvalidArgumentError(
      `overlab serve listens on loopback only (127.0.0.1, ::1 or localhost), not on "${v}": the API runs commands as root. From another machine, forward the same port over SSH (ssh -L PORT:127.0.0.1:PORT this-host) and open the printed URL`,
    );
  }
  return v;
};

/** `overlab serve DIR`: the UI in a browser, on loopback, behind a session token. */
export const serveCommand: CliCommand = {
  name: 'serve',
  register: (program, { io, registry }) =>
  program
    .command('serve')
    .description('serve the UI in a browser on this machine (loopback only, with a session token in the URL)')
    .argument('<dir>', 'project folder the UI opens at load')
    .option('--port <port>', 'TCP port (default 0: any free port)', portArg, 0)
    .option('--host <address>', 'loopback address to listen on', loopbackArg, '127.0.0.1')
    .action(async (dirArg: string, o: { port: number; host: string }) => {
      const dir = path.resolve(dirArg);
      const st = await fs.stat(dir).catch(() => undefined);
      if (!st?.isDirectory()) throw new Error(`${dirArg} is not a folder; create a project with \`overlab new ${dirArg} --template hub-spoke\``);
      // A missing project file is refused here; an invalid one is served, so the UI can show its problems.
      const password = passwordSource(process.env, process.stdin, (s) => process.stderr.write(s));
      const probe = createEngine({ registry });
      const snap = await probe['project.open']({ dir });
      if (snap.diagnostics.some((d) => d.code === 'cannot-read')) throw new Error(snap.diagnostics.map((d) => d.message).join('; '));

      const server = await startServe({
        projectDir: dir,
        staticDir: rendererDir(),
        host: o.host,
        port: o.port,
        engine: (emit) => createEngine({ registry, emit, password }),
        // The whole UI: every operation (the token and loopback are the walls).
        operations: 'all',
      });
      io.out(`overlab serve: ${dir}\n  open ${server.url}\n  (this machine only; the token in the URL is the key to the engine, keep it private — Ctrl-C stops)\n`);

      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      io.err('overlab serve: stopped\n');
    }),
};
