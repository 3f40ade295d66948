/**
 * Latency under load on real output (tests/fixtures/tools/capture.sh): a VXLAN site-to-site on
 * the embedded lab with tbf 50 Mbit/s on both underlays, and the same link without the limit.
 * Expected figures come from the fixture itself (ping's own summaries, iperf3's JSON read
 * directly), never from the parser under test.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkRrul, parseRrul, rrulCommand, rrulPhases, type RrulRequest } from './rrul.js';

const fixture = (name: string): string => readFileSync(new URL(`../../../../tests/fixtures/tools/rrul/${name}`, import.meta.url), 'utf8');

/** The fixture's part after a marker line, as text. */
const part = (text: string, head: string): string => {
  const lines = text.split('\n');
  const i = lines.indexOf(`### overlab-rrul ${head}`);
  const j = lines.findIndex((l, k) => k > i && l.startsWith('### overlab-rrul'));
  return lines.slice(i + 1, j).join('\n');
};
/** The lowest and highest reply times a part printed (ping rounds above 10 ms to 3 digits, finer in its summary). */
const summary = (text: string): { min: number; max: number } => {
  const rtts = [...text.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  return { min: Math.min(...rtts), max: Math.max(...rtts) };
};

const REQ: RrulRequest = { address: '198.19.0.1', port: 5301, idleSeconds: 3, loadSeconds: 2, flows: [1, 4, 8], directions: ['up', 'down', 'both'], pingInterval: 0.1 };

describe('rrul: latency under load', () => {
  const text = fixture('vxlan-tbf50.txt');
  const r = parseRrul(text);

  it('reads idle RTT quantiles within ping’s own min and max, the median by sorting the replies', () => {
    expect(r.error).toBeUndefined();
    expect(r.partial).toBeUndefined();
    const s = summary(part(text, 'idle'));
    const rtts = [...part(text, 'idle').matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
    expect(r.idle!.samples).toBe(rtts.length);
    expect(r.idle!.median).toBeCloseTo((rtts[rtts.length / 2 - 1]! + rtts[rtts.length / 2]!) / 2, 6);
    expect(r.idle!.median).toBeGreaterThanOrEqual(s.min);
    expect(r.idle!.p95).toBeGreaterThanOrEqual(r.idle!.median);
    expect(r.idle!.p99).toBeGreaterThanOrEqual(r.idle!.p95);
    expect(r.idle!.p99).toBeLessThanOrEqual(s.max);
  });

  it('has one phase per flow count and direction, in the script’s order', () => {
    expect(r.phases.map((p) => `${p.flows}/${p.direction}`)).toEqual(rrulPhases(REQ).map((p) => `${p.flows}/${p.direction}`));
    expect(r.phases.every((p) => p.error === undefined)).toBe(true);
  });

  it('shows the queue the rate limit builds: loaded RTT well above idle, growing with the flows, bloat = loaded − idle', () => {
    for (const p of r.phases) {
      const s = summary(part(text, `load flows=${p.flows} direction=${p.direction}`));
      expect(p.rtt!.median).toBeGreaterThanOrEqual(s.min);
      expect(p.rtt!.p99).toBeLessThanOrEqual(s.max);
      // ping's own summaries: several ms loaded against about 0.1 ms idle.
      expect(p.rtt!.median).toBeGreaterThan(10 * r.idle!.median);
      expect(p.bloat!.median).toBeCloseTo(p.rtt!.median - r.idle!.median, 9);
      expect(p.bloat!.p99).toBeCloseTo(p.rtt!.p99 - r.idle!.p99, 9);
    }
    const up = (n: number): number => r.phases.find((p) => p.flows === n && p.direction === 'up')!.rtt!.median;
    expect(up(8)).toBeGreaterThan(up(1));
  });

  it('reports the throughput each load carried as iperf3’s receivers saw it, both ways summed for --bidir', () => {
    for (const p of r.phases) {
      const j = JSON.parse(part(text, `iperf3 flows=${p.flows} direction=${p.direction}`)) as { end: Record<string, { bits_per_second: number }> };
      const fwd = j.end.sum_received!.bits_per_second;
      if (p.direction === 'both') {
        const back = j.end.sum_received_bidir_reverse!.bits_per_second;
        expect(p.throughput).toEqual({ up: fwd, down: back, total: fwd + back });
      } else expect(p.throughput).toEqual(p.direction === 'up' ? { up: fwd, total: fwd } : { down: fwd, total: fwd });
      // Under the 50 Mbit/s of tbf (VXLAN's 50 B per packet come off it too).
      expect(p.throughput!.up ?? 0).toBeLessThan(50e6);
      expect(p.throughput!.down ?? 0).toBeLessThan(50e6);
    }
  });

  it('on the unlimited lab link finds no bloat to speak of (the queue is not on the path)', () => {
    const u = parseRrul(fixture('vxlan-unlimited.txt'));
    expect(u.error).toBeUndefined();
    for (const p of u.phases) expect(p.rtt!.median).toBeLessThan(1);
    const tbf8 = r.phases.find((p) => p.flows === 8 && p.direction === 'up')!;
    const free8 = u.phases.find((p) => p.flows === 8 && p.direction === 'up')!;
    expect(free8.throughput!.total).toBeGreaterThan(tbf8.throughput!.total);
  });

  it('with no iperf3 server: idle RTT kept, every phase says iperf3’s reason, the run is an error', () => {
    const f = parseRrul(fixture('refused.txt'));
    expect(f.idle?.samples).toBe(10);
    expect(f.phases).toHaveLength(9);
    for (const p of f.phases) expect(p.error).toBe('iperf3: unable to connect to server: Connection refused');
    expect(f.error).toMatch(/^every load phase failed \(iperf3: unable to connect/);
  });

  it('marks output cut short as partial, and text without markers as an error', () => {
    const text2 = fixture('vxlan-tbf50.txt');
    const cut = text2.slice(0, text2.indexOf('### overlab-rrul iperf3 flows=4 direction=up'));
    const c = parseRrul(cut);
    expect(c.partial).toBe(true);
    expect(c.phases.find((p) => p.flows === 4 && p.direction === 'up')!.error).toBe('iperf3: no output (cut short)');
    expect(parseRrul('sh: 1: iperf3: not found\n')).toMatchObject({ phases: [], error: 'the script printed no "### overlab-rrul" marker: sh: 1: iperf3: not found' });
  });
});

describe('rrul: the script', () => {
  it('pings idle, then during each load; quotes the address; a deadline bounds it', () => {
    const s = rrulCommand({ ...REQ, flows: [2], directions: ['down', 'both'] });
    expect(s).toContain("ping -D -n -c 30 -i 0.1 -W 1 198.19.0.1");
    expect(s).toContain("iperf3 -c 198.19.0.1 -p 5301 -J -i 1 -t 3 -O 1 -P 2 -R >");
    expect(s).toContain('-P 2 --bidir >');
    expect(s.split('; ').filter((l) => l.startsWith("echo '### overlab-rrul load"))).toHaveLength(2);
    expect(s).not.toContain('\n');
  });

  it('refuses a bad request naming the field and the fix', () => {
    expect(checkRrul({ ...REQ, flows: [0, 4], pingInterval: 0 })).toEqual([
      'flows: [0, 4]; list whole numbers from 1 to 128, e.g. [1, 4, 8]',
      'pingInterval: 0; use 0.01 to 10 seconds',
    ]);
    expect(() => rrulCommand({ ...REQ, directions: ['sideways' as 'up'] })).toThrow(/directions: \[sideways\]; list some of up, down, both/);
    expect(() => rrulCommand({ ...REQ, address: "x'; rm -rf /" })).not.toThrow();
    expect(rrulCommand({ ...REQ, address: "x'; rm -rf /" })).toContain(`'x'"'"'; rm -rf /'`);
  });
});
