/**
 * The embedded lab: every lab host of a project becomes a network namespace with its own
 * mount namespace and its own OpenSSH server, wired to
 *  - a management bridge in the root namespace (Overlab reaches the host's sshd here),
 *  - a shared WAN bridge (the underlay), in a namespace of its own, at the project's MTU,
 *  - its own LAN (`lan0`, a veth pair inside the host).
 * Each host sees a private /etc, /var/lib, /var/log (overlays: reads fall through to the
 * machine's files, writes stay with the host), its own empty /run, /root, /home, /tmp,
 * /var/tmp and /dev/shm, and the rest of the machine's file system read-only (/usr, /boot,
 * /opt …), so two lab hosts never share a config, pid file or socket, bundles land where
 * daemons look, and a script run in a lab host does not change the machine by accident. It
 * is not a security boundary: root in a lab host shares this machine's kernel and processes
 * (the full-kernel runner is one).
 * Names carry a short id derived from the project folder, so `lab down` finds leftovers
 * of a crashed run by name alone.
 *
 * Root works in a project folder someone else may have written: every file of the project it
 * reads or writes goes through safe-fs (no link followed, trusted owners only, exclusive
 * creation), keys are generated in root's own state folder and copied in, and a public key is
 * always derived from its private key, never read from a `.pub` file beside it.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { formatAddress, parsePrefix, prefixesOverlap, subnetAt, type Prefix } from '../../shared/net.js';
import type { Plan } from '../../shared/plan.js';
import type { Topology } from '../../shared/schema.js';
import { KnownHosts } from '../deploy/hostkeys.js';
import { run, succeeds } from '../exec.js';
import { pool } from '../pool.js';
import { checkWritable, createFile, ensureDir, ensureRootDir, readText, UnsafePathError, writeFile } from '../safe-fs.js';
import { SECRETS_DIR } from '../store/project.js';

/**
 * Lab state on the machine (overlay upper dirs, the hosts' private folders, mount-namespace
 * handles, sshd files), one tmpfs per lab. Under /run, where only root can make a folder, and
 * checked (root-owned, 0700, not a link) every time: a folder another user made first (in a
 * world-writable place such as /var/tmp) would let them redirect root's mounts and writes.
 */
export const LAB_STATE_ROOT = '/run/overlab-lab';
/** Where an earlier Overlab kept lab state: `lab down` still clears labs left there. */
const LEGACY_STATE_ROOT = '/var/tmp/overlab-lab';

/** The largest known_hosts or key file Overlab reads. */
const KEY_FILE_MAX = 1 << 20;

export interface LabHost {
  /** The topology host's stable id: its slot follows it across renames and reorders. */
  readonly id: string;
  readonly name: string;
  /**
   * The host's place in the lab, fixed for its lifetime there: it picks the management address
   * and the names of the root-side veths. Kept in the lab's state by host id, so inserting,
   * deleting or reordering hosts never moves another host.
   */
  readonly slot: number;
  readonly netns: string;
  readonly mgmtAddress: string;
  readonly underlayAddress: string;
  readonly underlayDev: string;
  readonly lanGateway?: string;
}

export interface LabLayout {
  readonly id: string;
  /** The /24 (or smaller) of `lab.management` this lab uses. */
  readonly mgmtBlock: string;
  readonly state: string;
  readonly mtu: number;
  readonly mgmtBridge: string;
  readonly mgmtGateway: string;
  readonly mgmtLength: number;
  readonly underlayLength: number;
  readonly wanNetns: string;
  readonly hosts: readonly LabHost[];
}

export type LabEvent = { step: string; host?: string; detail?: string };

export const labId = (projectDir: string): string => createHash('sha256').update(path.resolve(projectDir)).digest('hex').slice(0, 6);

/** Slots by host id: the saved ones, then the lowest free slot for each host that has none (in topology order). */
export function assignSlots(t: Topology, saved: ReadonlyMap<string, number>): Map<string, number> {
  const slots = new Map<string, number>();
  const used = new Set<number>();
  for (const h of t.hosts) {
    const s = saved.get(h.id);
    if (s !== undefined && h.target.type === 'lab') {
      slots.set(h.id, s);
      used.add(s);
    }
  }
  let next = 0;
  for (const h of t.hosts) {
    if (h.target.type !== 'lab' || slots.has(h.id)) continue;
    while (used.has(next)) next++;
    slots.set(h.id, next);
    used.add(next);
  }
  return slots;
}

/**
 * Where everything goes. Names derive from the project and the host names (so `down` needs no
 * saved state); the management block is one /24 of `lab.management` that no other lab or
 * interface of this machine uses, and each host's slot in it, both chosen at `lab up` and kept
 * in the lab's state. Hosts without a slot (not brought up yet) are left out.
 */
export function labLayout(projectDir: string, t: Topology, plan: Plan, mgmtBlock: string | undefined, slots: ReadonlyMap<string, number>): LabLayout {
  const id = labId(projectDir);
  const mgmt = parsePrefix(mgmtBlock ?? defaultBlock(t)) as Prefix;
  const underlay = parsePrefix(t.underlay.subnet) as Prefix;
  const hosts = plan.hosts
    .filter((h) => slots.has(h.id) && t.hosts.find((x) => x.id === h.id)?.target.type === 'lab')
    .map((h): LabHost => {
      const lan = h.lan ? (parsePrefix(h.lan) as Prefix) : undefined;
      const slot = slots.get(h.id)!;
      return {
        id: h.id,
        name: h.name,
        slot,
        netns: `olab-${id}-${h.name}`,
        mgmtAddress: formatAddress(mgmt.family, mgmt.network + 2n + BigInt(slot)),
        underlayAddress: h.underlay.address,
        underlayDev: h.underlay.interface,
        ...(lan ? { lanGateway: `${formatAddress(lan.family, lan.network + 1n)}/${lan.length}` } : {}),
      };
    });
  return {
    id,
    mgmtBlock: mgmt.text,
    state: path.join(LAB_STATE_ROOT, id),
    mtu: t.underlay.mtu,
    mgmtBridge: `olb${id}`,
    mgmtGateway: formatAddress(mgmt.family, mgmt.network + 1n),
    mgmtLength: mgmt.length,
    underlayLength: underlay.length,
    wanNetns: `olab-${id}-wan`,
    hosts,
  };
}

function defaultBlock(t: Topology): string {
  const p = parsePrefix(t.lab.management) as Prefix;
  return p.length >= 24 ? p.text : subnetAt(p, 24, 0)!.text;
}

/** Addresses and routes of the root namespace, except those of this lab's own bridge. */
async function prefixesInUse(ownBridge: string): Promise<Prefix[]> {
  const out: Prefix[] = [];
  const { stdout: addrs } = await run(['ip', '-o', '-4', 'addr', 'show']);
  for (const line of addrs.split('\n')) {
    const m = /^\d+: (\S+)\s+inet (\S+)/.exec(line);
    if (!m || m[1] === ownBridge) continue;
    const a = m[2]!.split("/")[0];
    const p = parsePrefix(`${a}/32`);
    if (typeof p !== 'string') out.push(p);
  }
  const { stdout: routes } = await run(['ip', '-4', 'route', 'show']);
  for (const line of routes.split('\n')) {
    const m = /^(\d+\.\d+\.\d+\.\d+\/\d+) .*dev (\S+)/.exec(line);
    if (!m || m[2] === ownBridge) continue;
    const p = parsePrefix(m[1]!);
    if (typeof p !== 'string') out.push(p);
  }
  return out;
}

/** What `lab up` saved: the layout it brought up (lab.json). */
async function savedLab(projectDir: string): Promise<LabLayout | undefined> {
  let text: string | undefined;
  try {
    text = await readText(path.join(LAB_STATE_ROOT, labId(projectDir), 'lab.json'), { maxBytes: 16 << 20 });
  } catch (e) {
    // Nothing of a lab (or no state folder at all): not up. Anything else (a planted state folder) is said.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EACCES') return undefined;
    throw e;
  }
  if (text === undefined) return undefined;
  try {
    const saved = JSON.parse(text) as Partial<LabLayout>;
    return saved.mgmtBlock && Array.isArray(saved.hosts) ? (saved as LabLayout) : undefined;
  } catch {
    return undefined;
  }
}

const savedSlots = (saved: LabLayout | undefined): Map<string, number> => new Map((saved?.hosts ?? []).filter((h) => typeof h.id === 'string').map((h) => [h.id, h.slot]));

/**
 * The layout of a lab that is up (from its state), or undefined when it is not. Only hosts the
 * last `lab up` brought up are in it, under their current names.
 */
export async function loadLab(projectDir: string, t: Topology, plan: Plan): Promise<LabLayout | undefined> {
  const saved = await savedLab(projectDir);
  if (!saved) return undefined;
  const upByName = new Map(saved.hosts.map((h) => [h.id, h.name]));
  const slots = new Map([...savedSlots(saved)].filter(([hostId]) => t.hosts.find((h) => h.id === hostId)?.name === upByName.get(hostId)));
  return labLayout(projectDir, t, plan, saved.mgmtBlock, slots);
}

/** The layout for `lab up`: the saved block and slots, new slots for new hosts; or a management block nobody else uses. */
export async function chooseLabLayout(projectDir: string, t: Topology, plan: Plan): Promise<LabLayout> {
  const saved = await savedLab(projectDir);
  if (saved) return labLayout(projectDir, t, plan, saved.mgmtBlock, assignSlots(t, savedSlots(saved)));
  const pool = parsePrefix(t.lab.management) as Prefix;
  const used = await prefixesInUse(`olb${labId(projectDir)}`);
  const blocks = pool.length >= 24 ? [pool] : Array.from({ length: 1 << (24 - pool.length) }, (_, i) => subnetAt(pool, 24, i)!);
  const free = blocks.find((b) => !used.some((u) => prefixesOverlap(u, b)));
  if (!free) throw new Error(`every /24 of lab.management ${pool.text} is in use on this machine (other labs?); take one down or give this project another lab.management range`);
  return labLayout(projectDir, t, plan, free.text, assignSlots(t, new Map()));
}

const hostDir = (L: { state: string }, h: { name: string }): string => path.join(L.state, h.name);
const mntHandle = (L: LabLayout, h: LabHost): string => path.join(hostDir(L, h), 'mnt');
const vethMgmt = (L: { id: string }, h: { slot: number }): string => `olm${L.id}${h.slot}`;
const vethWan = (L: { id: string }, h: { slot: number }): string => `olw${L.id}${h.slot}`;

/**
 * The WAN bridge's end of a lab host's underlay veth, in the lab's WAN namespace: its egress is
 * everything the host receives on its underlay, where a host uplink's `down` is shaped (the host
 * itself can only shape what it sends). Undefined when the host is not in the lab.
 */
export function wanSideOf(L: LabLayout, host: string): { netns: string; device: string } | undefined {
  const h = L.hosts.find((x) => x.name === host);
  return h ? { netns: L.wanNetns, device: vethWan(L, h) } : undefined;
}

/**
 * The host's own folders, each bound over the machine's inside its mount namespace (name in the
 * host's state folder, where it is mounted, mode). /run last: the state folder itself is under
 * the machine's /run, and is hidden once the host's own /run is in place.
 */
const PRIVATE_DIRS: readonly { readonly name: string; readonly at: string; readonly mode: number }[] = [
  { name: 'root', at: '/root', mode: 0o700 },
  { name: 'home', at: '/home', mode: 0o755 },
  { name: 'tmp', at: '/tmp', mode: 0o1777 },
  { name: 'vartmp', at: '/var/tmp', mode: 0o1777 },
  { name: 'shm', at: '/dev/shm', mode: 0o1777 },
  { name: 'run', at: '/run', mode: 0o755 },
];
/**
 * Folders the host's /run starts with, as a machine's has them: sshd's privilege-separation
 * folder, lock and user folders, and libmount's (made by the first umount, e.g. the preflight's,
 * it would otherwise read as residue of a deploy).
 */
const RUN_SUBDIRS = ['sshd', 'lock', 'user', 'mount'];
/** The host's sshd files, inside its own /run (so the path is the same for sshd and for nothing else). */
const SSHD_DIR_IN_HOST = '/run/overlab-lab';
/** The same folder seen from the machine. */
const sshdDir = (L: { state: string }, h: { name: string }): string => path.join(hostDir(L, h), 'run', 'overlab-lab');

export const labKeyPath = (projectDir: string): string => path.join(projectDir, SECRETS_DIR, 'lab', 'id_ed25519');
export const knownHostsPath = (projectDir: string): string => path.join(projectDir, '.overlab', 'known_hosts');
const hostKeyPath = (projectDir: string, host: string): string => path.join(projectDir, SECRETS_DIR, 'lab', 'hostkeys', host);

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(() => true, () => false);
}

async function netnsList(): Promise<string[]> {
  const { stdout } = await run(['ip', 'netns', 'list']);
  return stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

async function isMountpoint(p: string): Promise<boolean> {
  const info = await fs.readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((l) => l.split(' ')[4] === p);
}

const inHost = (L: LabLayout, h: LabHost, ...argv: string[]): string[] => ['nsenter', `--net=/run/netns/${h.netns}`, `--mount=${mntHandle(L, h)}`, '--', ...argv];

/** The names of a namespace's links. */
async function linksOf(ns: string): Promise<Set<string>> {
  const { stdout } = await run(['ip', '-n', ns, '-o', 'link', 'show']);
  return new Set(stdout.split('\n').map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1]).filter((n): n is string => !!n));
}

/**
 * Several `ip` commands in one process (`ip -batch -`), in the root namespace or `ns`. Lines are
 * Overlab's own (names from the lab layout: hex ids, host names matching HOST_NAME_RE, addresses
 * it planned), never user text. `tolerant`: go on past errors (removals of what may not exist).
 */
async function ipBatch(ns: string | undefined, lines: readonly string[], tolerant = false): Promise<void> {
  if (lines.length === 0) return;
  await run(['ip', ...(ns ? ['-n', ns] : []), ...(tolerant ? ['-force'] : []), '-batch', '-'], { input: `${lines.join('\n')}\n`, ...(tolerant ? { okCodes: [1, 2, 255] } : {}) });
}

async function linkExists(name: string, ns?: string): Promise<boolean> {
  return succeeds(ns ? ['ip', '-n', ns, 'link', 'show', 'dev', name] : ['ip', 'link', 'show', 'dev', name]);
}

/** `type base64` of an OpenSSH private key file root made itself (ssh-keygen -y: derived, never read from a .pub). */
async function publicKeyOf(privateKeyFile: string): Promise<string> {
  const { stdout } = await run(['ssh-keygen', '-y', '-f', privateKeyFile]);
  const fields = stdout.trim().split(/\s+/);
  if (fields.length < 2 || !/^ssh-[a-z0-9-]+$/.test(fields[0]!)) throw new Error(`bug: ssh-keygen -y printed no public key for ${privateKeyFile}`);
  return `${fields[0]} ${fields[1]}`;
}

/**
 * A lab key pair kept in the project (so host keys stay pinned across reboots and the person can
 * `ssh -i` into a lab host): made by ssh-keygen inside root's own state folder and created in the
 * project with O_EXCL, or, when the project has one, read without following a link, from a file
 * of a trusted owner that nobody else can read. Returns the private key's text and its public
 * key, and leaves a copy of the private key at `copyTo` (0600, root's) for sshd or ssh to use.
 */
async function labKeyPair(file: string, comment: string, scratch: string, copyTo: string): Promise<{ publicKey: string }> {
  await ensureDir(path.dirname(file), 0o700);
  let text = await readText(file, { maxBytes: KEY_FILE_MAX });
  if (text !== undefined) {
    const st = await fs.lstat(file);
    if ((st.mode & 0o077) !== 0) throw new UnsafePathError(file, `is a private key others can read (mode ${(st.mode & 0o777).toString(8)})`, `chmod 600 ${file}, or remove it and let Overlab make a new one`);
  } else {
    const tmp = await fs.mkdtemp(path.join(scratch, '.keygen-'));
    try {
      await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path.join(tmp, 'key')]);
      text = await fs.readFile(path.join(tmp, 'key'), 'utf8');
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
    if (!(await createFile(file, text, { mode: 0o600 }))) throw new UnsafePathError(file, 'appeared while Overlab was making it', 'run lab up again');
  }
  await writeFile(copyTo, text, { mode: 0o600 });
  const publicKey = await publicKeyOf(copyTo);
  // For the person (ssh -i, ssh-copy-id): the public half beside it, always the derived one.
  await writeFile(`${file}.pub`, `${publicKey} ${comment}\n`, { mode: 0o644 });
  return { publicKey };
}

function sshdConfig(L: LabLayout, h: LabHost): string {
  return [
    '# sshd of an Overlab lab host; started by `overlab lab up`.',
    'Port 22',
    `ListenAddress ${h.mgmtAddress}`,
    `HostKey ${SSHD_DIR_IN_HOST}/ssh_host_ed25519_key`,
    `PidFile ${SSHD_DIR_IN_HOST}/sshd.pid`,
    `AuthorizedKeysFile ${SSHD_DIR_IN_HOST}/authorized_keys`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // Its files sit in the host's own /run (root's, 0755) in a root-only folder: StrictModes holds.
    'StrictModes yes',
    'PrintMotd no',
    'UseDNS no',
    'MaxStartups 100:30:200',
    'MaxSessions 50',
    // SFTP-based uploads (node-ssh putFile) need this line.
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    '',
  ].join('\n');
}

/**
 * The host's mount namespace: overlays on /etc, /var/lib, /var/log; its own /root, /home, /tmp,
 * /var/tmp, /dev/shm and /run (folders in its state, bound over the machine's); the rest of the
 * machine's file system read-only. The paths are Overlab's own (no user text): the id is hex
 * and host names match HOST_NAME_RE.
 */
async function ensureMountNs(L: LabLayout, h: LabHost): Promise<void> {
  const handle = mntHandle(L, h);
  if (await isMountpoint(handle)) return;
  const d = hostDir(L, h);
  for (const sub of ['etc', 'varlib', 'varlog']) {
    await fs.mkdir(path.join(d, `${sub}.upper`), { recursive: true, mode: 0o755 });
    await fs.mkdir(path.join(d, `${sub}.work`), { recursive: true, mode: 0o700 });
  }
  for (const p of PRIVATE_DIRS) {
    await fs.mkdir(path.join(d, p.name), { recursive: true });
    await fs.chmod(path.join(d, p.name), p.mode);
  }
  for (const sub of RUN_SUBDIRS) await fs.mkdir(path.join(d, 'run', sub), { recursive: true, mode: 0o755 });
  await fs.writeFile(handle, '');
  await run(['unshare', `--mount=${handle}`, '--propagation', 'private', 'true']);
  const overlay = (target: string, sub: string): string =>
    `mount -t overlay overlay -o lowerdir=${target},upperdir=${path.join(d, `${sub}.upper`)},workdir=${path.join(d, `${sub}.work`)} ${target}`;
  const script = [
    'set -e',
    overlay('/etc', 'etc'),
    overlay('/var/lib', 'varlib'),
    overlay('/var/log', 'varlog'),
    ...PRIVATE_DIRS.filter((p) => p.at !== '/run').map((p) => `if [ -d ${p.at} ]; then mount --bind ${path.join(d, p.name)} ${p.at}; fi`),
    // The machine's own files read-only: / and whatever else is a mount of a real file system
    // holding programs or data (a bind remount changes this namespace's view only).
    'mount -o remount,bind,ro /',
    // (Found in mountinfo by the shell itself: under emulation every process counts.)
    'while read -r _ _ _ _ mp _; do case "$mp" in /usr|/usr/local|/boot|/opt|/srv) mount -o remount,bind,ro "$mp" ;; esac; done < /proc/self/mountinfo',
    // A clean login: root's shell is /bin/sh with an empty home, so no dotfiles run on each SSH command.
    "sed -i 's#^root:\\([^:]*\\):0:0:\\([^:]*\\):[^:]*:[^:]*$#root:\\1:0:0:\\2:/root:/bin/sh#' /etc/passwd",
    `echo ${h.name} > /etc/hostname`,
    `mount --bind ${path.join(d, 'run')} /run`,
  ].join('\n');
  // A dozen mounts: seconds on a loaded machine, much more in the emulated full-kernel VM.
  await run(['nsenter', `--mount=${handle}`, '--', 'sh', '-c', script], { timeoutMs: 300_000 });
}

/** The pid of a lab host's sshd (the listener), or undefined when it is not running. For tests that make a host stop answering. */
export async function labSshdPid(L: LabLayout, host: string): Promise<number | undefined> {
  try {
    const pid = Number((await fs.readFile(path.join(sshdDir(L, { name: host }), 'sshd.pid'), 'utf8')).trim());
    if (!Number.isInteger(pid) || pid <= 1) return undefined;
    // "sshd (S…": alive. A killed sshd stays a zombie until its parent (init, or whatever this
    // machine's pid 1 is) reaps it, with its name still there: "Z" is not running.
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    const m = /^\d+ \((.*)\) (\S)/.exec(stat);
    return m?.[1] === 'sshd' && m[2] !== 'Z' && m[2] !== 'X' ? pid : undefined;
  } catch {
    return undefined;
  }
}

function waitPort(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const attempt = (): void => {
      const s = net.connect({ host, port });
      // One attempt at a time, for a second at most: a SYN that goes unanswered (a stale
      // neighbour entry) is otherwise retried by the kernel for a minute and more, past the deadline.
      s.setTimeout(1000, () => s.destroy(new Error('no answer within 1 s')));
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) resolve(false);
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function requireRoot(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error('the embedded lab needs root (it creates network namespaces, bridges and mounts); run overlab as root, e.g. with sudo');
  }
}

/** The lab's state folder: a tmpfs of its own in root's checked state root, made private. */
async function ensureState(L: LabLayout): Promise<void> {
  await ensureRootDir(LAB_STATE_ROOT, 0o700);
  if (!(await isMountpoint(L.state))) {
    await ensureRootDir(L.state, 0o700);
    // A tmpfs of its own: persistent mount-namespace handles need a mount that does not
    // propagate, and overlay upper dirs cannot sit on an overlayfs (as / is in the full-kernel
    // VM). A lab does not outlive the machine's uptime anyway.
    await run(['mount', '-t', 'tmpfs', '-o', 'mode=0700,nosuid,nodev', `overlab-lab-${L.id}`, L.state]);
    await run(['mount', '--make-private', L.state]);
  }
  await ensureRootDir(L.state, 0o700);
}

/**
 * The project files `lab up` reads and writes, checked before anything is made on the machine:
 * a planted link, a key of another user's or one others can read stops it here, naming the file.
 */
async function checkProjectFiles(projectDir: string, L: LabLayout): Promise<void> {
  await readText(knownHostsPath(projectDir), { maxBytes: KEY_FILE_MAX });
  await checkWritable(knownHostsPath(projectDir));
  for (const key of [labKeyPath(projectDir), ...L.hosts.map((h) => hostKeyPath(projectDir, h.name))]) {
    if ((await readText(key, { maxBytes: KEY_FILE_MAX })) !== undefined) {
      const st = await fs.lstat(key);
      if ((st.mode & 0o077) !== 0) throw new UnsafePathError(key, `is a private key others can read (mode ${(st.mode & 0o777).toString(8)})`, `chmod 600 ${key}, or remove it and let Overlab make a new one`);
    }
    await checkWritable(`${key}.pub`);
  }
}

/**
 * Brings the lab up; idempotent. Returns what it created. A first `lab up` that fails removes
 * what it made (a lab that was up stays as it was, less what failed).
 */
export async function labUp(projectDir: string, L: LabLayout, onEvent: (e: LabEvent) => void = () => undefined): Promise<{ created: string[]; removed: string[] }> {
  await requireRoot();
  await checkProjectFiles(projectDir, L);
  const wasUp = (await savedLab(projectDir)) !== undefined;
  try {
    return await bringUp(projectDir, L, onEvent);
  } catch (e) {
    if (!wasUp) await labDown(projectDir).catch(() => undefined);
    throw e;
  }
}

/** Hosts the last `lab up` made that are gone from the project, renamed or moved, taken down (their namespace is named after the old name, their veths after the old slot). */
async function removeStaleHosts(projectDir: string, L: LabLayout, onEvent: (e: LabEvent) => void): Promise<string[]> {
  const removed: string[] = [];
  const before = await savedLab(projectDir);
  const stale = (before?.hosts ?? []).filter((old) => !L.hosts.some((h) => h.id === old.id && h.name === old.name && h.slot === old.slot));
  for (const old of stale) {
    onEvent({ step: 'remove', host: old.name });
    // (A lab.json of an older Overlab has no slots: its hosts sat at their index.)
    removed.push(...(await removeHost(L, { ...old, slot: old.slot ?? (old as { index?: number }).index ?? 0 })));
  }
  return removed;
}

/**
 * The keys, from the project's files, before anything is made on the machine (a planted key or
 * link stops the lab up here, with nothing half made): the client's public key, and each host's
 * public host key (its private one copied into the lab's state).
 */
async function labKeys(projectDir: string, L: LabLayout): Promise<{ clientKey: string; hostKeys: Map<string, string> }> {
  const { publicKey: clientKey } = await labKeyPair(labKeyPath(projectDir), `overlab-lab-${L.id}`, L.state, path.join(L.state, 'id_ed25519'));
  // (Read now only to refuse a planted known_hosts before anything is made; pinned at the end.)
  await readText(knownHostsPath(projectDir), { maxBytes: KEY_FILE_MAX });
  const hostKeys = new Map<string, string>();
  for (const h of L.hosts) {
    const copy = path.join(L.state, 'hostkeys', h.name);
    await ensureDir(path.dirname(copy), 0o700);
    hostKeys.set(h.name, (await labKeyPair(hostKeyPath(projectDir, h.name), `${h.name}@overlab-lab`, L.state, copy)).publicKey);
  }
  return { clientKey, hostKeys };
}

/** The management bridge (with the gateway's address) and the WAN namespace with its bridge; the namespaces there were before. */
async function makeBridges(L: LabLayout, created: string[]): Promise<Set<string>> {
  if (!(await linkExists(L.mgmtBridge))) {
    await run(['ip', 'link', 'add', L.mgmtBridge, 'type', 'bridge']);
    created.push(`bridge ${L.mgmtBridge}`);
  }
  await run(['ip', 'addr', 'replace', `${L.mgmtGateway}/${L.mgmtLength}`, 'dev', L.mgmtBridge]);
  await run(['ip', 'link', 'set', L.mgmtBridge, 'up']);
  const namespaces = new Set(await netnsList());
  if (!namespaces.has(L.wanNetns)) {
    await run(['ip', 'netns', 'add', L.wanNetns]);
    created.push(`netns ${L.wanNetns}`);
  }
  if (!(await linkExists('br0', L.wanNetns))) await run(['ip', '-n', L.wanNetns, 'link', 'add', 'br0', 'type', 'bridge']);
  await run(['ip', '-n', L.wanNetns, 'link', 'set', 'br0', 'mtu', String(L.mtu), 'up']);
  return namespaces;
}

/**
 * A host's namespace and links: management veth on the bridge, underlay veth on the WAN
 * bridge, addresses, and its LAN (with a gateway). One `ip -batch` per namespace: a few
 * processes per host rather than twenty (process starts are what a lab up costs, ten times
 * more under emulation).
 */
async function wireHost(L: LabLayout, h: LabHost, namespaces: ReadonlySet<string>, created: string[]): Promise<void> {
  if (!namespaces.has(h.netns)) {
    await run(['ip', 'netns', 'add', h.netns]);
    created.push(`netns ${h.netns}`);
  }
  const have = await linksOf(h.netns);
  const mgmtPeer = vethMgmt(L, h);
  const wanPeer = vethWan(L, h);
  // Leftovers of a host half made (a crash): the root-side ends are removed before being made again.
  const stale = [...(!have.has('mgmt0') ? [`link del ${mgmtPeer}`] : [])];
  if (stale.length) await ipBatch(undefined, stale, true);
  if (!have.has(h.underlayDev)) await ipBatch(L.wanNetns, [`link del ${wanPeer}`], true);
  const root: string[] = [];
  if (!have.has('mgmt0')) {
    // Management: root side on the bridge, host side `mgmt0`.
    root.push(`link add ${mgmtPeer} type veth peer name mgmt0 netns ${h.netns}`);
    created.push(`link ${mgmtPeer}`);
  }
  root.push(`link set ${mgmtPeer} master ${L.mgmtBridge} up`);
  if (!have.has(h.underlayDev)) {
    // Underlay: host side named as the project says (eth0), other side on the WAN bridge.
    root.push(`link add ${wanPeer} netns ${L.wanNetns} mtu ${L.mtu} type veth peer name ${h.underlayDev} netns ${h.netns} mtu ${L.mtu}`);
    created.push(`link ${h.underlayDev}@${h.name}`);
  }
  await ipBatch(undefined, root);
  // A host made again (renamed: a new namespace on its old slot) answers from a new MAC on its
  // old address: forget the old neighbour entry, or this machine keeps sending to the old MAC.
  if (!have.has('mgmt0')) await run(['ip', 'neigh', 'flush', 'to', h.mgmtAddress, 'dev', L.mgmtBridge]).catch(() => undefined);
  await ipBatch(L.wanNetns, [`link set ${wanPeer} master br0 mtu ${L.mtu} up`]);
  await ipBatch(h.netns, [
    'link set lo up',
    `addr replace ${h.mgmtAddress}/${L.mgmtLength} dev mgmt0`,
    'link set mgmt0 up',
    `link set ${h.underlayDev} mtu ${L.mtu} up`,
    // An IPv6 address is "tentative" for a second or two of duplicate address detection, and
    // daemons that bind it meanwhile fail (EADDRNOTAVAIL): the lab picks its addresses itself.
    `addr replace ${h.underlayAddress}/${L.underlayLength} dev ${h.underlayDev}${h.underlayAddress.includes(':') ? ' nodad' : ''}`,
    ...(h.lanGateway ? [...(have.has('lan0') ? [] : ['link add lan0 type veth peer name lan0p']), `addr replace ${h.lanGateway} dev lan0`, 'link set lan0 up', 'link set lan0p up'] : []),
  ]);
}

/**
 * The host's sshd, with a host key kept in the project (so the pin survives a reboot of the
 * machine) and the lab's client key; its files in the host's own /run, in a folder only root
 * can enter. Started unless it runs already.
 */
async function startSshd(L: LabLayout, h: LabHost, clientKey: string, created: string[]): Promise<void> {
  await ensureMountNs(L, h);
  const sd = sshdDir(L, h);
  await fs.mkdir(sd, { recursive: true, mode: 0o700 });
  await fs.chmod(sd, 0o700);
  await writeFile(path.join(sd, 'ssh_host_ed25519_key'), (await fs.readFile(path.join(L.state, 'hostkeys', h.name), 'utf8')), { mode: 0o600 });
  await writeFile(path.join(sd, 'authorized_keys'), `${clientKey} overlab-lab-${L.id}\n`, { mode: 0o600 });
  await writeFile(path.join(sd, 'sshd_config'), sshdConfig(L, h), { mode: 0o600 });
  if ((await labSshdPid(L, h.name)) === undefined) {
    // -E: its log beside its config (a lab host has no syslog), for the error below.
    await run(inHost(L, h, '/usr/sbin/sshd', '-f', `${SSHD_DIR_IN_HOST}/sshd_config`, '-E', `${SSHD_DIR_IN_HOST}/sshd.log`));
    created.push(`sshd ${h.name}`);
  }
}

/** Every host's sshd answers on port 22 within 10 s; else an error with the last lines of each silent one's log. */
async function waitForSshd(L: LabLayout, created: readonly string[]): Promise<void> {
  const down = (await Promise.all(L.hosts.map(async (h) => ((await waitPort(h.mgmtAddress, 22, 10_000)) ? undefined : h.name)))).filter(Boolean);
  if (down.length) {
    const logs = await Promise.all(down.map(async (name) => `${name}${created.includes(`sshd ${name}`) ? ' (started now)' : ` (running as ${await labSshdPid(L, name!)})`}: ${((await fs.readFile(path.join(sshdDir(L, { name: name! }), 'sshd.log'), 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' / ') || 'no log')}`));
    throw new Error(`sshd did not start on lab host(s) ${down.join(', ')} (${logs.join('; ')}); see ${L.state}/<host>/run/overlab-lab/`);
  }
}

/** The lab up, step by step: state, stale hosts removed, keys, bridges, hosts (links, sshd), host keys pinned, sshd answering, lab.json. */
async function bringUp(projectDir: string, L: LabLayout, onEvent: (e: LabEvent) => void): Promise<{ created: string[]; removed: string[] }> {
  const created: string[] = [];
  await ensureState(L);
  const removed = await removeStaleHosts(projectDir, L, onEvent);
  const { clientKey, hostKeys } = await labKeys(projectDir, L);
  onEvent({ step: 'bridges' });
  const namespaces = await makeBridges(L, created);
  // Hosts are independent: set them up several at a time (the kernel serialises what must be).
  const known = await pool(L.hosts, 8, async (h) => {
    onEvent({ step: 'host', host: h.name });
    await wireHost(L, h, namespaces, created);
    await startSshd(L, h, clientKey, created);
    const [, b64] = hostKeys.get(h.name)!.split(' ');
    return { name: h.mgmtAddress, key: Buffer.from(b64 ?? '', 'base64'), host: h.name };
  });
  await pinHostKeys(projectDir, known);
  onEvent({ step: 'wait-sshd' });
  await waitForSshd(L, created);
  await writeFile(path.join(L.state, 'lab.json'), `${JSON.stringify(L, null, 2)}\n`, { mode: 0o600 });
  return { created, removed };
}

/** Stops and removes one host of a lab that is up: its processes, namespace, veths and state. */
async function removeHost(L: LabLayout, h: Pick<LabHost, 'name' | 'slot' | 'netns'>): Promise<string[]> {
  const removed: string[] = [];
  if ((await netnsList()).includes(h.netns)) removed.push(...(await clearNamespace(h.netns)));
  if (await linkExists(vethMgmt(L, h))) {
    await run(['ip', 'link', 'del', vethMgmt(L, h)]).catch(() => undefined);
    removed.push(`link ${vethMgmt(L, h)}`);
  }
  await run(['ip', '-n', L.wanNetns, 'link', 'del', vethWan(L, h)]).catch(() => undefined);
  const d = path.join(L.state, h.name);
  if (await isMountpoint(path.join(d, 'mnt'))) await run(['umount', path.join(d, 'mnt')]);
  await fs.rm(d, { recursive: true, force: true });
  return removed;
}

/** Ends every process in a lab namespace (TERM, then KILL after a second) and deletes it. */
async function clearNamespace(ns: string): Promise<string[]> {
  const out: string[] = [];
  // Every process still in the namespace is the lab's: its sshd, sessions, daemons a bundle left.
  const { stdout } = await run(['ip', 'netns', 'pids', ns]).catch(() => ({ stdout: '' }));
  const pids = stdout.split('\n').map(Number).filter((p) => p > 1 && p !== process.pid);
  const signal = (sig: NodeJS.Signals): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM');
  if (pids.length) {
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 1000;
    while (Date.now() < deadline && pids.some(alive)) await new Promise((r) => setTimeout(r, 20));
    signal('SIGKILL');
    out.push(`${pids.length} process(es) in ${ns}`);
  }
  await run(['ip', 'netns', 'del', ns]);
  out.push(`netns ${ns}`);
  return out;
}

/**
 * Pins the lab hosts' keys in the project's known_hosts, replacing older lines for the same
 * addresses: the lab made these keys itself, so the lab never trusts on first use. Under the
 * known_hosts lock, so that a deploy accepting a key at the same moment keeps its line; read and
 * written without following a link (a known_hosts planted as a link to a root-only file must not
 * have that file copied into the project).
 */
async function pinHostKeys(projectDir: string, entries: readonly { name: string; key: Buffer; host: string }[]): Promise<void> {
  await KnownHosts.pinOwn(knownHostsPath(projectDir), entries);
}

/** Unmounts what is mounted at or below `state` (deepest first) and removes it. */
async function clearState(state: string): Promise<boolean> {
  if (!(await exists(state))) return false;
  const info = await fs.readFile('/proc/self/mountinfo', 'utf8');
  const below = info
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && (m === state || m.startsWith(`${state}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of below) await run(['umount', m]).catch(() => undefined);
  await fs.rm(state, { recursive: true, force: true });
  return true;
}

/** Removes every namespace, link, process, mount and file of this project's lab, found by name. */
export async function labDown(projectDir: string): Promise<{ removed: string[] }> {
  await requireRoot();
  const id = labId(projectDir);
  const removed: string[] = [];
  const prefix = `olab-${id}-`;
  // Namespaces are independent: clear them in parallel.
  const found = (await netnsList()).filter((n) => n.startsWith(prefix));
  const perNs = await Promise.all(found.map(clearNamespace));
  removed.push(...perNs.flat());
  // Root-side veths die with their peers; the management bridge does not.
  const { stdout } = await run(['ip', '-o', 'link', 'show']);
  for (const line of stdout.split('\n')) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
    if (name && (name === `olb${id}` || name.startsWith(`olm${id}`) || name.startsWith(`olw${id}`))) {
      await run(['ip', 'link', 'del', name]).catch(() => undefined);
      removed.push(`link ${name}`);
    }
  }
  // State is cleared only under a state root that root made (checked, as lab up does); a lab
  // left by an earlier Overlab under /var/tmp only when that folder passes the same check,
  // since anyone could have made it first.
  if (await exists(LAB_STATE_ROOT)) {
    await ensureRootDir(LAB_STATE_ROOT, 0o700);
    if (await clearState(path.join(LAB_STATE_ROOT, id))) removed.push(`state ${path.join(LAB_STATE_ROOT, id)}`);
  }
  if (await isRootOnlyDir(LEGACY_STATE_ROOT)) {
    if (await clearState(path.join(LEGACY_STATE_ROOT, id))) removed.push(`state ${path.join(LEGACY_STATE_ROOT, id)}`);
  }
  return { removed };
}

/** Whether `dir` is a real folder of root's, mode 0700 (false when absent or anything else). */
async function isRootOnlyDir(dir: string): Promise<boolean> {
  const st = await fs.lstat(dir).catch(() => undefined);
  return !!st && st.isDirectory() && st.uid === 0 && (st.mode & 0o7777) === 0o700;
}

/** argv that runs a command inside a lab host (its network and mount namespaces), for `lab exec` and tests. */
export function labExecArgv(L: LabLayout, host: string, argv: readonly string[]): string[] {
  const h = L.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`"${host}" is not a lab host of this project; lab hosts: ${L.hosts.map((x) => x.name).join(', ')}`);
  return inHost(L, h, ...argv);
}
