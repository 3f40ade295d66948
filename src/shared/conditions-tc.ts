/**
 * Conditions as `tc` on one egress device, and back. Every direction is shaped on its sender's
 * egress (netem acts on egress only):
 *
 *   root htb 1: (default 1:ffff)
 *     class 1:1      the device's whole egress: a host uplink's rate, else "unlimited"
 *       class 1:ffff   traffic to no shaped peer: the uplink only
 *       class 1:<k>    traffic to peer k (u32 filter on the peer's underlay address)
 *         qdisc <100+k>: netem   the uplink's and the link's delay/loss/… composed
 *
 * htb carries the rates (this machine's kernel has htb but no netem; rate-only conditions work
 * here), netem the rest. Scripts replace the whole tree (idempotent: the same tree each time)
 * and removal deletes the root, giving the device back its default qdisc. What was applied is
 * read back — `tc -j qdisc show` (JSON), `tc class show` and `tc filter show` (text: this
 * iproute2 prints htb classes only as text, and u32 filters as JSON with repeated keys) — and
 * compared with what was asked: a mismatch is an error.
 */
import { compose, isEmpty, needsNetem, queueLimit, type Condition } from './conditions.js';
import { q } from './shell.js';

/** "No limit" for htb: far above any lab or NIC rate, so that only the asked rates shape. */
export const UNLIMITED_MBIT = 100_000;

export interface ShapedPeer {
  /** For people (messages): the peer host's name. */
  readonly peer: string;
  /** The peer's underlay address: the u32 filter's destination. */
  readonly address: string;
  readonly family: 4 | 6;
  /** This direction's own conditions (the link's a→b), before the device's `all` is composed in. */
  readonly condition: Condition;
}

/** One egress device and what it does to its traffic. */
export interface ShapedDevice {
  readonly device: string;
  /** Every packet out of the device (a host uplink's up, or, on the lab's WAN side, its down). */
  readonly all: Condition;
  readonly peers: readonly ShapedPeer[];
  /** The underlay MTU: sizes netem's queue and htb's burst. */
  readonly mtu: number;
}

export const isShaped = (d: ShapedDevice): boolean => !isEmpty(d.all) || d.peers.some((p) => !isEmpty(p.condition));

const rateOf = (c: Condition): number => c.rate ?? UNLIMITED_MBIT;
/** htb's burst: 1 ms at the rate, at least two full frames (too small a burst caps the rate below what is asked). */
const burstBytes = (mbit: number, mtu: number): number => Math.max(2 * (mtu + 14), Math.ceil((mbit * 1e6) / 8 / 1000));
const classId = (k: number): string => `1:${(0x10 + k).toString(16)}`;
const netemHandle = (k: number): string => `${(0x100 + k).toString(16)}:`;
const DEFAULT_CLASS = '1:ffff';
const DEFAULT_NETEM = 'fff0:';
const us = (ms: number): string => `${Math.round(ms * 1000)}us`;
const pctArg = (p: number): string => `${Number(p.toPrecision(6))}%`;

/** netem's arguments for a condition (empty when it needs no netem). */
export function netemArgs(c: Condition, mtu: number): string[] {
  if (!needsNetem(c)) return [];
  const a = ['limit', String(queueLimit(c, mtu))];
  if (c.delay || c.jitter) {
    a.push('delay', us(c.delay ?? 0));
    if (c.jitter) {
      a.push(us(c.jitter));
      if (c.distribution && c.distribution !== 'uniform') a.push('distribution', c.distribution);
    }
  }
  if (c.loss) a.push('loss', 'random', pctArg(c.loss), ...(c.lossCorrelation ? [pctArg(c.lossCorrelation)] : []));
  if (c.duplicate) a.push('duplicate', pctArg(c.duplicate));
  if (c.reorder) a.push('reorder', pctArg(c.reorder));
  if (c.corrupt) a.push('corrupt', pctArg(c.corrupt));
  return a;
}

/** What a device should look like once shaped (and what the read-back is compared with). */
export interface ExpectedTc {
  readonly device: string;
  readonly classes: readonly { readonly id: string; readonly rateMbit: number; readonly peer?: string; readonly address?: string }[];
  readonly netems: readonly { readonly parent: string; readonly peer?: string; readonly condition: Condition; readonly limit: number }[];
}

/** The shaping of one device: the lines that apply it (replacing whatever root qdisc was there), and what it should read back as. */
export function shapeDevice(d: ShapedDevice): { apply: string[]; expect: ExpectedTc } {
  const dev = q(d.device);
  const all = rateOf(d.all);
  const cls = (id: string, parent: string, mbit: number): string => `tc class add dev ${dev} parent ${parent} classid ${id} htb rate ${mbit}mbit ceil ${mbit}mbit burst ${burstBytes(mbit, d.mtu)} cburst ${burstBytes(mbit, d.mtu)} quantum 60000`;
  const netem = (parent: string, handle: string, c: Condition): string => `tc qdisc add dev ${dev} parent ${parent} handle ${handle} netem ${netemArgs(c, d.mtu).join(' ')}`;
  const lines = [`tc qdisc del dev ${dev} root 2>/dev/null || true`];
  const classes: ExpectedTc['classes'][number][] = [];
  const netems: ExpectedTc['netems'][number][] = [];
  if (!isShaped(d)) return { apply: lines, expect: { device: d.device, classes, netems } };
  lines.push(`tc qdisc add dev ${dev} root handle 1: htb default ffff`, cls('1:1', '1:', all), cls(DEFAULT_CLASS, '1:1', all));
  classes.push({ id: '1:1', rateMbit: all }, { id: DEFAULT_CLASS, rateMbit: all });
  if (needsNetem(d.all)) {
    lines.push(netem(DEFAULT_CLASS, DEFAULT_NETEM, d.all));
    netems.push({ parent: DEFAULT_CLASS, condition: d.all, limit: queueLimit(d.all, d.mtu) });
  }
  d.peers.forEach((p, k) => {
    const leaf = compose(d.all, p.condition);
    const mbit = Math.min(rateOf(p.condition), all);
    const id = classId(k);
    lines.push(cls(id, '1:1', mbit));
    classes.push({ id, rateMbit: mbit, peer: p.peer, address: p.address });
    if (needsNetem(leaf)) {
      lines.push(netem(id, netemHandle(k), leaf));
      netems.push({ parent: id, peer: p.peer, condition: leaf, limit: queueLimit(leaf, d.mtu) });
    }
    lines.push(
      p.family === 4
        ? `tc filter add dev ${dev} parent 1: protocol ip prio 1 u32 match ip dst ${q(`${p.address}/32`)} flowid ${id}`
        : `tc filter add dev ${dev} parent 1: protocol ipv6 prio 2 u32 match ip6 dst ${q(`${p.address}/128`)} flowid ${id}`,
    );
  });
  return { apply: lines, expect: { device: d.device, classes, netems } };
}

/** Removal: the device's root qdisc goes, and the kernel gives it back its default; nothing there is fine. */
export const unshapeDevice = (device: string): string => `tc qdisc del dev ${q(device)} root 2>/dev/null || true`;

/** The commands whose output `readTc` reads, in that order, separated by a marker line. */
export const READ_MARK = '@@overlab-tc';
export const readScript = (device: string): string =>
  [`tc -j qdisc show dev ${q(device)}`, `echo ${READ_MARK}`, `tc class show dev ${q(device)}`, `echo ${READ_MARK}`, `tc filter show dev ${q(device)}`].join('; ');

/** A device's qdiscs, htb classes and u32 filters as read back. */
export interface TcState {
  readonly qdiscs: readonly { readonly kind: string; readonly handle: string; readonly parent?: string; readonly root: boolean; readonly netem?: Condition & { limit?: number } }[];
  readonly classes: readonly { readonly id: string; readonly parent?: string; readonly rateMbit: number }[];
  readonly filters: readonly { readonly flowid: string; readonly address: string }[];
}

interface QdiscJson {
  kind?: string;
  handle?: string;
  parent?: string;
  root?: boolean;
  options?: {
    limit?: number;
    delay?: { delay?: number; jitter?: number };
    'loss-random'?: { loss?: number; correlation?: number };
    duplicate?: { duplicate?: number };
    reorder?: { reorder?: number };
    corrupt?: { corrupt?: number };
  };
}

/** netem's options as `tc -j` prints them (seconds and fractions) in the model's units (ms, %). */
function netemFromJson(o: NonNullable<QdiscJson['options']>): Condition & { limit?: number } {
  const c: Record<string, number> = {};
  const msOf = (s?: number): number | undefined => (s ? Number((s * 1000).toPrecision(9)) : undefined);
  const pctOf = (f?: number): number | undefined => (f ? Number((f * 100).toPrecision(9)) : undefined);
  const put = (k: string, v: number | undefined): void => {
    if (v !== undefined) c[k] = v;
  };
  put('limit', o.limit);
  put('delay', msOf(o.delay?.delay));
  put('jitter', msOf(o.delay?.jitter));
  put('loss', pctOf(o['loss-random']?.loss));
  put('lossCorrelation', pctOf(o['loss-random']?.correlation));
  put('duplicate', pctOf(o.duplicate?.duplicate));
  put('reorder', pctOf(o.reorder?.reorder));
  put('corrupt', pctOf(o.corrupt?.corrupt));
  return c as Condition & { limit?: number };
}

/** `50Mbit`, `100Gbit`, `800Kbit`, `1500bit` → Mbit/s. */
function mbitOf(text: string): number | undefined {
  const m = /^([\d.]+)([KMG]?)bit$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * { '': 1e-6, K: 1e-3, M: 1, G: 1e3 }[m[2] as '' | 'K' | 'M' | 'G'];
}

/** A u32 match on an address, as `tc filter show` prints it: `match c6120002/ffffffff at 16` (IPv4 dst) or four words at 24–36 (IPv6 dst). */
function addressOf(matches: readonly { value: string; mask: string; at: number }[]): string | undefined {
  const full = matches.filter((m) => m.mask === 'ffffffff');
  const v4 = full.find((m) => m.at === 16);
  if (v4 && full.length === 1) return [0, 2, 4, 6].map((i) => parseInt(v4.value.padStart(8, '0').slice(i, i + 2), 16)).join('.');
  const words = [24, 28, 32, 36].map((at) => full.find((m) => m.at === at)?.value.padStart(8, '0'));
  if (words.every((w) => w !== undefined)) {
    const hex = words.join('');
    const groups = Array.from({ length: 8 }, (_, i) => parseInt(hex.slice(i * 4, i * 4 + 4), 16).toString(16));
    return compressV6(groups);
  }
  return undefined;
}

/** RFC 5952 text of eight groups (the longest run of two or more zero groups as ::). */
function compressV6(g: readonly string[]): string {
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (g[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > best.len && j - i >= 2) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return g.join(':');
  return `${g.slice(0, best.at).join(':')}::${g.slice(best.at + best.len).join(':')}`;
}

/** Reads the output of `readScript`. Throws when it is not what tc prints (a bug, or no tc). */
export function readTc(output: string): TcState {
  const [qdiscText = '', classText = '', filterText = ''] = output.split(new RegExp(`^${READ_MARK}$`, 'm'));
  const qs = JSON.parse(qdiscText.trim() || '[]') as QdiscJson[];
  const qdiscs = qs.map((x) => ({
    kind: x.kind ?? '',
    handle: x.handle ?? '',
    ...(x.parent ? { parent: x.parent } : {}),
    root: x.root === true,
    ...(x.kind === 'netem' && x.options ? { netem: netemFromJson(x.options) } : {}),
  }));
  const classes: { id: string; parent?: string; rateMbit: number }[] = [];
  for (const line of classText.split('\n')) {
    const m = /^class htb (\S+) (?:root|parent (\S+)).*? rate (\S+)/.exec(line.trim());
    if (m) classes.push({ id: m[1]!, ...(m[2] ? { parent: m[2] } : {}), rateMbit: mbitOf(m[3]!) ?? NaN });
  }
  const filters: { flowid: string; address: string }[] = [];
  let current: { flowid: string; matches: { value: string; mask: string; at: number }[] } | undefined;
  const flush = (): void => {
    const address = current ? addressOf(current.matches) : undefined;
    if (current && address) filters.push({ flowid: current.flowid, address });
    current = undefined;
  };
  for (const raw of filterText.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('filter ')) {
      flush();
      // (`*flowid`: the star marks a terminal match.)
      const f = / \*?flowid (\S+)/.exec(line);
      if (f) current = { flowid: f[1]!, matches: [] };
    } else {
      const m = /^match ([0-9a-f]+)\/([0-9a-f]+) at (\d+)/.exec(line);
      if (m && current) current.matches.push({ value: m[1]!, mask: m[2]!, at: Number(m[3]) });
    }
  }
  flush();
  return { qdiscs, classes, filters };
}

/** Whether two figures agree to what tc stores (µs for times; rates to the byte per second; fractions in 2^32ths). */
const close = (a: number | undefined, b: number | undefined, tolerance: number): boolean => Math.abs((a ?? 0) - (b ?? 0)) <= tolerance;

/**
 * What differs between what was asked and what the device holds, for people: one line per
 * difference ("eth0: to spoke-1: delay 20 ms asked, 0 ms in force"). Empty when they agree.
 * The distribution of jitter is not read back (tc prints no name for it).
 */
export function compareTc(expect: ExpectedTc, state: TcState): string[] {
  const dev = expect.device;
  const out: string[] = [];
  const root = state.qdiscs.find((x) => x.root);
  if (expect.classes.length === 0) {
    if (root && root.kind === 'htb') out.push(`${dev}: still shaped (an htb root qdisc is there) where nothing is asked`);
    return out;
  }
  if (!root || root.kind !== 'htb' || root.handle !== '1:') return [`${dev}: no htb root qdisc 1: (found ${root ? `${root.kind} ${root.handle}` : 'none'})`];
  for (const c of expect.classes) {
    const got = state.classes.find((x) => x.id === c.id);
    const who = c.peer ? ` to ${c.peer}` : c.id === '1:1' ? ' (all traffic)' : ' (other traffic)';
    if (!got) out.push(`${dev}${who}: class ${c.id} missing`);
    else if (!close(got.rateMbit, c.rateMbit, c.rateMbit * 1e-6 + 1e-6)) out.push(`${dev}${who}: rate ${c.rateMbit} Mbit/s asked, ${got.rateMbit} Mbit/s in force`);
    if (c.address && !state.filters.some((f) => f.flowid === c.id && f.address === c.address)) out.push(`${dev}${who}: no filter sends ${c.address} to class ${c.id}`);
  }
  for (const n of expect.netems) {
    const who = n.peer ? ` to ${n.peer}` : ' (other traffic)';
    const got = state.qdiscs.find((x) => x.kind === 'netem' && x.parent === n.parent)?.netem;
    if (!got) {
      out.push(`${dev}${who}: no netem under ${n.parent}`);
      continue;
    }
    const fields: [string, number | undefined, number | undefined, number, string][] = [
      ['delay', n.condition.delay, got.delay, 0.001, 'ms'],
      ['jitter', n.condition.jitter, got.jitter, 0.001, 'ms'],
      ['loss', n.condition.loss, got.loss, 1e-6, '%'],
      ['loss correlation', n.condition.loss ? n.condition.lossCorrelation : undefined, got.lossCorrelation, 1e-6, '%'],
      ['duplicate', n.condition.duplicate, got.duplicate, 1e-6, '%'],
      ['reorder', n.condition.reorder, got.reorder, 1e-6, '%'],
      ['corrupt', n.condition.corrupt, got.corrupt, 1e-6, '%'],
      ['queue limit', n.limit, got.limit, 0, 'packets'],
    ];
    for (const [name, asked, found, tol, unit] of fields) if (!close(asked, found, tol)) out.push(`${dev}${who}: ${name} ${asked ?? 0} ${unit} asked, ${found ?? 0} ${unit} in force`);
  }
  return out;
}

/**
 * The conditions in force on a device, per peer address (and `*` for traffic to no shaped
 * peer), from a read-back: what a measurement records, so that its figures are tied to what the
 * path really did, not to what was asked.
 */
export function inForce(state: TcState): Record<string, Condition> {
  const root = state.qdiscs.find((x) => x.root);
  if (!root || root.kind !== 'htb') return {};
  const out: Record<string, Condition> = {};
  const of = (cls: string): Condition => {
    const rate = state.classes.find((c) => c.id === cls)?.rateMbit;
    const netem = state.qdiscs.find((x) => x.kind === 'netem' && x.parent === cls)?.netem ?? {};
    const { limit: _limit, ...rest } = netem;
    return { ...rest, ...(rate !== undefined && rate < UNLIMITED_MBIT ? { rate: Number(rate.toPrecision(9)) } : {}) };
  };
  out['*'] = of(DEFAULT_CLASS);
  for (const f of state.filters) out[f.address] = of(f.flowid);
  return out;
}
