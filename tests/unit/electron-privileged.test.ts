/**
 * Lab operations as root through pkexec (src/main/privileged.ts). Boundaries that cannot run
 * here: Electron (no binary on this machine; the `electron` module is mocked to throw, proving
 * privileged.ts never loads it) and pkexec with a polkit agent (needs a desktop session). The
 * spawn function is injected: the fake child below plays pkexec's exit codes, its ENOENT and
 * the CLI's --json line. What the fakes cannot show: that a real pkexec passes the argv on.
 * The two files root is to run are real: an install tree in a temporary folder, its owners and
 * modes changed with chown/chmod (the tests run as root; skipped otherwise).
 */
import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Handlers } from '../../src/engine/engine.js';
import { dispatch } from '../../src/engine/dispatch.js';
import { needsTerminalMessage, privilegedLab, type SpawnFn } from '../../src/main/privileged.js';

vi.mock('electron', () => {
  throw new Error('src/main/privileged.ts must not load electron at run time');
});

const isRoot = process.getuid?.() === 0;
/** A user and a group that are not root (Debian's `nobody` and `users`). */
const OTHER_UID = 65534;
const OTHER_GID = 100;

let tmp = '';
/** `<tmp>/opt/Overlab`: the binary, and the CLI inside the archive as electron-builder packs it. */
let APP = '';
let EXEC = '';
let CLI = '';
/** The CLI of an unpacked app (`npm start`, a tarball): a file of its own. */
let CLI_FILE = '';

/** The install tree as a root-owned package leaves it: every part root's, 0755 / 0644. */
async function pristine(): Promise<void> {
  await fs.rm(path.join(tmp, 'opt'), { recursive: true, force: true });
  await fs.mkdir(path.join(APP, 'resources'), { recursive: true, mode: 0o755 });
  await fs.mkdir(path.dirname(CLI_FILE), { recursive: true, mode: 0o755 });
  await fs.writeFile(EXEC, '#!/bin/sh\n', { mode: 0o755 });
  await fs.writeFile(path.join(APP, 'resources', 'app.asar'), 'archive', { mode: 0o644 });
  await fs.writeFile(CLI_FILE, '// cli\n', { mode: 0o644 });
  for (const d of [path.join(tmp, 'opt'), APP, path.join(APP, 'resources'), path.join(APP, 'out'), path.dirname(CLI_FILE)]) await fs.chmod(d, 0o755);
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-privileged-'));
  await fs.chmod(tmp, 0o755);
  APP = path.join(tmp, 'opt', 'Overlab');
  EXEC = path.join(APP, 'overlab');
  CLI = path.join(APP, 'resources', 'app.asar', 'out', 'cli', 'overlab.mjs');
  CLI_FILE = path.join(APP, 'out', 'cli', 'overlab.mjs');
  await pristine();
});
afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

type Outcome = { stdout?: string; stderr?: string; code?: number | null } | { error: NodeJS.ErrnoException };

function fakeSpawn(outcome: Outcome) {
  const calls: { command: string; args: readonly string[]; options: unknown }[] = [];
  const spawn: SpawnFn = (command, args, options) => {
    calls.push({ command, args, options });
    const child = Object.assign(new EventEmitter(), { stdout: new PassThrough(), stderr: new PassThrough() });
    setImmediate(() => {
      if ('error' in outcome) {
        child.emit('error', outcome.error);
        return;
      }
      child.stdout.end(outcome.stdout ?? '');
      child.stderr.end(outcome.stderr ?? '');
      setImmediate(() => child.emit('close', outcome.code ?? 0));
    });
    return child as never;
  };
  return { spawn, calls };
}

const enoent = (): NodeJS.ErrnoException => Object.assign(new Error('spawn pkexec ENOENT'), { code: 'ENOENT' });

function fakeEngine() {
  return {
    'lab.up': vi.fn(async () => ({ id: 'in-process' })),
    'lab.down': vi.fn(async () => ({ removed: ['in-process'] })),
    'deploy.apply': vi.fn(),
  } as unknown as Handlers & { 'lab.up': ReturnType<typeof vi.fn>; 'lab.down': ReturnType<typeof vi.fn> };
}

const asUser = (outcome: Outcome, now?: () => number) => {
  const engine = fakeEngine();
  const s = fakeSpawn(outcome);
  const handlers = privilegedLab(engine, { spawn: s.spawn, getuid: () => 1000, execPath: EXEC, cliPath: CLI, ...(now ? { now } : {}) });
  return { engine, handlers, calls: s.calls };
};

describe('privilegedLab as root', () => {
  it('passes lab.up and lab.down to the engine in-process and never spawns', async () => {
    const engine = fakeEngine();
    const s = fakeSpawn({ code: 0 });
    const h = privilegedLab(engine, { spawn: s.spawn, getuid: () => 0, execPath: EXEC, cliPath: CLI });
    await expect(h['lab.up']({ dir: '/p' })).resolves.toEqual({ id: 'in-process' });
    await h['lab.down']({ dir: '/p' });
    expect(engine['lab.up']).toHaveBeenCalledWith({ dir: '/p' });
    expect(s.calls).toEqual([]);
  });

  it('passes through where there are no user ids (no getuid)', () => {
    const engine = fakeEngine();
    expect(privilegedLab(engine, { spawn: fakeSpawn({ code: 0 }).spawn, execPath: EXEC, cliPath: CLI })).toBe(engine);
  });
});

describe.skipIf(!isRoot)('privilegedLab as a user', () => {
  it('runs lab up through pkexec with the CLI under Electron-as-Node, no shell, and maps its JSON', async () => {
    let t = 1_000;
    const s = asUser({ stdout: 'lab: a\n{"id":"a1b2c3","hosts":["a","b"],"created":["netns olab-a1b2c3-a"],"removed":[]}\n' }, () => (t += 250));
    const r = await s.handlers['lab.up']({ dir: '/home/u/my lab' });
    expect(s.calls).toHaveLength(1);
    expect(s.calls[0]!.command).toBe('/usr/bin/pkexec');
    expect(s.calls[0]!.args).toEqual(['/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', EXEC, CLI, 'lab', 'up', '/home/u/my lab', '--json']);
    expect(s.calls[0]!.options).not.toMatchObject({ shell: true });
    expect(r).toEqual({ id: 'a1b2c3', hosts: ['a', 'b'], created: ['netns olab-a1b2c3-a'], removed: [], management: '', knownHosts: '/home/u/my lab/.overlab/known_hosts', durationMs: 250 });
    expect(s.engine['lab.up']).not.toHaveBeenCalled();
  });

  it('gives the root process an absolute folder, so it never reads as an option or depends on the cwd', async () => {
    const s = asUser({ stdout: '{"removed":[]}\n' });
    await s.handlers['lab.down']({ dir: '--help' });
    expect(s.calls[0]!.args[6]).toBe(`${process.cwd()}/--help`);
  });

  it('runs lab down through pkexec and answers what it removed', async () => {
    const s = asUser({ stdout: '{"removed":["netns olab-a1b2c3-a","bridge olb-a1b2c3"]}\n' });
    await expect(s.handlers['lab.down']({ dir: '/p' })).resolves.toEqual({ removed: ['netns olab-a1b2c3-a', 'bridge olb-a1b2c3'] });
    expect(s.calls[0]!.args).toEqual(['/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', EXEC, CLI, 'lab', 'down', '/p', '--json']);
    expect(s.engine['lab.down']).not.toHaveBeenCalled();
  });

  it.each<[string, Outcome]>([
    ['pkexec is missing (ENOENT)', { error: enoent() }],
    ['the person cancels or is not authorised (126)', { code: 126, stderr: 'Error executing command as another user: Request dismissed\n' }],
    ['authentication fails (127)', { code: 127 }],
  ])('when %s, says what to run in a terminal', async (_why, outcome) => {
    const s = asUser(outcome);
    await expect(s.handlers['lab.up']({ dir: '/home/u/demo' })).rejects.toThrow('The embedded lab needs root. Run in a terminal: sudo overlab lab up "/home/u/demo" — then press Lab up again.');
  });

  it('says the same for lab down, with its own verb', async () => {
    await expect(asUser({ code: 126 }).handlers['lab.down']({ dir: '/p' })).rejects.toThrow('sudo overlab lab down "/p" — then press Lab down again.');
  });

  it('quotes the folder so that it pastes as one word in a shell', () => {
    expect(needsTerminalMessage('up', '/home/u/a "b" $HOME`x`')).toContain('sudo overlab lab up "/home/u/a \\"b\\" \\$HOME\\`x\\`"');
  });

  it("reports the CLI's own error when the lab itself fails as root", async () => {
    const s = asUser({ code: 1, stderr: 'overlab: lab: ip: command not found\n' });
    const e = await s.handlers['lab.up']({ dir: '/p' }).catch((x: Error) => x);
    expect((e as Error).message).toBe('lab up: lab: ip: command not found');
  });

  it('refuses output that is not the expected JSON', async () => {
    await expect(asUser({ stdout: 'done\n' }).handlers['lab.up']({ dir: '/p' })).rejects.toThrow('printed no JSON');
    await expect(asUser({ stdout: '{"id":1}\n' }).handlers['lab.up']({ dir: '/p' })).rejects.toThrow('unexpected result');
  });

  it('leaves the other operations to the engine', () => {
    const s = asUser({ code: 0 });
    expect(s.handlers['deploy.apply']).toBe(s.engine['deploy.apply']);
  });

  it('reaches the renderer as an error reply through dispatch', async () => {
    const s = asUser({ error: enoent() });
    await expect(dispatch(s.handlers, 'lab.up', { dir: '/p', runId: 'ui-1' }, true)).resolves.toEqual({
      ok: false,
      error: { code: 'failed', message: needsTerminalMessage('up', '/p') },
    });
  });
});

/** Runs lab up with the given files; answers the error, and whether pkexec was started. */
async function refusal(exec: string, cli: string, verb: 'up' | 'down' = 'up'): Promise<{ message: string; spawned: number }> {
  const engine = fakeEngine();
  const s = fakeSpawn({ stdout: '{"id":"a1b2c3","hosts":[],"created":[],"removed":[]}\n' });
  const h = privilegedLab(engine, { spawn: s.spawn, getuid: () => 1000, execPath: exec, cliPath: cli });
  const e = await h[verb === 'up' ? 'lab.up' : 'lab.down']({ dir: '/home/u/demo' }).then(() => undefined, (x: Error) => x);
  return { message: e?.message ?? '(no error)', spawned: s.calls.length };
}

describe.skipIf(!isRoot)('privilegedLab runs as root only files that only root can change', () => {
  afterEach(pristine);

  it('runs a root-owned install, the CLI inside the app archive or unpacked beside it', async () => {
    expect(await refusal(EXEC, CLI)).toEqual({ message: '(no error)', spawned: 1 });
    expect(await refusal(EXEC, CLI_FILE)).toEqual({ message: '(no error)', spawned: 1 });
  });

  it('follows a link root made (a /usr/bin/overlab -> /opt/Overlab/overlab)', async () => {
    const link = path.join(tmp, 'opt', 'overlab-link');
    await fs.symlink(EXEC, link);
    expect(await refusal(link, CLI)).toEqual({ message: '(no error)', spawned: 1 });
  });

  const terminal = 'run `sudo overlab lab up "/home/u/demo"` in a terminal instead';

  it.each<[string, () => Promise<void>, () => string, string, RegExp]>([
    ['the Electron binary is owned by another user', () => fs.chown(EXEC, OTHER_UID, 0), () => EXEC, 'the Electron binary', /is owned by nobody \(uid 65534\), not by root/],
    ['the Electron binary is group-writable', () => fs.chmod(EXEC, 0o775), () => EXEC, 'the Electron binary', /can be written by other users/],
    ['the CLI file is writable by others', () => fs.chmod(CLI_FILE, 0o646), () => CLI_FILE, "Overlab's command-line program", /can be written by other users/],
    ['the app archive holding the CLI is owned by another user', () => fs.chown(path.join(APP, 'resources', 'app.asar'), OTHER_UID, 0), () => path.join(APP, 'resources', 'app.asar'), "Overlab's command-line program", /is owned by nobody \(uid 65534\), not by root/],
    ['the app archive is group-writable, even by root\'s own group', () => fs.chmod(path.join(APP, 'resources', 'app.asar'), 0o664), () => path.join(APP, 'resources', 'app.asar'), "Overlab's command-line program", /can be written by other users/],
    ['a folder above is owned by another user', () => fs.chown(APP, OTHER_UID, OTHER_GID), () => APP, 'the Electron binary', /is owned by nobody \(uid 65534\), not by root/],
    ['a folder above is writable by every user', () => fs.chmod(path.join(APP, 'resources'), 0o777), () => path.join(APP, 'resources'), "Overlab's command-line program", /can be written by every user/],
    ['a folder above is writable by a group', async () => { await fs.chown(path.join(tmp, 'opt'), 0, OTHER_GID); await fs.chmod(path.join(tmp, 'opt'), 0o775); }, () => path.join(tmp, 'opt'), 'the Electron binary', /can be written by the group users/],
    ['the folder holding the binary is a sticky shared one', () => fs.chmod(APP, 0o1777), () => APP, 'the Electron binary', /can be written by every user/],
  ])('refuses when %s, naming the file, why, and the terminal command', async (_why, spoil, culprit, what, reason) => {
    await spoil();
    // The unpacked CLI where the case is about that file; the packed one (in app.asar) otherwise.
    const r = await refusal(EXEC, culprit() === CLI_FILE ? CLI_FILE : CLI);
    expect(r.spawned, 'pkexec must not start').toBe(0);
    expect(r.message).toContain(`Overlab will not run ${what} as root: `);
    expect(r.message).toContain(culprit());
    expect(r.message).toMatch(reason);
    expect(r.message).toContain(terminal);
  });

  it("refuses a link to the binary that another user made, even to root's own file", async () => {
    const link = path.join(tmp, 'opt', 'overlab-link');
    await fs.symlink(EXEC, link);
    await fs.lchown(link, OTHER_UID, OTHER_GID);
    const r = await refusal(link, CLI);
    expect(r.spawned).toBe(0);
    expect(r.message).toMatch(/overlab-link: it is a symbolic link made by nobody \(uid 65534\), not by root/);
  });

  it('refuses a missing CLI, saying what to type instead', async () => {
    const r = await refusal(EXEC, path.join(APP, 'out', 'cli', 'gone.mjs'), 'down');
    expect(r.spawned).toBe(0);
    expect(r.message).toMatch(/gone\.mjs does not exist; run `sudo overlab lab down "\/home\/u\/demo"` in a terminal instead/);
  });
});
