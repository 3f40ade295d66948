/**
 * Saving on a full disk: a 256 KiB tmpfs mounted as the project folder (root only; skipped
 * otherwise), a project made there, the rest of the tmpfs filled, then a larger topology saved
 * through the engine (project.save) and the CLI (`overlab new --force`), a run's lean and listing
 * copies written (writeSidecars, as measure does), and secrets made (`overlab render`). Each
 * fails with a message that names the file and says the disk is full; the previous overlab.yaml
 * is byte for byte as it was and no temporary file or folder is left behind.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { createEngine } from '../../src/engine/engine.js';
import { writeSidecars } from '../../src/engine/measure/store.js';
import type { RunResults } from '../../src/shared/measure/results.js';
import { makeTemplate } from '../../src/shared/templates.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const isRoot = process.getuid?.() === 0;
const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/results/hub3/results.json');
const engine = createEngine({ registry: defaultRegistry });

let base = '';
let mnt = '';
let dir = '';
let mounted = false;

/** Every file and folder under `root` (relative), with the bytes of the files. */
async function tree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const rel of (await fs.readdir(root, { recursive: true })).sort()) {
    const st = await fs.lstat(path.join(root, rel));
    out.set(rel, st.isFile() ? createHash('sha256').update(await fs.readFile(path.join(root, rel))).digest('hex') : '<dir>');
  }
  return out;
}

/** Fills the file system holding `file` until it has no room left. */
async function fill(file: string): Promise<void> {
  const h = await fs.open(file, 'w');
  const chunk = Buffer.alloc(4096, 0x61);
  try {
    for (;;) await h.write(chunk);
  } catch (e) {
    expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    await h.close();
  }
}

async function cli(...argv: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await runCli(argv, { out: () => undefined, err: (t) => void (err += t) });
  return { code, err };
}

describe.skipIf(!isRoot)('a full disk', () => {
  let yamlBefore: Buffer;
  let run: RunResults;
  let runDir = '';

  beforeAll(async () => {
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-full-'));
    mnt = path.join(base, 'mnt');
    await fs.mkdir(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0755', 'overlab-test-full', mnt]);
    mounted = true;
    dir = path.join(mnt, 'p');
    const made = await engine['project.create']({ dir, template: 'site-to-site', hosts: 2, kind: 'wireguard' });
    expect(made.topology).toBeDefined();
    yamlBefore = await fs.readFile(path.join(dir, 'overlab.yaml'));
    // A measured run, as measure leaves it before writing the copies beside it.
    run = JSON.parse(await fs.readFile(FIXTURE, 'utf8')) as RunResults;
    runDir = path.join(dir, 'runs', run.runId);
    await fs.mkdir(runDir, { recursive: true });
    await fs.writeFile(path.join(runDir, 'results.json'), JSON.stringify(run));
    await fill(path.join(mnt, 'filler'));
  });

  afterAll(async () => {
    try {
      if (mounted) execFileSync('umount', [mnt]);
    } finally {
      await fs.rm(base, { recursive: true, force: true });
    }
  });

  it('project.save fails naming overlab.yaml and the full disk; the file as it was, no temporary file', async () => {
    const bigger = makeTemplate({ template: 'hub-spoke', hosts: 40, kind: 'wireguard' }, defaultRegistry).value!;
    const before = await tree(dir);
    const e = await engine['project.save']({ dir, topology: bigger }).then(
      () => undefined,
      (x: unknown) => x as Error,
    );
    expect(e).toBeInstanceOf(Error);
    expect(e!.message).toContain(path.join(dir, 'overlab.yaml'));
    expect(e!.message).toMatch(/disk is full/);
    expect(e!.message).not.toMatch(/[\n\r]/);
    expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect((await fs.readFile(path.join(dir, 'overlab.yaml'))).equals(yamlBefore)).toBe(true);
    expect(await tree(dir)).toEqual(before);
  });

  it('overlab new --force exits 1 with one line naming overlab.yaml; the file as it was', async () => {
    const before = await tree(dir);
    const r = await cli('new', dir, '--template', 'mesh', '--hosts', '12', '--kind', 'wireguard', '--force');
    expect(r.code).toBe(1);
    const lines = r.err.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^overlab: cannot write ${path.join(dir, 'overlab.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the disk is full`));
    expect((await fs.readFile(path.join(dir, 'overlab.yaml'))).equals(yamlBefore)).toBe(true);
    expect(await tree(dir)).toEqual(before);
  });

  it('writeSidecars (as measure writes them) fails naming lean.json; results.json as it was, nothing left beside it', async () => {
    const before = await tree(dir);
    const e = await writeSidecars(runDir, run).then(
      () => undefined,
      (x: unknown) => x as Error,
    );
    expect(e).toBeInstanceOf(Error);
    expect(e!.message).toContain(path.join(runDir, 'lean.json'));
    expect(e!.message).toMatch(/disk is full/);
    expect(await tree(dir)).toEqual(before);
  });

  it('overlab render fails naming the secret file it was making; no half-made secret folder is left', async () => {
    const before = await tree(dir);
    const r = await cli('render', dir, '--out', path.join(base, 'out'));
    expect(r.code).toBe(1);
    const lines = r.err.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^overlab: cannot (write|make) ${path.join(dir, '.overlab', 'secrets').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/.*: the disk is full`));
    // The same files; at most the empty folders above the secret (.overlab/secrets/<kind>/<network>), no half-made secret.
    const after = await tree(dir);
    expect([...after].filter(([, v]) => v !== '<dir>')).toEqual([...before].filter(([, v]) => v !== '<dir>'));
    for (const rel of after.keys()) expect(path.basename(rel).startsWith('.') && !before.has(rel), rel).toBe(false);
    expect((await fs.readdir(path.join(dir, '.overlab', 'secrets'), { recursive: true })).filter((f) => !before.has(path.join('.overlab', 'secrets', f)))).toEqual(['wireguard', 'wireguard/n0']);
  });

  it('with room again, the save goes through', async () => {
    await fs.rm(path.join(mnt, 'filler'));
    const bigger = makeTemplate({ template: 'hub-spoke', hosts: 40, kind: 'wireguard' }, defaultRegistry).value!;
    const saved = await engine['project.save']({ dir, topology: bigger });
    expect(saved.topology?.hosts).toHaveLength(40);
  });
});
