/**
 * The engine operations the designer relies on, through the real engine: saves that refuse to
 * overwrite a file changed on disk (unless forced), folder listings for the browser's Open,
 * recent projects, password questions asked as prompt events, and the preflight skipping its
 * kernel probes when the very bundle is deployed already.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OverlabEvents } from '../../src/shared/api.js';
import { preflightScript } from '../../src/shared/preflight.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';
import { ApiError, createEngine } from '../../src/engine/engine.js';
import { Prompts } from '../../src/engine/prompts.js';

let root = '';
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-ops-'));
  process.env.OVERLAB_CONFIG_DIR = path.join(root, 'config');
});
afterEach(async () => {
  delete process.env.OVERLAB_CONFIG_DIR;
  await fs.rm(root, { recursive: true, force: true });
});

const engine = createEngine({ registry: defaultRegistry });

describe('project.save and revisions', () => {
  it('saves over the revision it opened, refuses (conflict) when the file changed since, and overwrites when forced', async () => {
    const dir = path.join(root, 'p');
    const made = await engine['project.create']({ dir, template: 'site-to-site', hosts: 2, kind: 'clean' });
    expect(made.revision).toMatch(/^[0-9a-f]{64}$/);
    const t = made.topology!;
    const first = await engine['project.save']({ dir, topology: { ...t, name: 'one' }, expectedRevision: made.revision! });
    expect(first.revision).not.toBe(made.revision);
    // Someone else changes the file.
    const file = path.join(dir, 'overlab.yaml');
    await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace('name: one', 'name: theirs'));
    const refused = engine['project.save']({ dir, topology: { ...t, name: 'mine' }, expectedRevision: first.revision! });
    await expect(refused).rejects.toBeInstanceOf(ApiError);
    await expect(refused).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('changed on disk') });
    expect(await fs.readFile(file, 'utf8')).toContain('name: theirs');
    await engine['project.save']({ dir, topology: { ...t, name: 'mine' }, expectedRevision: first.revision!, force: true });
    expect(await fs.readFile(file, 'utf8')).toContain('name: mine');
  });
});

describe('fs.list', () => {
  it('lists folders only (not files, not hidden ones), marks projects, and names the parent', async () => {
    await fs.mkdir(path.join(root, 'a'));
    await fs.mkdir(path.join(root, '.hidden'));
    await fs.writeFile(path.join(root, 'file.txt'), 'x');
    await engine['project.create']({ dir: path.join(root, 'proj'), template: 'site-to-site', hosts: 2, kind: 'clean' });
    const l = await engine['fs.list']({ path: root });
    expect(l.path).toBe(root);
    expect(l.parent).toBe(path.dirname(root));
    expect(l.entries.map((e) => [e.name, e.isProject])).toEqual([['a', false], ['proj', true]]);
    await expect(engine['fs.list']({ path: path.join(root, 'file.txt') })).rejects.toMatchObject({ message: expect.stringContaining('is not a folder') });
  });
});

describe('recent projects', () => {
  it('keeps the newest first, once each', async () => {
    await engine['recent.add']({ dir: '/x/a', name: 'A' });
    await engine['recent.add']({ dir: '/x/b', name: 'B' });
    await engine['recent.add']({ dir: '/x/a', name: 'A again' });
    expect((await engine['recent.list']({})).map((r) => [r.dir, r.name])).toEqual([['/x/a', 'A again'], ['/x/b', 'B']]);
    expect(((await fs.stat(path.join(root, 'config', 'recent.json'))).mode & 0o777).toString(8)).toBe('600');
  });
});

describe('prompts', () => {
  it('asks once per login with a prompt event, and hands the answer to every host of that login', async () => {
    const events: OverlabEvents['prompt'][] = [];
    const p = new Prompts((event, payload) => {
      if (event === 'prompt') events.push(payload as OverlabEvents['prompt']);
    });
    const a = p.password('h1', 'root@10.0.0.1');
    const b = p.password('h2', 'root@10.0.0.1');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'password', host: 'h1', login: 'root@10.0.0.1' });
    expect(JSON.stringify(events)).not.toContain('s3cret');
    expect(p.answer(events[0]!.promptId, 's3cret')).toBe(true);
    expect(await a).toBe('s3cret');
    expect(await b).toBe('s3cret');
    // Answered: the question is gone.
    expect(p.answer(events[0]!.promptId, 'again')).toBe(false);
  });

  it('asks again after a refusal', async () => {
    const events: OverlabEvents['prompt'][] = [];
    const p = new Prompts((_e, payload) => events.push(payload as OverlabEvents['prompt']));
    const a = p.password('h1', 'u@h');
    p.answer(events[0]!.promptId, undefined);
    expect(await a).toBeUndefined();
    void p.password('h1', 'u@h');
    expect(events).toHaveLength(2);
  });
});

describe('preflight', () => {
  it('runs the kernel probes before a first deploy and skips them when the same bundle is deployed', async () => {
    const hash = path.join(root, 'hash');
    const probe = `echo probed > ${path.join(root, 'probed')}`;
    const needs = [{ kind: 'k', requirements: { modules: [], packages: ['p'], binaries: ['sh'], probe } }];
    const runIt = (): void => void spawnSync('sh', ['-s'], { input: preflightScript(needs, hash, 'a'.repeat(64)), encoding: 'utf8' });
    // As root (CI) the probe would run in a scratch namespace and leave its mark; not as root,
    // `ip netns add` fails first, so the script's shape is checked too.
    const script = preflightScript(needs, hash, 'a'.repeat(64));
    expect(script.indexOf('deployed=$(cat')).toBeLessThan(script.indexOf('ip netns add'));
    expect(script).toMatch(/if \[ "\$deployed" != '?a{64}'? \]; then/);
    await fs.writeFile(hash, `${'a'.repeat(64)}\n`);
    runIt();
    await expect(fs.stat(path.join(root, 'probed'))).rejects.toThrow();
    expect(preflightScript(needs, hash)).not.toContain('"$deployed" !=');
  });

  it('skips a kernel probe when every module of the kind is loaded, and runs it when one is not', async () => {
    const loaded = (await fs.readdir('/sys/module'))[0]!;
    const mark = path.join(root, 'probed-modules');
    const needsWith = (modules: string[]) => [{ kind: 'k', requirements: { modules, packages: ['p'], binaries: ['sh'], probe: `echo probed > ${mark}` } }];
    const script = preflightScript(needsWith([loaded]), path.join(root, 'no-hash'));
    expect(script.indexOf(`/sys/module/${loaded}`)).toBeLessThan(script.indexOf('ip netns add'));
    spawnSync('sh', ['-s'], { input: script, encoding: 'utf8' });
    await expect(fs.stat(mark)).rejects.toThrow();
    // Not loaded: the probe runs (as root, in its scratch namespace; not as root, ip netns add fails first).
    spawnSync('sh', ['-s'], { input: preflightScript(needsWith([loaded, 'overlab_no_such_module']), path.join(root, 'no-hash')), encoding: 'utf8' });
    if (process.getuid?.() === 0) expect((await fs.readFile(mark, 'utf8')).trim()).toBe('probed');
  });
});
