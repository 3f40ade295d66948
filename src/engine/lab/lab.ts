/**
 * The embedded lab: every lab host of a project becomes a network namespace with its own
 * mount namespace and its own OpenSSH server, wired to
 *  - a management bridge in the root namespace (Overlab reaches the host's sshd here),
 *  - a shared WAN bridge (the underlay), in a namespace of its own, at the project's MTU,
 *  - its own LAN (`lan0`, a veth pair inside the host).
 * Each host sees a private /etc, /var/lib, /var/log (overlays: reads fall through to the
 * machine's files, writes stay with the host), a private /run and an empty /root, so two
 * lab hosts never share a config, pid file or socket, and bundles land where daemons look.
 * Names carry a short id derived from the project folder, so `lab down` finds leftovers
 * of a crashed run by name alone.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { formatAddress, parsePrefix, prefixesOverlap, subnetAt, type Prefix } from '../../shared/net.js';
import type { Plan } from '../../shared/plan.js';
import type { Topology } from '../../shared/schema.js';
import { run, succeeds } from '../exec.js';
import { pool } from '../pool.js';
import { SECRETS_DIR } from '../store/project.js';
import { writeFileAtomic } from '../store/atomic.js';

/** Lab state on the machine (pid files, overlay upper dirs, mount-namespace handles). Not under /run: hosts get a private /run. */
export const LAB_STATE_ROOT = '/var/tmp/overlab-lab';

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
  try {
    const saved = JSON.parse(await fs.readFile(path.join(LAB_STATE_ROOT, labId(projectDir), 'lab.json'), 'utf8')) as Partial<LabLayout>;
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

const hostDir = (L: LabLayout, h: LabHost): string => path.join(L.state, h.name);
const mntHandle = (L: LabLayout, h: LabHost): string => path.join(hostDir(L, h), 'mnt');
const vethMgmt = (L: { id: string }, h: { slot: number }): string => `olm${L.id}${h.slot}`;
const vethWan = (L: { id: string }, h: { slot: number }): string => `olw${L.id}${h.slot}`;

export const labKeyPath = (projectDir: string): string => path.join(projectDir, SECRETS_DIR, 'lab', 'id_ed25519');
export const knownHostsPath = (projectDir: string): string => path.join(projectDir, '.overlab', 'known_hosts');

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(() => true, () => false);
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

/** ssh-keygen key pair at `file`, made once. */
async function ensureKey(file: string, comment: string): Promise<void> {
  if (await exists(file)) return;
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
}

function sshdConfig(L: LabLayout, h: LabHost): string {
  const d = hostDir(L, h);
  return [
    '# sshd of an Overlab lab host; started by `overlab lab up`.',
    'Port 22',
    `ListenAddress ${h.mgmtAddress}`,
    `HostKey ${path.join(d, 'ssh_host_ed25519_key')}`,
    `PidFile ${path.join(d, 'sshd.pid')}`,
    `AuthorizedKeysFile ${path.join(L.state, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // Lab files sit under /var/tmp, which is world-writable; they are root-owned 0600 themselves.
    'StrictModes no',
    'PrintMotd no',
    'UseDNS no',
    'MaxStartups 100:30:200',
    'MaxSessions 50',
    // SFTP-based uploads (node-ssh putFile) need this line.
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    '',
  ].join('\n');
}

async function ensureMountNs(L: LabLayout, h: LabHost): Promise<void> {
  const handle = mntHandle(L, h);
  if (await isMountpoint(handle)) return;
  const d = hostDir(L, h);
  for (const sub of ['etc', 'varlib', 'varlog']) {
    await fs.mkdir(path.join(d, `${sub}.upper`), { recursive: true });
    await fs.mkdir(path.join(d, `${sub}.work`), { recursive: true });
  }
  await fs.writeFile(handle, '');
  await run(['unshare', `--mount=${handle}`, '--propagation', 'private', 'true']);
  const overlay = (target: string, sub: string): string =>
    `mount -t overlay overlay -o lowerdir=${target},upperdir=${path.join(d, `${sub}.upper`)},workdir=${path.join(d, `${sub}.work`)} ${target}`;
  // Paths here are Overlab's own (no user text): the id is hex and host names match HOST_NAME_RE.
  const script = [
    'set -e',
    overlay('/etc', 'etc'),
    overlay('/var/lib', 'varlib'),
    overlay('/var/log', 'varlog'),
    'mount -t tmpfs -o mode=0755 tmpfs /run',
    'mkdir -p /run/sshd /run/lock /run/user',
    'mount -t tmpfs -o mode=0700 tmpfs /root',
    // A clean login: root's shell is /bin/sh with an empty home, so no dotfiles run on each SSH command.
    "sed -i 's#^root:\\([^:]*\\):0:0:\\([^:]*\\):[^:]*:[^:]*$#root:\\1:0:0:\\2:/root:/bin/sh#' /etc/passwd",
    `echo ${h.name} > /etc/hostname`,
  ].join('\n');
  await run(['nsenter', `--mount=${handle}`, '--', 'sh', '-c', script]);
}

async function sshdRunning(L: LabLayout, h: LabHost): Promise<boolean> {
  const pidFile = path.join(hostDir(L, h), 'sshd.pid');
  try {
    const pid = Number((await fs.readFile(pidFile, 'utf8')).trim());
    return (await fs.readFile(`/proc/${pid}/comm`, 'utf8')).trim() === 'sshd';
  } catch {
    return false;
  }
}

/** The pid of a lab host's sshd (the listener), from its pid file; undefined when there is none. For tests that make a host stop answering. */
export async function labSshdPid(L: LabLayout, host: string): Promise<number | undefined> {
  const h = L.hosts.find((x) => x.name === host);
  const pid = h ? Number((await fs.readFile(path.join(hostDir(L, h), 'sshd.pid'), 'utf8').catch(() => '')).trim()) : 0;
  return pid > 0 ? pid : undefined;
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

/** Brings the lab up; idempotent. Returns what it created. */
export async function labUp(projectDir: string, L: LabLayout, onEvent: (e: LabEvent) => void = () => undefined): Promise<{ created: string[]; removed: string[] }> {
  await requireRoot();
  const created: string[] = [];
  const removed: string[] = [];
  await fs.mkdir(L.state, { recursive: true, mode: 0o700 });
  // The state lives on a tmpfs of its own: persistent mount-namespace handles need a mount
  // that does not propagate, and overlay upper dirs cannot sit on an overlayfs (as / is in the
  // full-kernel VM). A lab does not outlive the machine's uptime anyway.
  if (!(await isMountpoint(L.state))) {
    await run(['mount', '-t', 'tmpfs', '-o', 'mode=0700', `overlab-lab-${L.id}`, L.state]);
    await run(['mount', '--make-private', L.state]);
  }
  // Hosts the last `lab up` made that are gone from the project, renamed or moved: take them
  // down first (their namespace is named after the old name, their veths after the old slot).
  const before = await savedLab(projectDir);
  const stale = (before?.hosts ?? []).filter((old) => !L.hosts.some((h) => h.id === old.id && h.name === old.name && h.slot === old.slot));
  for (const old of stale) {
    onEvent({ step: 'remove', host: old.name });
    // (A lab.json of an older Overlab has no slots: its hosts sat at their index.)
    removed.push(...(await removeHost(L, { ...old, slot: old.slot ?? (old as { index?: number }).index ?? 0 })));
  }
  const key = labKeyPath(projectDir);
  await ensureKey(key, `overlab-lab-${L.id}`);
  await writeFileAtomic(path.join(L.state, 'authorized_keys'), await fs.readFile(`${key}.pub`, 'utf8'), 0o600);

  onEvent({ step: 'bridges' });
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

  // Hosts are independent: set them up several at a time (the kernel serialises what must be).
  const known = await pool(L.hosts, 8, async (h) => {
    onEvent({ step: 'host', host: h.name });
    if (!namespaces.has(h.netns)) {
      await run(['ip', 'netns', 'add', h.netns]);
      created.push(`netns ${h.netns}`);
    }
    // The host's links are set up with one `ip -batch` per namespace (a few processes per host
    // rather than twenty: process starts are what a lab up costs, ten times more under emulation).
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
      `addr replace ${h.underlayAddress}/${L.underlayLength} dev ${h.underlayDev}`,
      ...(h.lanGateway ? [...(have.has('lan0') ? [] : ['link add lan0 type veth peer name lan0p']), `addr replace ${h.lanGateway} dev lan0`, 'link set lan0 up', 'link set lan0p up'] : []),
    ]);
    await ensureMountNs(L, h);
    // sshd with a host key kept in the project, so the pin survives a reboot of the machine.
    const d = hostDir(L, h);
    const hostKey = path.join(projectDir, SECRETS_DIR, 'lab', 'hostkeys', h.name);
    await ensureKey(hostKey, `${h.name}@overlab-lab`);
    await fs.copyFile(hostKey, path.join(d, 'ssh_host_ed25519_key'));
    await fs.chmod(path.join(d, 'ssh_host_ed25519_key'), 0o600);
    await writeFileAtomic(path.join(d, 'sshd_config'), sshdConfig(L, h), 0o600);
    if (!(await sshdRunning(L, h))) {
      await run(inHost(L, h, '/usr/sbin/sshd', '-f', path.join(d, 'sshd_config')));
      created.push(`sshd ${h.name}`);
    }
    const pub = (await fs.readFile(`${hostKey}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
    return `${h.mgmtAddress} ${pub}`;
  });
  await pinHostKeys(projectDir, known);
  onEvent({ step: 'wait-sshd' });
  const down = (await Promise.all(L.hosts.map(async (h) => ((await waitPort(h.mgmtAddress, 22, 10_000)) ? undefined : h.name)))).filter(Boolean);
  if (down.length) throw new Error(`sshd did not start on lab host(s) ${down.join(', ')}; see ${L.state}/<host>/`);
  await writeFileAtomic(path.join(L.state, 'lab.json'), `${JSON.stringify(L, null, 2)}\n`, 0o600);
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

/** Pins the lab hosts' keys in the project's known_hosts, replacing older lines for the same addresses. */
async function pinHostKeys(projectDir: string, lines: readonly string[]): Promise<void> {
  const file = knownHostsPath(projectDir);
  const addrs = new Set(lines.map((l) => l.split(' ')[0]));
  const old = (await fs.readFile(file, 'utf8').catch(() => '')).split('\n').filter((l) => l && !addrs.has(l.split(' ')[0]));
  await writeFileAtomic(file, `${[...old, ...lines].join('\n')}\n`, 0o644);
}

/** Removes every namespace, link, process, mount and file of this project's lab, found by name. */
export async function labDown(projectDir: string): Promise<{ removed: string[] }> {
  await requireRoot();
  const id = labId(projectDir);
  const state = path.join(LAB_STATE_ROOT, id);
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
  if (await exists(state)) {
    for (const entry of await fs.readdir(state)) {
      const handle = path.join(state, entry, 'mnt');
      if (await isMountpoint(handle)) await run(['umount', handle]);
    }
    if (await isMountpoint(state)) await run(['umount', state]);
    await fs.rm(state, { recursive: true, force: true });
    removed.push(`state ${state}`);
  }
  return { removed };
}

/** argv that runs a command inside a lab host (its network and mount namespaces), for `lab exec` and tests. */
export function labExecArgv(L: LabLayout, host: string, argv: readonly string[]): string[] {
  const h = L.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`"${host}" is not a lab host of this project; lab hosts: ${L.hosts.map((x) => x.name).join(', ')}`);
  return inHost(L, h, ...argv);
}
