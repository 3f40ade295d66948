/**
 * Time to first packet: how long after `up.sh` starts the first packet crosses the tunnel, after
 * a restart of one end, the other, or both (`restart`). "Restart" here is what a host restart
 * does to the tunnel in the embedded lab: the host's tunnel state is gone (its down.sh: devices,
 * daemons, their sessions) and its up.sh runs again; a real reboot (kernel, clocks, ARP caches
 * of the underlay) is not emulated.
 *  - `near` (the default): on the client host the script runs down.sh, stamps the time, runs
 *    up.sh, stamps again, and pings the far end's tunnel address every 10 ms until the first
 *    reply (ping -D stamps it) or the deadline. The far end keeps its state (and its sessions).
 *  - `far`: the far end restarts (what a peer's reboot looks like from here): its down.sh before
 *    the client starts, then its up.sh beside the client's probe (the runner's `ends`); the time
 *    counts from the far end's up.sh.
 *  - `both`: both ends' down.sh, then both up.sh at once (a reboot of both, a fresh deploy); the
 *    time counts from the earlier up.sh.
 * Across two hosts the stamps are two clocks: in the embedded lab one (the same machine); real
 * hosts need theirs synchronised (NTP: milliseconds), and a reply stamped before up.sh started
 * is refused as a clock error. Kinds with a handshake (IKE, WireGuard, OpenVPN, tinc, Nebula)
 * differ here, and a kind whose surviving end keeps a stale session (a client/server daemon that
 * only notices the other end's restart by its keepalive timeout) can take far longer to come
 * back than to come up.
 */
import { z } from 'zod';
import { q } from '../../shell.js';
import { defineTool, type EndCommands } from './tool.js';

/** Which end restarts (see the module comment). */
export const RESTARTS = ['near', 'far', 'both'] as const;
export type Restart = (typeof RESTARTS)[number];

export interface HandshakeRequest {
  /** The far end's tunnel address. */
  readonly address: string;
  /** The folder of the hosts' deployed bundle (up.sh and down.sh), e.g. /var/lib/overlab/bundle. */
  readonly bundle: string;
  /** Seconds to wait for the first reply. */
  readonly deadline: number;
  /** Which end restarts; default near. */
  readonly restart?: Restart;
}

const MARK = '### overlab-handshake';
const PATH = /^\/[A-Za-z0-9._/-]+$/;

/** The request's problems, each naming the field and the fix (empty: fine). */
export function checkHandshake(r: HandshakeRequest): string[] {
  const bad: string[] = [];
  if (!PATH.test(r.bundle) || r.bundle.includes('..')) bad.push(`bundle: "${r.bundle}"; give the absolute folder of the deployed bundle (letters, digits, . _ - /)`);
  if (!(Number.isInteger(r.deadline) && r.deadline >= 1 && r.deadline <= 300)) bad.push(`deadline: ${r.deadline}; use a whole number of seconds from 1 to 300`);
  if (r.restart !== undefined && !RESTARTS.includes(r.restart)) bad.push(`restart: "${String(r.restart)}"; use ${RESTARTS.join(', ')}`);
  return bad;
}

const checked = (r: HandshakeRequest): HandshakeRequest => {
  const bad = checkHandshake(r);
  if (bad.length) throw new Error(`handshake: ${bad.join('; ')}`);
  return r;
};

// The script's parts, each POSIX sh. A script is one line: it goes through `sh -c` as one quoted
// word, which may hold no line break.
const down = (r: HandshakeRequest): string => `${q(`${r.bundle}/down.sh`)} >/dev/null 2>&1 || true`;
const upStamped = (r: HandshakeRequest): string[] => [
  `echo "${MARK} start $(date +%s.%N)"`,
  `${q(`${r.bundle}/up.sh`)} >/dev/null 2>&1; rc=$?`,
  `echo "${MARK} up rc=$rc $(date +%s.%N)"`,
];
const probe = (r: HandshakeRequest): string[] => {
  const ping = ['ping', '-D', '-n', '-i', '0.01', '-c', '1', '-w', String(r.deadline), '-W', '0.1', r.address].map(q).join(' ');
  return [
    // ping -c 1 with -w sends every 10 ms until one reply arrives or the deadline passes; but an
    // ICMP error (no route yet, the device not up: userspace daemons) ends it at once: then again,
    // until the deadline.
    `end=$(($(date +%s) + ${r.deadline}))`,
    `while :; do ${ping} 2>&1 && break; [ "$(date +%s)" -lt "$end" ] || break; sleep 0.01; done`,
    `echo "${MARK} end $(date +%s.%N)"`,
  ];
};
const script = (parts: string[]): string => ['sh', '-c', parts.join('; ')].map(q).join(' ');

/** The script (POSIX sh, one line) run on the client host: the near end's restart and the probe. */
export function handshakeCommand(r: HandshakeRequest): string {
  checked(r);
  return [down(r), ...upStamped(r), ...probe(r)].join('; ');
}

/**
 * Every command of a test, by where it runs: `client` on the near end (a `sh -c` line), and for
 * `far` and `both` the ends' commands (EndCommands: the down.sh before, the far up.sh beside).
 */
export function handshakeCommands(r: HandshakeRequest): { readonly client: string; readonly ends?: EndCommands } {
  checked(r);
  const downStamped = script([down(r), `echo "${MARK} down $(date +%s.%N)"`]);
  switch (r.restart ?? 'near') {
    case 'near':
      return { client: script([handshakeCommand(r)]) };
    case 'far':
      return { client: script([`echo "${MARK} probe $(date +%s.%N)"`, ...probe(r)]), ends: { before: { dst: downStamped }, beside: script(upStamped(r)) } };
    case 'both':
      return { client: script([...upStamped(r), ...probe(r)]), ends: { before: { src: downStamped, dst: downStamped }, beside: script(upStamped(r)) } };
  }
}

/** The probe loop may run one ping past the deadline: twice it, and up.sh's time. */
export const handshakeSeconds = (r: HandshakeRequest): number => 2 * r.deadline + 30;

export interface HandshakeResult {
  readonly tool: 'handshake';
  readonly restart: Restart;
  /** Seconds the near end's up.sh took (near, both). */
  readonly upSeconds?: number;
  /** Seconds the far end's up.sh took (far, both). */
  readonly farUpSeconds?: number;
  /** Seconds from up.sh's start (the earlier one's, when both ends restart) to the first reply through the tunnel. */
  readonly firstPacketSeconds?: number;
  /** Requests sent before the one answered (all pings' transmitted counts − 1). */
  readonly lostProbes?: number;
  readonly error?: string;
}

const STAMP = (part: string): RegExp => new RegExp(`^${MARK} ${part} (?:rc=(\\d+) )?(\\d+\\.\\d+)$`);
const REPLY = /^\[(\d+\.\d+)\] \d+ bytes from [^:]+: icmp_seq=(\d+) /;
const SENT = /^(\d+) packets transmitted/;

const linesOf = (text: string): string[] => text.split('\n').map((l) => l.trim());
const find = (lines: readonly string[], part: string): RegExpExecArray | undefined => lines.map((l) => STAMP(part).exec(l)).find((m): m is RegExpExecArray => m !== null);

/**
 * A test's figures from what it printed: `near`, the client's output (its stamps and the probe);
 * `far`, what the far end's up.sh (the `beside` command) printed, for `far` and `both`.
 */
export function parseHandshake(near: string, far = '', restart: Restart = 'near'): HandshakeResult {
  const base = { tool: 'handshake', restart } as const;
  const lines = linesOf(near);
  const farLines = linesOf(far);
  const nearUp = restart === 'far' ? undefined : { start: find(lines, 'start'), up: find(lines, 'up') };
  const farUp = restart === 'near' ? undefined : { start: find(farLines, 'start'), up: find(farLines, 'up') };
  if (nearUp && (!nearUp.start || !nearUp.up)) return { ...base, error: `the script printed no "${MARK} ${nearUp.start ? 'up' : 'start'}" stamp (cut short?)` };
  if (farUp && (!farUp.start || !farUp.up)) return { ...base, error: `the far end's up.sh printed no "${MARK} ${farUp.start ? 'up' : 'start'}" stamp (cut short, or past its deadline?)` };
  const seconds = (u: { start?: RegExpExecArray; up?: RegExpExecArray } | undefined): number | undefined => (u ? Number(u.up![2]) - Number(u.start![2]) : undefined);
  const upSeconds = seconds(nearUp);
  const farUpSeconds = seconds(farUp);
  const ups = { ...base, ...(upSeconds !== undefined ? { upSeconds } : {}), ...(farUpSeconds !== undefined ? { farUpSeconds } : {}) };
  if (nearUp && nearUp.up![1] !== '0') return { ...ups, error: `up.sh failed (exit ${nearUp.up![1]}): redeploy the host and look at its deploy log` };
  if (farUp && farUp.up![1] !== '0') return { ...ups, error: `the far end's up.sh failed (exit ${farUp.up![1]}): redeploy that host and look at its deploy log` };
  const t0 = Math.min(...[nearUp, farUp].filter((u) => u !== undefined).map((u) => Number(u.start![2])));
  const reply = lines.map((l) => REPLY.exec(l)).find((m): m is RegExpExecArray => m !== null);
  const summaries = lines.filter((l) => SENT.test(l));
  if (!reply) {
    const said = summaries.at(-1);
    const tries = summaries.length > 1 ? `, ${summaries.length} pings` : '';
    return { ...ups, error: `no reply through the tunnel before the deadline${said ? ` (${said}${tries})` : ''}` };
  }
  const firstPacketSeconds = Number(reply[1]) - t0;
  // Two hosts' clocks (far, both): a reply before up.sh started is a clock that is off.
  if (firstPacketSeconds < 0) return { ...ups, error: `the first reply is stamped ${(-firstPacketSeconds).toFixed(3)} s before the far end's up.sh started: the two hosts' clocks disagree; synchronise them (NTP) and measure again` };
  const sent = summaries.reduce((a, l) => a + Number(SENT.exec(l)![1]), 0);
  return { ...ups, firstPacketSeconds, lostProbes: Math.max(0, sent - 1) };
}

// ---- the tool ------------------------------------------------------------------------------

export const HandshakeTest = z.strictObject({
  tool: z.literal('handshake'),
  /** Seconds to wait for the first reply after up.sh. */
  deadline: z.number().int().min(1).max(300).default(10),
  /** Which end restarts: near (this host), far (the other end), both. */
  restart: z.enum(RESTARTS).default('near'),
});
export type HandshakeTest = z.output<typeof HandshakeTest>;

const SKIPPED = `${MARK} skipped: not a tunnel path`;

/** The metric key of each scenario's time to first packet (near keeps the key it always had). */
const FIRST_PACKET: Readonly<Record<Restart, string>> = { near: 'firstPacketSeconds', far: 'firstPacketSecondsFar', both: 'firstPacketSecondsBoth' };

const requestOf = (t: HandshakeTest, address: string, bundle: string): HandshakeRequest => ({ address, bundle, deadline: t.deadline, restart: t.restart });

export const handshake = defineTool({
  id: 'handshake',
  label: 'Time to first packet',
  description: 'a tunnel end restarted (down.sh, up.sh: the near end, the far end, or both): seconds from up.sh to the first reply through the tunnel',
  schema: HandshakeTest,
  // No server, but exclusive: down.sh stops every tunnel of the host, so no other test may run
  // on either end meanwhile (the schedule keeps a host in one `pair` test at a time).
  mode: 'pair',
  binaries: (t) => ({ client: ['ping', 'date'], server: t.restart === 'near' ? [] : ['date'] }),
  packages: { ping: 'iputils-ping', date: 'coreutils' },
  testName: (t) => (t.restart === 'near' ? 'handshake' : `handshake-${t.restart}`),
  seconds: (t) => handshakeSeconds({ address: '', bundle: '/', deadline: t.deadline }),
  directions: () => ['forward'],
  withDuration: (t) => t,
  client: (t, r) => (r.path.type === 'tunnel' ? handshakeCommands(requestOf(t, r.path.dst.address, r.bundle)).client : `echo ${q(SKIPPED)}`),
  ends: (t, r) => (r.path.type === 'tunnel' ? handshakeCommands(requestOf(t, r.path.dst.address, r.bundle)).ends : undefined),
  parse: (t, out) => {
    if (out.stdout.includes(SKIPPED)) return { values: {}, detail: { skipped: 'not a tunnel path' } };
    const res = parseHandshake(out.stdout, out.ends?.beside ?? '', t.restart);
    const values: Record<string, number> = {};
    if (res.upSeconds !== undefined) values.upSeconds = res.upSeconds;
    if (res.farUpSeconds !== undefined) values.farUpSeconds = res.farUpSeconds;
    if (res.firstPacketSeconds !== undefined) values[FIRST_PACKET[t.restart]] = res.firstPacketSeconds;
    return { values, detail: res, ...(res.error ? { error: res.error } : {}) };
  },
  metrics: [
    { key: FIRST_PACKET.near, label: 'Time to first packet, near end restarted', unit: 's', feeds: 'handshake', better: 'lower', headline: true },
    { key: FIRST_PACKET.far, label: 'Time to first packet, far end restarted', unit: 's', feeds: 'handshake', better: 'lower', headline: true },
    { key: FIRST_PACKET.both, label: 'Time to first packet, both ends restarted', unit: 's', feeds: 'handshake', better: 'lower', headline: true },
    { key: 'upSeconds', label: 'up.sh run time (near end)', unit: 's', feeds: 'handshake', better: 'lower' },
    { key: 'farUpSeconds', label: 'up.sh run time (far end)', unit: 's', feeds: 'handshake', better: 'lower' },
  ],
});
