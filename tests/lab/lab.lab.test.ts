/**
 * The lab follows the project while it is up: a host added, renamed or removed in the project,
 * then `lab up` again. Each host keeps its slot (management address, veth names) by id, so the
 * others are not touched; a renamed host moves to a namespace of its new name; a removed one is
 * taken down. Needs root; skipped otherwise.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/engine/exec.js';
import { chooseLabLayout, labDown, labUp, loadLab, type LabLayout } from '../../src/engine/lab/lab.js';
import { createProject, saveProject } from '../../src/engine/store/project.js';
import { plan } from '../../src/shared/plan.js';
import type { Topology } from '../../src/shared/schema.js';
import { makeTemplate } from '../../src/shared/templates.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const registry = defaultRegistry;
const root = process.getuid?.() === 0;
let dir = '';
let t: Topology;

const up = async (topology: Topology): Promise<LabLayout> => {
  await saveProject(dir, topology, registry);
  const L = await chooseLabLayout(dir, topology, plan(topology, registry).value!);
  await labUp(dir, L);
  return (await loadLab(dir, topology, plan(topology, registry).value!))!;
};
const namespaces = async (): Promise<string[]> => (await run(['ip', 'netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
/** The sshd of each lab host answers on its management address (lab up waited for it). */
const pinned = async (): Promise<string> => fs.readFile(path.join(dir, '.overlab', 'known_hosts'), 'utf8');

describe.skipIf(!root)('lab up follows the project by host id', () => {
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-labids-'));
    const made = makeTemplate({ template: 'hub-spoke', hosts: 3, kind: 'vxlan' }, registry).value!;
    t = { ...made, lab: { management: '198.18.208.0/20' } };
    await createProject(dir, t, registry);
  }, 60_000);

  afterAll(async () => {
    if (dir) {
      await labDown(dir).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps every host where it was when one is inserted before them, renamed or removed', async () => {
    const first = await up(t);
    const addressOf = (L: LabLayout): Map<string, string> => new Map(L.hosts.map((h) => [h.id, h.mgmtAddress]));
    const before = addressOf(first);
    expect(before.size).toBe(3);

    // A new host inserted first in the list, and spoke-1 renamed.
    const spoke1 = t.hosts.find((h) => h.name === 'spoke-1')!;
    const inserted: Topology = {
      ...t,
      hosts: [{ ...t.hosts[1]!, id: 'hnewcomer', name: 'newcomer', lan: '198.18.30.0/24', position: { x: 0, y: 300 } }, ...t.hosts.map((h) => (h.id === spoke1.id ? { ...h, name: 'branch' } : h))],
      links: [...t.links.map((l) => ({ ...l, a: l.a === 'spoke-1' ? 'branch' : l.a, b: l.b === 'spoke-1' ? 'branch' : l.b })), { id: 'lnewcomer', a: 'hub', b: 'newcomer', kind: 'vxlan', options: {} }],
    };
    const second = await up(inserted);
    const after = addressOf(second);
    for (const [id, addr] of before) expect(after.get(id), id).toBe(addr);
    expect(after.get('hnewcomer')).toBeDefined();
    expect(new Set(after.values()).size).toBe(4);
    const ns = await namespaces();
    expect(ns).toContain(`olab-${second.id}-branch`);
    expect(ns).toContain(`olab-${second.id}-newcomer`);
    expect(ns).not.toContain(`olab-${second.id}-spoke-1`);
    // The renamed host answers on its old address, with a key pinned for it.
    expect(await pinned()).toContain(`${before.get(spoke1.id)} ssh-ed25519 `);

    // spoke-2 removed: its namespace goes, the others stay where they are.
    const spoke2 = inserted.hosts.find((h) => h.name === 'spoke-2')!;
    const removed: Topology = { ...inserted, hosts: inserted.hosts.filter((h) => h.id !== spoke2.id), links: inserted.links.filter((l) => l.a !== 'spoke-2' && l.b !== 'spoke-2') };
    const third = await up(removed);
    expect(third.hosts.map((h) => h.id).sort()).toEqual(removed.hosts.map((h) => h.id).sort());
    for (const h of third.hosts) expect(h.mgmtAddress).toBe(after.get(h.id));
    expect(await namespaces()).not.toContain(`olab-${third.id}-spoke-2`);
  }, 120_000);
});
