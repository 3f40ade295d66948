/**
 * Proves tunnel kinds end to end on the embedded lab of the running kernel, through the engine
 * (the same operations the CLI, `overlab serve` and the desktop app call), one Node process for
 * every case — under the full-kernel VM's CPU emulation a Node start costs 3–5 s, and the shell
 * version of this script started Node 13 times per case.
 *
 * Cases of the same shape, host count and underlay MTU share one lab, brought up once: each case
 * puts its kind on every link of the same hosts, and must leave the hosts exactly as the lab
 * was before the first case (a case that fails gets the group a fresh lab for the next one).
 *
 * Per case: its kind on the group's project → deploy over SSH (twice: the second must
 * change nothing, by the engine's report and by the hosts' state) → per link: a don't-fragment
 * ping that fills the planned MTU crosses, one byte more does not, and the sender fragmented
 * nothing (so the outer packets really fit the underlay); a TCP transfer (iperf3) → LAN to LAN
 * (spoke to spoke through the hub in a hub-spoke) where the plan routes LANs → teardown, and
 * every host is as it was before (links, addresses, routes, xfrm, nftables/iptables, FOU,
 * processes, files under /run and written under /etc, /var/lib, /var/log) → the rendered
 * down.sh succeeds on a host with nothing deployed.
 *
 * With --campaign K1,K2, a short measurement campaign of those kinds (site-to-site, MTU 1500,
 * the lean suite of tests/lab/lean-suite.ts) runs after the cases, in the same process: under
 * the full-kernel VM its figures prove the measurement path works there (not performance).
 *
 * With --conditions K1,K2, issue 21's link-conditions proof (tests/conditions/proof.ts: 20 ms each
 * way, 1 % loss, 50 Mbit/s on a deployed site-to-site of each kind; RTT, loss, rate, TCP, teardown)
 * runs last, alone (its RTT figures would suffer from the other cases' load), with the kernel's
 * conditions capability line: it needs netem, so the full-kernel VM.
 *
 * Usage: node scripts/run-ts.mjs tests/tunnels/prove.ts [--jobs N] [--keep] [--times] [--campaign K1,K2] [--conditions K1,K2] CASE...
 *   CASE = KIND[:template:hosts:mtu[:option=value[,option=value]]], e.g. gre, wireguard:hub-spoke:4:1500:implementation=go
 *   The option `underlay=6` is the case's, not the kind's: the group's project gets an IPv6
 *   underlay (the lab's own ULA range, templates.ts LAB_IPV6_UNDERLAY) under the same IPv4 LANs
 *   and tunnel addresses, e.g. vxlan:hub-spoke:3:1500:underlay=6 (`underlay=4` is the default).
 *   Over IPv6 the outer packets' fragmentation shows in /proc/net/snmp6 (Ip6FragCreates): the
 *   "sender fragmented nothing" check reads both that and /proc/net/snmp (FragCreates).
 * Prints `ok   …` / `FAIL …` per check, one line per case (`ok   CASE (N s; P passed, F failed)`),
 * and `N passed, M failed` (cases) last; exits non-zero on any failure. Needs root.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine, type Handlers } from '../../src/engine/engine.js';
import { labExecArgv, loadLab, type LabLayout } from '../../src/engine/lab/lab.js';
import type { Plan } from '../../src/shared/plan.js';
import type { Shape, Topology } from '../../src/shared/schema.js';
import { LAB_IPV6_UNDERLAY } from '../../src/shared/templates.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';
import { proveCapability, proveConditions } from '../conditions/proof.js';
import { LEAN_SUITE } from '../lab/lean-suite.js';

interface Case {
  readonly spec: string;
  readonly kind: string;
  readonly template: Shape;
  readonly hosts: number;
  readonly mtu: number;
  /** The underlay's address family (the case option `underlay=4|6`, not passed to the kind). */
  readonly family: 4 | 6;
  readonly options: Record<string, string | number | boolean>;
}

export function parseCase(spec: string): Case {
  const [kind, template = 'site-to-site', hosts = '2', mtu = '1500', opts = ''] = spec.split(':');
  if (!kind) throw new Error(`bad case "${spec}": KIND[:template:hosts:mtu[:option=value,...]]`);
  const options: Record<string, string | number | boolean> = {};
  for (const kv of opts.split(',').filter(Boolean)) {
    const [k, v = ''] = kv.split('=');
    options[k!] = v === 'true' ? true : v === 'false' ? false : /^[0-9]+$/.test(v) ? Number(v) : v;
  }
  const { underlay = 4, ...kindOptions } = options;
  if (underlay !== 4 && underlay !== 6) throw new Error(`bad case "${spec}": underlay=${String(underlay)}; write underlay=4 or underlay=6`);
  return { spec, kind, template: template as Shape, hosts: Number(hosts), mtu: Number(mtu), family: underlay, options: kindOptions };
}

interface Out {
  /** Seconds per step, for --times. */
  readonly steps: [string, number][];
  step(name: string): void;
  ok(what: string): void;
  bad(what: string, detail?: string): void;
  readonly lines: string[];
  passed: number;
  failed: number;
}

function output(): Out {
  let t = Date.now();
  const o: Out = {
    steps: [],
    step: (name) => {
      const now = Date.now();
      o.steps.push([name, (now - t) / 1000]);
      t = now;
    },
    lines: [],
    passed: 0,
    failed: 0,
    ok: (what) => {
      o.passed++;
      o.lines.push(`ok   ${what}`);
    },
    bad: (what, detail) => {
      o.failed++;
      o.lines.push(`FAIL ${what}`);
      if (detail) for (const l of detail.trim().split('\n').slice(0, 40)) o.lines.push(`  ${l}`);
    },
  };
  return o;
}

/** Runs argv; never throws: the exit code says how it went. */
function sh(argv: readonly string[], timeoutMs = 60_000, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Fallback devices that loading a tunnel module creates in every namespace: the kernel's, not residue. */
const FALLBACK = /^(gre0|gretap0|erspan0|tunl0|ip_vti0|ip6_vti0|ip6tnl0|ip6gre0|sit0)(@|$)/;

/**
 * What a host looks like, for before/after comparisons. One shell inside the host (a fork costs
 * ~80 ms under emulation, so the state is read with few processes and normalised here).
 */
async function snapshot(L: LabLayout, host: string): Promise<string> {
  const script = [
    // One `ip` for links, addresses and routes (batch mode stops after an `xfrm` or a failing
    // `fou` command, so those run on their own).
    "printf 'link show\\naddr show\\nroute show table all\\n' | ip -br -o -batch - 2>/dev/null",
    'ip -o xfrm state 2>/dev/null; ip -o xfrm policy 2>/dev/null; ip fou show 2>/dev/null',
    'echo @@nft; nft list ruleset 2>/dev/null',
    'echo @@ipt; iptables-save 2>/dev/null',
    'echo @@run; find /run -mindepth 1 2>/dev/null',
  ].join('\n');
  const r = await sh(labExecArgv(L, host, ['sh', '-c', script]));
  // Sections start at their marker lines (a tool that prints nothing leaves its section empty).
  const sections: Record<string, string[]> = { ip: [] };
  let cur = sections.ip!;
  for (const line of r.stdout.split('\n')) {
    const m = /^@@(nft|ipt|run)$/.exec(line);
    if (m) sections[m[1]!] = cur = [];
    else cur.push(line);
  }
  const ipPart = sections.ip!.join('\n');
  const nft = (sections.nft ?? []).join('\n');
  const ipt = (sections.ipt ?? []).join('\n');
  const run = (sections.run ?? []).join('\n');
  const ipLines = ipPart
    .split('\n')
    .filter((l) => l && !FALLBACK.test(l.split(/\s/)[0]!) && !/fe80::/.test(l))
    .map((l) =>
      // SAs and policies by identity (addresses, SPI, mode): counters and replay state move with traffic.
      /^src /.test(l) ? l.split('\\').map((s) => s.trim()).filter((s) => /^(src|proto|dir|tmpl|mark|if_id) /.test(s) || /^src /.test(s)).join(' |') : l.replace(/\s+/g, ' '),
    )
    .sort();
  const iptLines = ipt
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.replace(/\[[0-9]+:[0-9]+\]/, ''));
  const runLines = run
    .split('\n')
    .filter((l) => l && !l.startsWith('/run/sshd'))
    .sort();
  // The processes in the host's network namespace (but its sshd), read without a fork each.
  const pids = (await sh(['ip', 'netns', 'pids', L.hosts.find((h) => h.name === host)!.netns])).stdout.split('\n').filter(Boolean);
  const procs: string[] = [];
  for (const p of pids) {
    const comm = (await fs.readFile(`/proc/${p}/comm`, 'utf8').catch(() => '')).trim();
    if (comm && comm !== 'sshd') procs.push(`process ${comm}`);
  }
  // Files and whiteouts the host wrote (the overlay keeps an empty copy of a machine directory
  // that something wrote into), and directories the machine does not have: the host's own making.
  const state = path.join(L.state, host);
  const written: string[] = [];
  for (const [upper, lower] of [['etc.upper', '/etc'], ['varlib.upper', '/var/lib'], ['varlog.upper', '/var/log']] as const) {
    const walk = async (dir: string, rel: string): Promise<void> => {
      for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const r = `${rel}/${e.name}`;
        if (e.isDirectory()) {
          if (!(await fs.stat(`${lower}${r}`).then(() => true, () => false))) written.push(`new directory ${lower}${r}`);
          await walk(path.join(dir, e.name), r);
        } else written.push(`${upper}${r}`);
      }
    };
    await walk(path.join(state, upper), '');
  }
  return [...ipLines, '--', nft, '--', ...iptLines, '--', ...runLines, '--', ...procs.sort(), '--', ...written.sort(), ''].join('\n');
}

function diff(a: string, b: string): string {
  const A = a.split('\n');
  const B = b.split('\n');
  const setA = new Set(A);
  const setB = new Set(B);
  return [...A.filter((l) => !setB.has(l)).map((l) => `- ${l}`), ...B.filter((l) => !setA.has(l)).map((l) => `+ ${l}`)].join('\n') || '(same lines, other order)';
}

/**
 * Fragments the host created, IPv4 (/proc/net/snmp `Ip: … FragCreates`) plus IPv6
 * (/proc/net/snmp6 `Ip6FragCreates`): an outer IPv6 packet too large for the underlay shows in
 * the second only. One process reads both.
 */
const fragCreates = async (L: LabLayout, host: string): Promise<number> => {
  const lines = (await sh(labExecArgv(L, host, ['cat', '/proc/net/snmp', '/proc/net/snmp6']))).stdout.split('\n');
  const snmp = lines.filter((l) => l.startsWith('Ip:'));
  const i = snmp[0]?.split(/\s+/).indexOf('FragCreates') ?? -1;
  const v4 = Number(snmp[1]?.split(/\s+/)[i] ?? NaN);
  const v6 = Number(lines.find((l) => l.startsWith('Ip6FragCreates'))?.split(/\s+/)[1] ?? NaN);
  return v4 + v6;
};

/** Cases that can share one lab: the same shape, host count, underlay MTU and underlay family. */
const groupKey = (c: Case): string => `${c.template}:${c.hosts}:${c.mtu}:${c.family}`;

/** A lab for a group of cases: the hosts, their SSH daemons and their first state, made once. */
interface GroupLab {
  readonly dir: string;
  readonly engine: Handlers;
  readonly base: Topology;
  L: LabLayout;
  before: Map<string, string>;
}

const fail = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const snapshotAll = async (L: LabLayout, hosts: readonly string[]): Promise<Map<string, string>> => new Map(await Promise.all(hosts.map(async (h) => [h, await snapshot(L, h)] as const)));

/**
 * Brings up the group's lab from its first case: the template, a management /24 of its own (so
 * that groups run side by side never pick the same one), and each host's state before any kind
 * is deployed — what every case's teardown must return to.
 */
async function groupLab(c: Case, slot: number, o: Out): Promise<GroupLab | undefined> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'olprove.'));
  const engine: Handlers = createEngine({ registry: defaultRegistry });
  try {
    const made = (await engine['project.create']({ dir, template: c.template, hosts: c.hosts, kind: c.kind, underlayMtu: c.mtu, ...(c.family === 6 ? { underlaySubnet: LAB_IPV6_UNDERLAY } : {}) })).topology!;
    const base: Topology = { ...made, name: `proof ${c.template} ${c.hosts} MTU ${c.mtu} IPv${c.family}`, lab: { management: `198.18.${240 + (slot % 16)}.0/24` } };
    await engine['project.save']({ dir, topology: base });
    await engine['lab.up']({ dir });
    const plan = (await engine['plan.compute']({ dir })).plan!;
    const L = (await loadLab(dir, base, plan))!;
    const before = await snapshotAll(L, plan.hosts.map((h) => h.name));
    return { dir, engine, base, L, before };
  } catch (e) {
    o.bad(`lab up for ${c.template} ${c.hosts} hosts (IPv${c.family} underlay)`, fail(e));
    await engine['lab.down']({ dir }).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
    return undefined;
  }
}

/** One case on its group's lab: the kind on every link, then the proofs; the lab is left as it was found. */
async function proveCase(c: Case, g: GroupLab, index: number): Promise<Out> {
  const o = output();
  const { dir, engine, L, before } = g;
  const inHost = (host: string, argv: string[], timeoutMs?: number) => sh(labExecArgv(L, host, argv), timeoutMs);
  const check = async (what: string, host: string, argv: string[]): Promise<boolean> => {
    const r = await inHost(host, argv);
    if (r.code === 0) o.ok(what);
    else o.bad(what, r.stderr || r.stdout);
    return r.code === 0;
  };
  try {
    const t: Topology = { ...g.base, links: g.base.links.map((l) => ({ ...l, kind: c.kind, options: { ...c.options } })) };
    const saved = await engine['project.save']({ dir, topology: t });
    if (!saved.topology) {
      o.bad(`a ${c.template} project of ${c.kind} with the case's options`, saved.diagnostics.map((d) => `${d.path}: ${d.message}`).join('\n'));
      return o;
    }
    const planned = await engine['plan.compute']({ dir });
    if (!planned.plan) {
      o.bad('plan', planned.diagnostics.map((d) => `${d.path}: ${d.message}`).join('\n'));
      return o;
    }
    const plan: Plan = planned.plan;
    const out = path.join(dir, 'out', String(index));
    try {
      await engine['render.bundles']({ dir, out });
    } catch (e) {
      o.bad('render', fail(e));
      return o;
    }
    o.step('plan, render');
    const hosts = plan.hosts.map((h) => h.name);


    const first = await engine['deploy.apply']({ dir });
    o.step(`deploy 1 (${first.hosts.map((h) => `${h.host}: ${Object.entries(h.timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`).join(' ')}`).join('; ')})`);
    if (first.ok) o.ok(`deploy to ${hosts.length} hosts over SSH`);
    else o.bad(`deploy to ${hosts.length} hosts over SSH`, first.hosts.filter((h) => h.status === 'failed').map((h) => `${h.host}: ${h.failedStep}: ${h.error}`).join('\n'));
    const up1 = await snapshotAll(L, hosts);
    o.step('snapshot up');
    const second = await engine['deploy.apply']({ dir });
    o.step('deploy 2');
    if (second.ok) o.ok('deploy again');
    else o.bad('deploy again', second.hosts.filter((h) => h.status === 'failed').map((h) => `${h.host}: ${h.failedStep}: ${h.error}`).join('\n'));
    if (second.hosts.every((h) => h.status === 'unchanged')) o.ok('the second deploy reports every host unchanged');
    else o.bad('the second deploy reports every host unchanged', second.hosts.map((h) => `${h.host}: ${h.status}`).join('\n'));
    const again = await snapshotAll(L, hosts);
    for (const h of hosts) {
      if (again.get(h) === up1.get(h)) o.ok(`${h}: second deploy changed nothing`);
      else o.bad(`${h}: second deploy changed something:`, diff(up1.get(h)!, again.get(h)!));
    }

    o.step('snapshot again');
    for (const l of plan.links) {
      const ba = l.addresses.b.split('/')[0]!;
      const id = l.label;
      // Warm-up: ARP, IKE, daemons' handshakes; up to 30 s.
      let warm = false;
      for (let i = 0; i < 30 && !warm; i++) warm = (await inHost(l.a, ['ping', '-c', '1', '-W', '1', ba])).code === 0;
      if (!warm) {
        o.bad(`${id}: ${l.a} reaches ${ba}`);
        continue;
      }
      o.ok(`${id}: ${l.a} reaches ${ba}`);
      // ICMP echo payload that fills the MTU: IP header + 8 (20 + 8 over IPv4, 40 + 8 over IPv6:
      // kinds addressed on the underlay, such as clean, ping the peer's IPv6 underlay address).
      const fill = l.mtu - (ba.includes(':') ? 48 : 28);
      // Path MTU settles after the first large packets on some stacks (outer UDP without DF).
      await inHost(l.a, ['ping', '-c', '3', '-i', '0.2', '-W', '1', '-s', String(fill), ba]);
      const f0 = await fragCreates(L, l.a);
      await check(`${id}: DF ping of ${fill} bytes (fills MTU ${l.mtu}) crosses`, l.a, ['ping', '-c', '3', '-i', '0.2', '-W', '2', '-M', 'do', '-s', String(fill), ba]);
      const f1 = await fragCreates(L, l.a);
      if (f0 === f1) o.ok(`${id}: the sender fragmented nothing`);
      else o.bad(`${id}: the sender fragmented ${f1 - f0} packets: the outer packets do not fit the underlay`);
      if ((await inHost(l.a, ['ping', '-c', '1', '-W', '2', '-M', 'do', '-s', String(fill + 1), ba])).code === 0) o.bad(`${id}: DF ping one byte over MTU ${l.mtu} crossed`);
      else o.ok(`${id}: DF ping one byte over MTU ${l.mtu} does not cross`);
      await inHost(l.b, ['iperf3', '-s', '-1', '-B', ba, '-D', '--pidfile', '/run/olprove-iperf.pid']);
      await new Promise((r) => setTimeout(r, 300));
      await check(`${id}: TCP transfer ${l.a} → ${l.b} (iperf3, 1 s)`, l.a, ['iperf3', '-c', ba, '-t', '1', '-J']);
      await inHost(l.b, ['sh', '-c', 'p=$(cat /run/olprove-iperf.pid 2>/dev/null) && kill "$p" 2>/dev/null; rm -f /run/olprove-iperf.pid']);
    }

    // LAN to LAN across the overlay: from the first host with a LAN to each other one, and the
    // last to the second (spoke to spoke, through the hub in a hub-spoke), where the plan routes
    // it (kinds that join the hosts only, like ipsec-transport, route no LAN: nothing to prove).
    const gw = (lan: string): string => {
      const q = lan.split('/')[0]!.split('.').map(Number);
      q[3]! += 1;
      return q.join('.');
    };
    const withLan = plan.hosts.filter((h) => h.lan);
    const routes = plan.networks.flatMap((n) => n.routes);
    const pairs = withLan.slice(1).map((h) => [withLan[0]!, h] as const);
    if (withLan.length >= 3) pairs.push([withLan[withLan.length - 1]!, withLan[1]!]);
    for (const [a, b] of pairs) {
      if (!routes.some((r) => r.host === a.name && r.dst === b.lan)) {
        o.lines.push(`--   LAN ${a.name} → LAN ${b.name}: not routed by the plan (the kind joins the hosts only)`);
        continue;
      }
      await check(`LAN ${a.name} (${gw(a.lan!)}) → LAN ${b.name} (${gw(b.lan!)})`, a.name, ['ping', '-c', '2', '-i', '0.2', '-W', '2', '-I', gw(a.lan!), gw(b.lan!)]);
    }

    o.step('links: pings, MTU, iperf3');
    const down = await engine['deploy.teardown']({ dir });
    o.step('LAN pings, teardown');
    if (down.ok) o.ok('teardown');
    else o.bad('teardown', down.hosts.filter((h) => h.status === 'failed').map((h) => `${h.host}: ${h.error}`).join('\n'));
    const after = await snapshotAll(L, hosts);
    for (const h of hosts) {
      if (after.get(h) === before.get(h)) o.ok(`${h}: teardown left nothing behind`);
      else o.bad(`${h}: teardown left residue:`, diff(before.get(h)!, after.get(h)!));
    }
    o.step('snapshot after');
    // On the script's stdin: a lab host has its own /tmp, where the rendered folder is not.
    const downSh = await fs.readFile(path.join(out, hosts[0]!, 'down.sh'), 'utf8');
    const downAgain = await sh(labExecArgv(L, hosts[0]!, ['sh', '-s']), 60_000, downSh);
    if (downAgain.code === 0) o.ok('down.sh of the rendered bundle succeeds when nothing is there');
    else o.bad('down.sh of the rendered bundle succeeds when nothing is there', downAgain.stderr || downAgain.stdout);
    return o;
  } catch (e) {
    o.bad('the case ran to its end', e instanceof Error ? (e.stack ?? e.message) : String(e));
    return o;
  }
}

/**
 * A short campaign of `kinds` at MTU 1500 on a site-to-site (a lean suite): every cell deployed,
 * measured and torn down, with figures in each cell's run (RTT samples, TCP throughput).
 */
async function proveCampaign(kinds: readonly string[]): Promise<Out> {
  const o = output();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'olcampaign.'));
  const engine = createEngine({ registry: defaultRegistry });
  try {
    const t = (await engine['project.create']({ dir, template: 'site-to-site', hosts: 2, kind: 'clean' })).topology!;
    // The lean suite: under emulation every test costs seconds.
    await engine['project.save']({ dir, topology: { ...t, lab: { management: '198.18.239.0/24' }, measurement: { ...t.measurement, suites: { short: LEAN_SUITE } } } });
    const r = await engine['campaign.run']({ dir, campaignId: 'vm-campaign', kinds, mtus: [1500], suite: 'short' });
    for (const cell of r.campaign.cells) {
      if (cell.status !== 'done') {
        o.bad(`campaign cell ${cell.id}: ${cell.status}`, cell.reason);
        continue;
      }
      const f = r.analysis.cells.find((c) => c.cell === cell.id);
      const tcp = f && Object.entries(f.throughput).find(([k]) => k === 'iperf3-tcp:forward')?.[1];
      if (f?.rtt && f.rtt.n > 0 && tcp && tcp.mean > 0) o.ok(`campaign cell ${cell.id}: RTT ${f.rtt.mean.toFixed(3)} ms over ${f.rtt.n} samples, TCP ${tcp.mean.toFixed(0)} Mbit/s`);
      else o.bad(`campaign cell ${cell.id} has figures`, JSON.stringify(f?.rtt ?? null));
    }
    for (const m of r.analysis.byMtu) {
      if (m.sorted.length === kinds.length) o.ok(`MTU ${m.mtu}: ${m.sorted.length} kinds sorted by mean RTT in ${m.clusters.length} cluster(s)`);
      else o.bad(`MTU ${m.mtu}: every kind in the comparison`, m.sorted.join(', '));
    }
  } catch (e) {
    o.bad('the campaign ran to its end', e instanceof Error ? (e.stack ?? e.message) : String(e));
  } finally {
    await engine['lab.down']({ dir }).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  }
  return o;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let jobs = 1;
  let keep = false;
  let times = false;
  let campaignKinds: string[] = [];
  let conditionKinds: string[] = [];
  const specs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--jobs') jobs = Math.max(1, Number(argv[++i]));
    else if (argv[i] === '--keep') keep = true;
    else if (argv[i] === '--times') times = true;
    else if (argv[i] === '--campaign') campaignKinds = argv[++i]!.split(',');
    else if (argv[i] === '--conditions') conditionKinds = argv[++i]!.split(',').filter(Boolean);
    else specs.push(argv[i]!);
  }
  if (specs.length === 0 && campaignKinds.length === 0 && conditionKinds.length === 0) {
    process.stderr.write('usage: prove.ts [--jobs N] [--keep] KIND[:template:hosts:mtu[:option=value,...]]...\n');
    return 2;
  }
  const cases = specs.map(parseCase);
  let passed = 0;
  let failed = 0;
  const failures: string[] = [];
  const started = Date.now();
  const report = (c: Case, o: Out, secs: number): void => {
    const steps = times ? ` [${o.steps.map(([n, t]) => `${n} ${t.toFixed(1)}`).join(', ')}]` : '';
    // A case's lines are printed together, so that groups side by side do not interleave.
    if (o.failed === 0) {
      passed++;
      process.stdout.write(`ok   ${c.spec} (${secs} s; ${o.passed} passed, 0 failed)${steps}\n`);
    } else {
      failed++;
      failures.push(c.spec);
      process.stdout.write(`FAIL ${c.spec} (${secs} s; ${o.passed} passed, ${o.failed} failed):\n${o.lines.filter((l) => !l.startsWith('ok ')).map((l) => `     ${l}`).join('\n')}\n`);
    }
  };
  // Cases of the same shape, host count and MTU share a lab (lab up, SSH host keys, the first
  // state): only what differs between kinds is done per case.
  // A queue of work for `jobs` workers: the campaign first (it is the longest), then the cases,
  // larger shapes first, grouped by lab. Each worker keeps one lab and reuses it for as long as
  // its next case has the same shape, host count and MTU, so a long group is shared by workers.
  type Item = { campaign: readonly string[] } | { case: Case };
  const queue: Item[] = [
    ...(campaignKinds.length ? [{ campaign: campaignKinds }] : []),
    ...[...cases].sort((a, b) => b.hosts - a.hosts || groupKey(a).localeCompare(groupKey(b))).map((c) => ({ case: c })),
  ];
  let labs = 0;
  const release = async (g: GroupLab | undefined): Promise<void> => {
    if (!g) return;
    if (keep) process.stdout.write(`kept ${g.dir}\n`);
    else {
      await g.engine['lab.down']({ dir: g.dir }).catch(() => undefined);
      await fs.rm(g.dir, { recursive: true, force: true });
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(jobs, queue.length)) }, async (_w, worker) => {
      let g: GroupLab | undefined;
      let gKey = '';
      let index = 0;
      while (queue.length > 0) {
        const item = queue.shift()!;
        const t0 = Date.now();
        if ('campaign' in item) {
          const o = await proveCampaign(item.campaign);
          report({ spec: `campaign:${item.campaign.join(',')}`, kind: 'campaign', template: 'site-to-site', hosts: 2, mtu: 1500, family: 4, options: {} }, o, Math.round((Date.now() - t0) / 1000));
          continue;
        }
        const c = item.case;
        const o = output();
        if (g && gKey !== groupKey(c)) {
          await release(g);
          g = undefined;
        }
        if (!g) {
          g = await groupLab(c, worker, o);
          gKey = groupKey(c);
          if (g) labs++;
        }
        const result = g ? await proveCase(c, g, index++) : o;
        report(c, result, Math.round((Date.now() - t0) / 1000));
        // A case that failed may have left its lab in any state: the next one gets a fresh lab.
        if (result.failed > 0) {
          await release(g);
          g = undefined;
        }
      }
      await release(g);
    }),
  );
  if (conditionKinds.length) {
    const t0 = Date.now();
    const o = output();
    await proveCapability(o);
    await proveConditions(conditionKinds, o);
    // The figures are the point of this case: printed whether it passed or not.
    for (const l of o.lines) if (l.startsWith('ok ') || (o.failed === 0 && l.startsWith('--'))) process.stdout.write(`     ${l}\n`);
    report({ spec: `conditions:${conditionKinds.join(',')}`, kind: 'conditions', template: 'site-to-site', hosts: 2, mtu: 1500, family: 4, options: {} }, o, Math.round((Date.now() - t0) / 1000));
  }
  process.stdout.write(`(${cases.length} cases in ${labs} labs, ${Math.round((Date.now() - started) / 1000)} s, ${jobs} lab(s) at a time)\n`);
  if (failures.length) process.stdout.write(`failed: ${failures.join(' ')}\n`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
