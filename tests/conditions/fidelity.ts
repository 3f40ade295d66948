/**
 * Measuring what a link really does against what its conditions ask: ping RTT and loss, UDP loss
 * (below the rate) and goodput (above it), TCP throughput — and the models they are compared
 * with. Shared by the full-kernel proof (tests/conditions/proof.ts) and the fidelity bench
 * (bench/conditions.bench.ts). Every measurement runs through `Exec` (argv in a lab host or a
 * namespace), so the same code measures a tunnel between lab hosts and a bare veth.
 */
export type Exec = (argv: readonly string[], timeoutMs?: number) => Promise<{ code: number; stdout: string; stderr: string }>;

/** z for a two-sided 99.9 % interval. */
export const Z999 = 3.2905;

/**
 * Wilson's score interval for a proportion seen k times in n trials (`z` two-sided): where the
 * true loss can be, given the packets sent. Better than the normal approximation at 1 % and a few
 * thousand packets, where k is small.
 */
export function wilson(k: number, n: number, z = Z999): { lo: number; hi: number } {
  if (n <= 0) return { lo: 0, hi: 1 };
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  // (None seen: the bound is exactly 0, not the rounding error of c − h.)
  return { lo: k === 0 ? 0 : Math.max(0, c - h), hi: k === n ? 1 : Math.min(1, c + h) };
}

/**
 * Whether a measured loss agrees with the asked one: within `rel` (5 %) of it, or — when the
 * packets sent cannot resolve that — the asked loss inside the 99.9 % interval of what was seen.
 * Says which held, and whether the count could resolve 5 % at all (the interval narrower than it).
 */
export function lossAgrees(lost: number, sent: number, askedPct: number, rel = 0.05): { ok: boolean; by: 'relative' | 'interval' | 'neither'; resolvable: boolean; measuredPct: number; interval: { lo: number; hi: number } } {
  const measuredPct = sent > 0 ? (100 * lost) / sent : NaN;
  const i = wilson(lost, sent);
  const interval = { lo: 100 * i.lo, hi: 100 * i.hi };
  const resolvable = interval.hi - interval.lo <= 2 * rel * askedPct;
  const relOk = Math.abs(measuredPct - askedPct) <= rel * askedPct;
  const inOk = askedPct >= interval.lo && askedPct <= interval.hi;
  return { ok: relOk || inOk, by: relOk ? 'relative' : inOk ? 'interval' : 'neither', resolvable, measuredPct, interval };
}

/** Within `rel` of the expected figure. */
export const within = (measured: number, expected: number, rel = 0.05): boolean => Math.abs(measured - expected) <= rel * expected;

/**
 * UDP goodput an htb rate allows: htb counts every byte of the frame on the shaped (underlay)
 * device — Ethernet header, outer IP/UDP and the tunnel's header, then the inner IP/UDP — so the
 * payload gets rate × payload / frame. (WireGuard pads its plaintext to 16 bytes: ≤ 15 bytes more.)
 */
export function udpGoodputMbit(rateMbit: number, payload: number, tunnelOverhead: number, family: 4 | 6 = 4): number {
  const frame = payload + 8 + (family === 4 ? 20 : 40) + tunnelOverhead + 14;
  return (rateMbit * payload) / frame;
}

/** The same for TCP: MSS bytes of payload per frame (TCP header with timestamps: 32 bytes). */
export function tcpGoodputMbit(rateMbit: number, innerMtu: number, tunnelOverhead: number): number {
  const mss = innerMtu - 20 - 32;
  return (rateMbit * mss) / (innerMtu + tunnelOverhead + 14);
}

/**
 * Mathis et al.'s model of Reno-like TCP under random loss p: MSS/RTT · √(3/2)/√p. CUBIC with
 * SACK does better than Reno; the figure is printed beside the measurement for scale, not as a
 * bound a test holds TCP to.
 */
export const mathisMbit = (mss: number, rttMs: number, lossPct: number): number => (((mss * 8) / (rttMs / 1000)) * Math.sqrt(1.5)) / Math.sqrt(lossPct / 100) / 1e6;

export interface PingFigures {
  readonly sent: number;
  readonly received: number;
  readonly minMs: number;
  readonly avgMs: number;
  readonly maxMs: number;
  readonly mdevMs: number;
}

/** iputils ping's summary: `N packets transmitted, M received` and `rtt min/avg/max/mdev = a/b/c/d ms`. */
export function parsePing(out: string): PingFigures | undefined {
  const c = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(out);
  const r = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(out);
  if (!c) return undefined;
  return { sent: Number(c[1]), received: Number(c[2]), minMs: Number(r?.[1] ?? NaN), avgMs: Number(r?.[2] ?? NaN), maxMs: Number(r?.[3] ?? NaN), mdevMs: Number(r?.[4] ?? NaN) };
}

/** The median of the replies' `time=` figures: robust to the stalls an emulated, shared CPU adds to a few packets. */
export function medianRtt(out: string): number {
  const t = [...out.matchAll(/ time=([\d.]+) ms/g)].map((m) => Number(m[1])).sort((x, y) => x - y);
  if (t.length === 0) return NaN;
  const h = Math.floor(t.length / 2);
  return t.length % 2 ? t[h]! : (t[h - 1]! + t[h]!) / 2;
}

export async function ping(exec: Exec, dst: string, count: number, intervalS: number, size = 56): Promise<PingFigures & { medianMs: number }> {
  const r = await exec(['ping', '-n', '-c', String(count), '-i', String(intervalS), '-W', '2', '-s', String(size), dst], (count * intervalS + 15) * 1000);
  const f = parsePing(r.stdout);
  if (!f) throw new Error(`ping ${dst} printed no summary: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  return { ...f, medianMs: medianRtt(r.stdout) };
}

export interface IperfFigures {
  readonly mbit: number;
  readonly packets?: number;
  readonly lost?: number;
  readonly retransmits?: number;
}

/** iperf3 -J's receiver figures (UDP: packets and lost packets as the server counted them). */
export function parseIperf(json: string): IperfFigures {
  const d = JSON.parse(json) as { error?: string; end?: { sum_received?: { bits_per_second: number; packets?: number; lost_packets?: number }; sum_sent?: { retransmits?: number } } };
  if (d.error) throw new Error(`iperf3: ${d.error}`);
  const r = d.end?.sum_received;
  if (!r) throw new Error('iperf3 printed no receiver summary');
  return { mbit: r.bits_per_second / 1e6, ...(r.packets !== undefined ? { packets: r.packets, lost: r.lost_packets ?? 0 } : {}), ...(d.end?.sum_sent?.retransmits !== undefined ? { retransmits: d.end.sum_sent.retransmits } : {}) };
}

/** One iperf3 run from `client` to a one-shot server started in `server` on `dst`. */
export async function iperf(client: Exec, server: Exec, dst: string, args: readonly string[], seconds: number): Promise<IperfFigures> {
  const pid = `/run/olcond-iperf-${process.pid}.pid`;
  await server(['iperf3', '-s', '-1', '-B', dst, '-D', '--pidfile', pid]);
  try {
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 150));
      if ((await server(['test', '-s', pid])).code === 0) break;
    }
    const r = await client(['iperf3', '-c', dst, '-t', String(seconds), '-J', ...args], (seconds + 30) * 1000);
    return parseIperf(r.stdout);
  } finally {
    await server(['sh', '-c', `p=$(cat ${pid} 2>/dev/null) && kill "$p" 2>/dev/null; rm -f ${pid}`]);
  }
}

/** A figure for tables: 3 significant digits. */
export const fig = (x: number): string => (Number.isFinite(x) ? String(Number(x.toPrecision(3))) : '-');
