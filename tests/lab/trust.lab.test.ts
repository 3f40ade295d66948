/**
 * `lab up` as a local attacker meets it, and what a lab host can and cannot change on the
 * machine. The attacker is a uid with no account (4242): they own a project folder someone
 * runs `lab up` on, or plant links and keys in one. Each case: the command refuses with a
 * message naming the file, the file the link points at is untouched and not copied anywhere,
 * and nothing of a lab is left behind. Needs root; skipped otherwise.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { run } from '../../src/engine/exec.js';
import { chooseLabLayout, LAB_STATE_ROOT, labDown, labExecArgv, labId, labUp, loadLab, type LabLayout } from '../../src/engine/lab/lab.js';
import { createProject } from '../../src/engine/store/project.js';
import { plan } from '../../src/shared/plan.js';
import type { Topology } from '../../src/shared/schema.js';
import { makeTemplate } from '../../src/shared/templates.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const registry = defaultRegistry;
const root = process.getuid?.() === 0;
const OTHER = 4242;
const SECRET = 'root:$6$the-machines-own-secret:19000:0:99999:7:::';

const template = (): Topology => {
  const made = makeTemplate({ template: 'site-to-site', hosts: 2, kind: 'vxlan' }, registry).value!;
  return { ...made, lab: { management: '198.18.192.0/20' } };
};
const netnsOf = async (id: string): Promise<string[]> => (await run(['ip', 'netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`olab-${id}-`));
const grepTree = async (dir: string, needle: string): Promise<string[]> => {
  const hits: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && (await fs.readFile(p, 'utf8')).includes(needle)) hits.push(p);
    }
  };
  await walk(dir);
  return hits;
};

describe.skipIf(!root)('lab up in a project folder someone else may have written', () => {
  let scratch = '';
  let secretFile = '';
  const engine = createEngine({ registry });
  const labUpVia = (dir: string): Promise<unknown> => engine['lab.up']({ dir });

  beforeAll(async () => {
    scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-trust-'));
    // Stands for /etc/shadow: a file only root may read.
    const vault = path.join(scratch, 'root-only');
    await fs.mkdir(vault, { mode: 0o700 });
    secretFile = path.join(vault, 'shadow');
    await fs.writeFile(secretFile, `${SECRET}\n`, { mode: 0o600 });
  });
  afterAll(async () => {
    if (scratch) await fs.rm(scratch, { recursive: true, force: true });
  });

  const newProject = async (name: string): Promise<string> => {
    const dir = path.join(scratch, name);
    await createProject(dir, template(), registry);
    return dir;
  };
  /** After a refusal: no namespace, no state, the secret where it was and nowhere else. */
  const nothingLeft = async (dir: string): Promise<void> => {
    expect(await netnsOf(labId(dir))).toEqual([]);
    expect(await fs.lstat(path.join(LAB_STATE_ROOT, labId(dir))).then(() => 'state left', () => 'none')).toBe('none');
    expect(await fs.readFile(secretFile, 'utf8')).toBe(`${SECRET}\n`);
    expect(await grepTree(dir, 'the-machines-own-secret')).toEqual([]);
  };
  afterEach(async () => {
    for (const name of await fs.readdir(scratch)) if (name !== 'root-only') await labDown(path.join(scratch, name)).catch(() => undefined);
  });

  it('refuses a project folder another user owns, naming it', async () => {
    const dir = await newProject('theirs');
    execFileSync('chown', ['-R', `${OTHER}:${OTHER}`, dir]);
    const e = (await labUpVia(dir).catch((x: unknown) => x)) as { message: string; diagnostics?: { message: string }[] };
    expect([e.message, ...(e.diagnostics ?? []).map((d) => d.message)].join('\n')).toContain(`${dir} is owned by uid ${OTHER}, not by root or by you`);
    await nothingLeft(dir);
  });

  it('does not copy a root-only file into the project through a known_hosts link', async () => {
    const dir = await newProject('known-hosts-link');
    const kh = path.join(dir, '.overlab', 'known_hosts');
    await fs.symlink(secretFile, kh);
    await expect(labUpVia(dir)).rejects.toThrow(`${kh} is a symbolic link`);
    expect((await fs.lstat(kh)).isSymbolicLink()).toBe(true);
    await nothingLeft(dir);
  });

  it('reads nothing through a host key’s .pub link, and writes nothing through it', async () => {
    const dir = await newProject('hostkey-pub-link');
    const keys = path.join(dir, '.overlab', 'secrets', 'lab', 'hostkeys');
    await fs.mkdir(keys, { recursive: true, mode: 0o700 });
    await fs.symlink(secretFile, path.join(keys, 'site-a.pub'));
    await expect(labUpVia(dir)).rejects.toThrow(`${path.join(keys, 'site-a.pub')} is a symbolic link`);
    await nothingLeft(dir);
    // Nor through a link in place of the private key.
    await fs.rm(path.join(keys, 'site-a.pub'));
    await fs.symlink(secretFile, path.join(keys, 'site-a'));
    await expect(labUpVia(dir)).rejects.toThrow(`${path.join(keys, 'site-a')} is a symbolic link`);
    await nothingLeft(dir);
  });

  it('refuses a lab key pair another user planted, so its holder never becomes root on the lab hosts', async () => {
    const dir = await newProject('planted-key');
    const key = path.join(dir, '.overlab', 'secrets', 'lab', 'id_ed25519');
    await fs.mkdir(path.dirname(key), { recursive: true, mode: 0o700 });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'attacker', '-f', key]);
    await fs.chown(key, OTHER, OTHER);
    await fs.chown(`${key}.pub`, OTHER, OTHER);
    await expect(labUpVia(dir)).rejects.toThrow(`${key} is owned by uid ${OTHER}, not by root or by you`);
    await nothingLeft(dir);
  });

  it('refuses a private key others can read', async () => {
    const dir = await newProject('loose-key');
    const key = path.join(dir, '.overlab', 'secrets', 'lab', 'id_ed25519');
    await fs.mkdir(path.dirname(key), { recursive: true, mode: 0o700 });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    await fs.chmod(key, 0o644);
    await expect(labUpVia(dir)).rejects.toThrow(`${key} is a private key others can read`);
    await nothingLeft(dir);
  });

  it('does not mount or make anything through a link planted at the lab’s state folder', async () => {
    const dir = await newProject('state-link');
    const target = path.join(scratch, 'root-only', 'mount-here');
    await fs.mkdir(target, { mode: 0o700 });
    const state = path.join(LAB_STATE_ROOT, labId(dir));
    await fs.mkdir(LAB_STATE_ROOT, { recursive: true, mode: 0o700 });
    await fs.symlink(target, state);
    try {
      await expect(labUpVia(dir)).rejects.toThrow(new RegExp(`${state} is (a symbolic link|not a folder Overlab made)`));
      expect(await fs.readdir(target)).toEqual([]);
      const mounts = await fs.readFile('/proc/self/mountinfo', 'utf8');
      expect(mounts).not.toContain(target);
    } finally {
      await fs.rm(state, { force: true });
    }
    expect(await netnsOf(labId(dir))).toEqual([]);
  });
});

describe.skipIf(!root)('what a lab host can change on the machine', () => {
  let dir = '';
  let L: LabLayout;
  const inHost = (host: string, script: string) => run(labExecArgv(L, host, ['sh', '-c', script]), { okCodes: [0, 1, 2] });
  const tag = `overlab-isolation-${process.pid}`;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-isolation-'));
    const t = template();
    await createProject(dir, t, registry);
    await labUp(dir, await chooseLabLayout(dir, t, plan(t, registry).value!));
    L = (await loadLab(dir, t, plan(t, registry).value!))!;
  }, 60_000);
  afterAll(async () => {
    if (dir) {
      await labDown(dir).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('cannot write the machine’s programs or boot files: /usr, /usr/local, /boot, /opt are read-only', async () => {
    for (const d of ['/usr', '/usr/local/bin', '/boot', '/opt', '/srv', '/var/cache', '/var/spool']) {
      const exists = await fs.stat(d).then(() => true, () => false);
      if (!exists) continue;
      const r = await inHost('site-a', `touch ${d}/${tag} 2>&1; echo "rc=$?"`);
      expect(r.stdout, d).toMatch(/Read-only file system/);
      expect(await fs.stat(path.join(d, tag)).then(() => 'written on the machine', () => 'absent'), d).toBe('absent');
    }
  });

  it('has its own /root, /home, /tmp, /var/tmp, /dev/shm and /run: what it writes there stays with it', async () => {
    const places = ['/root', '/home', '/tmp', '/var/tmp', '/dev/shm', '/run', '/etc', '/var/lib', '/var/log'];
    const r = await inHost('site-a', places.map((d) => `echo a > ${d}/${tag}`).join(' && '));
    expect(r.code, r.stderr).toBe(0);
    for (const d of places) {
      expect(await fs.stat(path.join(d, tag)).then(() => 'on the machine', () => 'absent'), d).toBe('absent');
      expect((await inHost('site-b', `cat ${d}/${tag} 2>/dev/null || echo absent`)).stdout.trim(), `${d} seen from site-b`).toBe('absent');
      expect((await inHost('site-a', `cat ${d}/${tag}`)).stdout.trim(), `${d} in site-a`).toBe('a');
    }
  });

  it('starts with an empty /tmp and /root and a /run holding only its own sshd files', async () => {
    expect((await inHost('site-b', 'ls -A /tmp /root /home')).stdout.split('\n').filter((l) => l && !l.endsWith(':'))).toEqual([]);
    expect((await inHost('site-b', 'ls -A /run')).stdout.trim().split('\n').sort()).toEqual(['lock', 'mount', 'overlab-lab', 'sshd', 'user']);
  });
});
