/**
 * Time to first packet: how long after `up.sh` starts the first packet crosses the tunnel.
 * On the client host the script takes its side of the tunnel down (down.sh: the restart of one
 * end, the far end stays up), stamps the time, runs up.sh, stamps again, and pings the far
 * end's tunnel address every 10 ms until the first reply (ping -D stamps it) or the deadline.
 * Kinds with a handshake (IKE, WireGuard, OpenVPN, tinc, Nebula) differ here; a kernel tunnel
 * without one (VXLAN) answers as soon as its device is up and the neighbour is resolved.
 */
import { z } from 'zod';
import { q } from '../../shell.js';
import { defineTool } from './tool.js';

export interface HandshakeRequest {
  /** The far end's tunnel address. */
  readonly address: string;
  /** The folder of the host's deployed bundle (up.sh and down.sh), e.g. /var/lib/overlab/bundle. */
  readonly bundle: string;
  /** Seconds to wait for the first reply. */
  readonly deadline: number;
}

const MARK = '### overlab-handshake';
const PATH = /^\/[A-Za-z0-9._/-]+$/;

/** The request's problems, each naming the field and the fix (empty: fine). */
export function checkHandshake(r: HandshakeRequest): string[] {
  const bad: string[] = [];
  if (!PATH.test(r.bundle) || r.bundle.includes('..')) bad.push(`bundle: "${r.bundle}"; give the absolute folder of the deployed bundle (letters, digits, . _ - /)`);
  if (!(Number.isInteger(r.deadline) && r.deadline >= 1 && r.deadline <= 300)) bad.push(`deadline: ${r.deadline}; use a whole number of seconds from 1 to 300`);
  return bad;
}

/** The script (POSIX sh, one line) run on the client host. */
export function handshakeCommand(r: HandshakeRequest): string {
  const bad = checkHandshake(r);
  if (bad.length) throw new Error(`handshake: ${bad.join('; ')}`);
  const up = q(`${r.bundle}/up.sh`);
  const down = q(`${r.bundle}/down.sh`);
  const probe = ['ping', '-D', '-n', '-i', '0.01', '-c', '1', '-w', String(r.deadline), '-W', '0.1', r.address].map(q).join(' ');
  return [
    `${down} >/dev/null 2>&1 || true`,
    `echo "${MARK} start $(date +%s.%N)"`,
    `${up} >/dev/null 2>&1; rc=$?`,
    `echo "${MARK} up rc=$rc $(date +%s.%N)"`,
    // ping -c 1 with -w sends every 10 ms until one reply arrives or the deadline passes; but an
    // ICMP error (no route yet, the device not up: userspace daemons) ends it at once: then again,
    // until the deadline.
    `end=$(($(date +%s) + ${r.deadline}))`,
    `while :; do ${probe} 2>&1 && break; [ "$(date +%s)" -lt "$end" ] || break; sleep 0.01; done`,
    `echo "${MARK} end $(date +%s.%N)"`,
    // One line: it goes through `sh -c` as one quoted word, which may hold no line break.
  ].join('; ');
}

/** The probe loop may run one ping past the deadline: twice it, and up.sh's time. */
export const handshakeSeconds = (r: HandshakeRequest): number => 2 * r.deadline + 30;

export interface HandshakeResult {
  readonly tool: 'handshake';
  /** Seconds up.sh took. */
  readonly upSeconds?: number;
  /** Seconds from up.sh's start to the first reply through the tunnel. */
  readonly firstPacketSeconds?: number;
  /** Requests sent before the one answered (all pings' transmitted counts − 1). */
  readonly lostProbes?: number;
  readonly error?: string;
}

const STAMP = (part: string): RegExp => new RegExp(`^${MARK} ${part} (?:rc=(\\d+) )?(\\d+\\.\\d+)$`);
const REPLY = /^\[(\d+\.\d+)\] \d+ bytes from [^:]+: icmp_seq=(\d+) /;
const SENT = /^(\d+) packets transmitted/;

export function parseHandshake(text: string): HandshakeResult {
  const lines = text.split('\n').map((l) => l.trim());
  const find = (part: string): RegExpExecArray | undefined => lines.map((l) => STAMP(part).exec(l)).find((m): m is RegExpExecArray => m !== null);
  const start = find('start');
  const up = find('up');
  if (!start || !up) return { tool: 'handshake', error: `the script printed no "${MARK} ${start ? 'up' : 'start'}" stamp (cut short?)` };
  const t0 = Number(start[2]);
  const upSeconds = Number(up[2]) - t0;
  if (up[1] !== '0') return { tool: 'handshake', upSeconds, error: `up.sh failed (exit ${up[1]}): redeploy the host and look at its deploy log` };
  const reply = lines.map((l) => REPLY.exec(l)).find((m): m is RegExpExecArray => m !== null);
  const summaries = lines.filter((l) => SENT.test(l));
  if (!reply) {
    const said = summaries.at(-1);
    const tries = summaries.length > 1 ? `, ${summaries.length} pings` : '';
    return { tool: 'handshake', upSeconds, error: `no reply through the tunnel before the deadline${said ? ` (${said}${tries})` : ''}` };
  }
  const sent = summaries.reduce((a, l) => a + Number(SENT.exec(l)![1]), 0);
  return { tool: 'handshake', upSeconds, firstPacketSeconds: Number(reply[1]) - t0, lostProbes: Math.max(0, sent - 1) };
}

// ---- the tool ------------------------------------------------------------------------------

export const HandshakeTest = z.strictObject({
  tool: z.literal('handshake'),
  /** Seconds to wait for the first reply after up.sh. */
  deadline: z.number().int().min(1).max(300).default(10),
});
export type HandshakeTest = z.output<typeof HandshakeTest>;

const SKIPPED = `${MARK} skipped: not a tunnel path`;

export const handshake = defineTool({
  id: 'handshake',
  label: 'Time to first packet',
  description: 'the near end’s tunnel taken down and up again (down.sh, up.sh): seconds from up.sh to the first reply through the tunnel',
  schema: HandshakeTest,
  // No server, but exclusive: down.sh stops every tunnel of the host, so no other test may run
  // on it meanwhile (the schedule keeps a host in one `pair` test at a time).
  mode: 'pair',
  binaries: () => ({ client: ['ping', 'date'], server: [] }),
  packages: { ping: 'iputils-ping', date: 'coreutils' },
  testName: () => 'handshake',
  seconds: (t) => handshakeSeconds({ address: '', bundle: '/', deadline: t.deadline }),
  directions: () => ['forward'],
  withDuration: (t) => t,
  client: (t, r) =>
    r.path.type === 'tunnel' ? ['sh', '-c', handshakeCommand({ address: r.path.dst.address, bundle: r.bundle, deadline: t.deadline })].map(q).join(' ') : `echo ${q(SKIPPED)}`,
  parse: (_t, out) => {
    if (out.stdout.includes(SKIPPED)) return { values: {}, detail: { skipped: 'not a tunnel path' } };
    const res = parseHandshake(out.stdout);
    const values: Record<string, number> = {};
    if (res.upSeconds !== undefined) values.upSeconds = res.upSeconds;
    if (res.firstPacketSeconds !== undefined) values.firstPacketSeconds = res.firstPacketSeconds;
    return { values, detail: res, ...(res.error ? { error: res.error } : {}) };
  },
  metrics: [
    { key: 'firstPacketSeconds', label: 'Time to first packet after up.sh', unit: 's', feeds: 'handshake', better: 'lower', headline: true },
    { key: 'upSeconds', label: 'up.sh run time', unit: 's', feeds: 'handshake', better: 'lower' },
  ],
});
