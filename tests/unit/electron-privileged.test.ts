/**
 * Lab operations as root through pkexec (src/main/privileged.ts). Boundaries that cannot run
 * here: Electron (no binary on this machine; the `electron` module is mocked to throw, proving
 * privileged.ts never loads it) and pkexec with a polkit agent (needs a desktop session). The
 * spawn function is injected: the fake child below plays pkexec's exit codes, its ENOENT and
 * the CLI's --json line. What the fakes cannot show: that a real pkexec passes the argv on.
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { Handlers } from '../../src/engine/engine.js';
import { dispatch } from '../../src/engine/dispatch.js';
import { needsTerminalMessage, privilegedLab, type SpawnFn } from '../../src/main/privileged.js';

vi.mock('electron', () => {
  throw new Error('src/main/privileged.ts must not load electron at run time');
});

const EXEC = '/opt/Overlab/overlab';
const CLI = '/opt/Overlab/resources/app.asar/out/cli/overlab.mjs';

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

describe('privilegedLab as a user', () => {
  it('runs lab up through pkexec with the CLI under Electron-as-Node, no shell, and maps its JSON', async () => {
    let t = 1_000;
    const s = asUser({ stdout: 'lab: a\n{"id":"a1b2c3","hosts":["a","b"],"created":["netns olab-a1b2c3-a"],"removed":[]}\n' }, () => (t += 250));
    const r = await s.handlers['lab.up']({ dir: '/home/u/my lab' });
    expect(s.calls).toHaveLength(1);
    expect(s.calls[0]!.command).toBe('pkexec');
    expect(s.calls[0]!.args).toEqual(['env', 'ELECTRON_RUN_AS_NODE=1', EXEC, CLI, 'lab', 'up', '/home/u/my lab', '--json']);
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
    expect(s.calls[0]!.args).toEqual(['env', 'ELECTRON_RUN_AS_NODE=1', EXEC, CLI, 'lab', 'down', '/p', '--json']);
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
