import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serializeProject } from '../../shared/document.js';
import { SCHEMA_VERSION, type Topology } from '../../shared/schema.js';
import { makeTemplate } from '../../shared/templates.js';
import { defaultRegistry } from '../../shared/tunnels/index.js';
import { createProject, ensureLayout, openProject, projectFile, saveProject } from './project.js';

const registry = defaultRegistry;
const template = (shape: 'mesh' | 'hub-spoke' = 'mesh', hosts = 3): Topology =>
  makeTemplate({ template: shape, hosts, kind: 'clean', name: `${shape} ${hosts}` }, registry).value!;

let root: string;
let dir: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-project-'));
  dir = path.join(root, 'proj');
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const mode = async (p: string): Promise<number> => (await fs.stat(p)).mode & 0o777;

describe('save and open', () => {
  it('round-trips a topology through the folder', async () => {
    const t = template('hub-spoke', 5);
    const saved = await saveProject(dir, t, registry);
    expect(saved.diagnostics).toEqual([]);
    const opened = await openProject(dir, registry);
    expect(opened.diagnostics).toEqual([]);
    expect(opened.topology).toEqual(t);
    expect(opened.fromVersion).toBe(t.schemaVersion);
  });

  it('writes exactly the serialised document, readable by others', async () => {
    const t = template();
    await saveProject(dir, t, registry);
    expect(await fs.readFile(projectFile(dir), 'utf8')).toBe(serializeProject(t));
    expect(await mode(projectFile(dir))).toBe(0o644);
  });

  it('leaves the previous file byte-identical and no temp file when the write fails before the rename', async () => {
    await saveProject(dir, template('mesh', 3), registry);
    const before = await fs.readFile(projectFile(dir));
    const entriesBefore = (await fs.readdir(dir)).sort();
    let hookRan = false;
    const failing = saveProject(dir, template('mesh', 6), registry, {
      beforeRename: () => {
        hookRan = true;
        throw new Error('simulated crash');
      },
    });
    await expect(failing).rejects.toThrow('simulated crash');
    expect(hookRan).toBe(true);
    expect(await fs.readFile(projectFile(dir))).toEqual(before);
    expect((await fs.readdir(dir)).sort()).toEqual(entriesBefore);
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('does not write an invalid topology and returns why', async () => {
    const good = template();
    await saveProject(dir, good, registry);
    const before = await fs.readFile(projectFile(dir));
    const bad: Topology = { ...good, links: [...good.links, { id: 'lself01', a: 'node-1', b: 'node-1', kind: 'clean', options: {} }] };
    const r = await saveProject(dir, bad, registry);
    expect(r.topology).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.path])).toContainEqual(['self-link', 'links[3].b']);
    expect(await fs.readFile(projectFile(dir))).toEqual(before);
  });

  it('does not create the file at all for an invalid first save', async () => {
    const bad = { ...template(), hosts: [] } as unknown as Topology;
    const r = await saveProject(dir, bad, registry);
    expect(r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
    await expect(fs.access(projectFile(dir))).rejects.toThrow();
  });

  it('saves a topology with warnings and returns them', async () => {
    const t = template('mesh', 3);
    const r = await saveProject(dir, { ...t, links: t.links.slice(0, 1) }, registry);
    expect(r.topology?.links).toHaveLength(1);
    expect(r.diagnostics.map((d) => [d.severity, d.code])).toEqual([['warning', 'mesh-incomplete']]);
  });
});

describe('createProject', () => {
  it('creates the folder and a valid project', async () => {
    const r = await createProject(dir, template(), registry);
    expect(r.topology).toBeDefined();
    expect((await openProject(dir, registry)).topology).toEqual(template());
  });

  it('refuses to overwrite an existing project without force, and keeps it', async () => {
    await createProject(dir, template('mesh', 3), registry);
    const before = await fs.readFile(projectFile(dir));
    const r = await createProject(dir, template('hub-spoke', 4), registry);
    expect(r.topology).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(['project-exists']);
    expect(r.diagnostics[0]!.message).toContain('--force');
    expect(await fs.readFile(projectFile(dir))).toEqual(before);
  });

  it('overwrites an existing project with force', async () => {
    await createProject(dir, template('mesh', 3), registry);
    const r = await createProject(dir, template('hub-spoke', 4), registry, { force: true });
    expect(r.topology?.shape).toBe('hub-spoke');
    expect((await openProject(dir, registry)).topology?.hosts).toHaveLength(4);
  });
});

describe('the folder layout', () => {
  it('has runs/, reports/ and .overlab/secrets/, the last two private (0700)', async () => {
    await createProject(dir, template(), registry);
    for (const sub of ['runs', 'reports', '.overlab', path.join('.overlab', 'secrets')]) {
      expect((await fs.stat(path.join(dir, sub))).isDirectory(), sub).toBe(true);
    }
    expect(await mode(path.join(dir, '.overlab'))).toBe(0o700);
    expect(await mode(path.join(dir, '.overlab', 'secrets'))).toBe(0o700);
  });

  it('tightens .overlab folders that others can read', async () => {
    await fs.mkdir(path.join(dir, '.overlab', 'secrets'), { recursive: true, mode: 0o755 });
    await fs.chmod(path.join(dir, '.overlab'), 0o755);
    await fs.chmod(path.join(dir, '.overlab', 'secrets'), 0o755);
    await ensureLayout(dir);
    expect(await mode(path.join(dir, '.overlab'))).toBe(0o700);
    expect(await mode(path.join(dir, '.overlab', 'secrets'))).toBe(0o700);
  });

  it('refuses a secrets folder every user could have written, naming it (anything could have been planted there)', async () => {
    await fs.mkdir(path.join(dir, '.overlab', 'secrets'), { recursive: true });
    await fs.chmod(path.join(dir, '.overlab', 'secrets'), 0o777);
    await expect(ensureLayout(dir)).rejects.toThrow(`${path.join(dir, '.overlab', 'secrets')} can be written by every user`);
    expect(await mode(path.join(dir, '.overlab', 'secrets'))).toBe(0o777);
  });

  it('keeps .overlab/secrets/ out of git, and nothing else', async () => {
    await createProject(dir, template(), registry);
    execFileSync('git', ['init', '-q'], { cwd: dir });
    // check-ignore exits 0 when the path is ignored, 1 when it is not (which throws here).
    expect(() => execFileSync('git', ['check-ignore', '-q', '.overlab/secrets/wg.key'], { cwd: dir })).not.toThrow();
    expect(() => execFileSync('git', ['check-ignore', '-q', 'overlab.yaml'], { cwd: dir })).toThrow();
  });

  it('leaves a .gitignore the user wrote as it was', async () => {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, '.gitignore'), 'runs/\n');
    await createProject(dir, template(), registry);
    expect(await fs.readFile(path.join(dir, '.gitignore'), 'utf8')).toBe('runs/\n');
  });

  it('ignores .overlab/secrets/ even when the user already had a .gitignore', async () => {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, '.gitignore'), 'runs/\n');
    await createProject(dir, template(), registry);
    execFileSync('git', ['init', '-q'], { cwd: dir });
    expect(() => execFileSync('git', ['check-ignore', '-q', '.overlab/secrets/wg.key'], { cwd: dir })).not.toThrow();
  });
});

describe('openProject', () => {
  it('on a missing folder says so with code cannot-read and names `overlab new`', async () => {
    const r = await openProject(path.join(root, 'nowhere'), registry);
    expect(r.topology).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(['cannot-read']);
    expect(r.diagnostics[0]!.message).toContain('overlab new');
  });

  it('on a folder whose overlab.yaml is a directory gives cannot-read', async () => {
    await fs.mkdir(projectFile(dir), { recursive: true });
    const r = await openProject(dir, registry);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['cannot-read']);
  });

  it('returns the problems of a broken file with their positions, and no topology', async () => {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(projectFile(dir), 'schemaVersion: 5\nname: x\nshape: mesh\nhosts:\n  - name: a\n  - name: a\n');
    const r = await openProject(dir, registry);
    expect(r.topology).toBeUndefined();
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.path, d.line])).toEqual([['duplicate-host-name', 'hosts[1].name', 6]]);
  });

  it('migrates an older file in memory and leaves it as it was on disk', async () => {
    const v1 = await fs.readFile(new URL('../../../tests/fixtures/projects/v1/overlab.yaml', import.meta.url));
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(projectFile(dir), v1);
    const r = await openProject(dir, registry);
    expect(r.fromVersion).toBe(1);
    expect(r.topology?.schemaVersion).toBe(SCHEMA_VERSION);
    expect(await fs.readFile(projectFile(dir))).toEqual(v1);
  });
});

describe('stable ids (since schema version 3)', () => {
  const v2 = new URL('../../../tests/fixtures/projects/v2/overlab.yaml', import.meta.url);
  const openV2 = async () => {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(projectFile(dir), await fs.readFile(v2));
    return openProject(dir, registry);
  };

  it('opens a version 2 file, migrates it in memory to the current version with an id for every host and link, and validates it', async () => {
    const r = await openV2();
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.fromVersion).toBe(2);
    const t = r.topology!;
    expect(t.schemaVersion).toBe(SCHEMA_VERSION);
    const ids = [...t.hosts.map((h) => h.id), ...t.links.map((l) => l.id)];
    for (const id of ids) expect(id).toMatch(/^[hl][a-z0-9]{6}$/);
    expect(new Set(ids).size).toBe(5);
    // The same unsaved file migrates to the same ids every time it is opened.
    expect((await openProject(dir, registry)).topology).toEqual(t);
  });

  it('saves the migrated project in the current version, ids included, and reads the same ids back', async () => {
    const t = (await openV2()).topology!;
    const saved = await saveProject(dir, t, registry);
    expect(saved.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const text = await fs.readFile(projectFile(dir), 'utf8');
    expect(text).toMatch(new RegExp(`^schemaVersion: ${SCHEMA_VERSION}$`, 'm'));
    for (const h of t.hosts) expect(text).toContain(`id: ${h.id}\n    name: ${h.name}\n`);
    const again = await openProject(dir, registry);
    expect(again.fromVersion).toBe(SCHEMA_VERSION);
    expect(again.topology).toEqual(t);
  });

  it('keeps ids across a rename of a host, a reorder of the links and a save and reload', async () => {
    const t = (await openV2()).topology!;
    const hubId = t.hosts[0]!.id;
    const linkIds = t.links.map((l) => l.id);
    // Rename the hub (its links follow by name) and swap the two links.
    const renamed: Topology = {
      ...t,
      hosts: t.hosts.map((h) => (h.id === hubId ? { ...h, name: 'core' } : h)),
      links: [...t.links].reverse().map((l) => ({ ...l, a: l.a === 'hub' ? 'core' : l.a, b: l.b === 'hub' ? 'core' : l.b })),
    };
    expect((await saveProject(dir, renamed, registry)).topology).toBeDefined();
    const back = (await openProject(dir, registry)).topology!;
    expect(back.hosts.find((h) => h.name === 'core')?.id).toBe(hubId);
    expect(back.links.map((l) => l.id)).toEqual([...linkIds].reverse());
    // Each link keeps its own kind and options under its id.
    for (const l of t.links) expect(back.links.find((x) => x.id === l.id)?.kind).toBe(l.kind);
  });

  it('refuses two things with one id, naming both, and keys diagnostics by id', async () => {
    const t = (await openV2()).topology!;
    const clash: Topology = { ...t, links: t.links.map((l, i) => (i === 1 ? { ...l, id: t.hosts[2]!.id } : l)) };
    const r = await saveProject(dir, clash, registry);
    expect(r.topology).toBeUndefined();
    const d = r.diagnostics.find((x) => x.code === 'duplicate-id');
    expect(d?.path).toBe('links[1].id');
    expect(d?.message).toContain('hosts[2]');
    expect(d?.subject).toEqual({ type: 'link', id: t.hosts[2]!.id });
  });
});
