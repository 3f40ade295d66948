/**
 * The tool registry: the only list, each entry consistent with its own schema, and what reads it
 * (the suite schema's union, test names, deadlines, --duration, the analysis of declared metrics).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toolFiguresOf } from '../../view/table.js';
import { summarisePath } from '../analyse.js';
import type { TestRecord } from '../results.js';
import { SuiteTest } from '../suite-schema.js';
import { testName, testSeconds } from '../suites.js';
import type { MeasuredPath } from '../targets.js';
import { TOOL_IDS, TOOLS, toolOf, toolOfTest } from './index.js';

const path = (type: MeasuredPath['type']): MeasuredPath => ({
  id: type === 'lan' ? 'lan.h1.h2' : `l1.${type}`,
  type,
  label: 'a → b',
  src: { hostId: 'h1', host: 'a', address: '10.9.0.1' },
  dst: { hostId: 'h2', host: 'b', address: '10.9.0.2' },
  mtu: 1450,
});

describe('the tool registry', () => {
  it('lists each tool once, and each one’s schema accepts only its own tool name', () => {
    expect(new Set(TOOL_IDS).size).toBe(TOOLS.length);
    for (const t of TOOLS) {
      expect(t.schema.shape.tool.value).toBe(t.id);
      const other = TOOL_IDS.find((x) => x !== t.id)!;
      expect(t.schema.safeParse({ tool: other }).success).toBe(false);
    }
  });

  it('refuses an unknown tool in a suite, naming every tool it knows', () => {
    const r = SuiteTest.safeParse({ tool: 'iperf4', duration: 3 });
    expect(r.success).toBe(false);
    const msg = r.error!.issues[0]!.message;
    for (const id of TOOL_IDS) expect(msg).toContain(id);
    expect(() => toolOf('iperf4')).toThrow(/unknown measurement tool "iperf4"; supported: ping, iperf3/);
  });

  it('names, times and shortens tests through their tool', () => {
    const tests = [
      SuiteTest.parse({ tool: 'ping', count: 50, interval: 0.2 }),
      SuiteTest.parse({ tool: 'iperf3', protocol: 'udp', bytes: '100M' }),
      SuiteTest.parse({ tool: 'iperf2', protocol: 'tcp', duration: 7 }),
      SuiteTest.parse({ tool: 'netperf', test: 'TCP_RR', duration: 4 }),
    ];
    expect(tests.map(testName)).toEqual(['ping', 'iperf3-udp', 'iperf2-tcp', 'netperf-tcp_rr']);
    // ping: 50 × 0.2 s + 2; 100 MB at the 100 Mbit/s floor: 8 s + 2; durations + 1.
    expect(tests.map(testSeconds)).toEqual([12, 10, 8, 5]);
    const short = tests.map((t) => toolOf(t).withDuration(t, 3));
    expect(short[0]).toMatchObject({ count: 15 });
    expect(short[1]).not.toHaveProperty('bytes');
    expect(short.slice(1).map((t) => (t as { duration: number }).duration)).toEqual([3, 3, 3]);
  });

  it('gives each tool’s client its path: ping from the LAN gateway on LAN paths, iperf3 reversed with -R, netperf UDP messages that fit the MTU', () => {
    const bundle = '/var/lib/overlab/bundle';
    const ping = SuiteTest.parse({ tool: 'ping', count: 3, interval: 0.2 });
    expect(toolOf(ping).client(ping, { path: path('lan'), port: 0, direction: 'forward', bundle })).toMatch(/-I 10\.9\.0\.1 10\.9\.0\.2$/);
    expect(toolOf(ping).client(ping, { path: path('tunnel'), port: 0, direction: 'forward', bundle })).not.toContain('-I');
    const ip3 = SuiteTest.parse({ tool: 'iperf3', protocol: 'tcp', duration: 2 });
    expect(toolOf(ip3).directions(ip3)).toEqual(['forward', 'reverse']);
    expect(toolOf(ip3).client(ip3, { path: path('tunnel'), port: 20001, direction: 'reverse', bundle })).toMatch(/-p 20001 .* -R/);
    const np = SuiteTest.parse({ tool: 'netperf', test: 'UDP_STREAM', duration: 2 });
    expect(toolOf(np).client(np, { path: path('tunnel'), port: 20001, direction: 'forward', bundle })).toContain('-m 1422');
    expect(TOOLS.filter((t) => t.lanPaths).map((t) => t.id)).toEqual(['ping']);
  });
});

describe('figures of tools that give values', () => {
  const rec = (rep: number, values: Record<string, number>, error?: string): TestRecord => ({
    id: `l1.tunnel/x-tcp/forward/${rep}`,
    pathId: 'l1.tunnel',
    test: 'x-tcp',
    direction: 'forward',
    repetition: rep,
    startedAt: '2026-12-07T00:00:00Z',
    seconds: 1,
    command: '',
    raw: '',
    values,
    ...(error ? { error } : {}),
  });

  it('are each key’s mean with its interval across repetitions, failed tests left out', () => {
    const s = summarisePath(path('tunnel'), [rec(1, { a: 1, b: 10 }), rec(2, { a: 3, b: 30 }), rec(3, { a: 100 }, 'timed out')]);
    const m = s.metrics!['x-tcp:forward']!;
    expect(m.a!.mean).toBe(2);
    expect(m.a!.values).toEqual([1, 3]);
    expect(m.a!.ci95!.low).toBeLessThan(2);
    expect(m.b!.mean).toBe(20);
  });

  it('are absent from a summary where no test gave any (existing results keep their shape)', () => {
    const s = summarisePath(path('tunnel'), []);
    expect(s).not.toHaveProperty('metrics');
  });
});

describe('a registered tool from its real output to the per-link table', () => {
  it('labels each figure with its tool’s metric and unit: netperf TCP_RR captured in the lab, two repetitions', () => {
    const text = readFileSync(new URL('../../../../tests/fixtures/tools/netperf-rr/tcp-rr.txt', import.meta.url), 'utf8');
    const t = SuiteTest.parse({ tool: 'rr', test: 'TCP_RR', duration: 2 });
    const tool = toolOf(t);
    const name = tool.testName(t);
    expect(toolOfTest(name)).toBe(tool);
    const parsed = tool.parse(t, { stdout: text, stderr: '', server: '' });
    expect(parsed.error).toBeUndefined();
    const rec = (rep: number): TestRecord => ({ id: `l1.tunnel/${name}/forward/${rep}`, pathId: 'l1.tunnel', test: name, direction: 'forward', repetition: rep, startedAt: '2026-12-07T00:00:00Z', seconds: 2, command: '', raw: '', ...parsed });
    const rows = toolFiguresOf(summarisePath(path('tunnel'), [rec(1), rec(2)]));
    const tps = rows.find((r) => r.key === `${name}:forward:transactionsPerSecond`)!;
    // The fixture's first field is THROUGHPUT (transactions per second).
    expect(tps.value).toBe(Number(text.split(',')[0]));
    expect(tps).toMatchObject({ unit: 'trans/s', feeds: 'rr', better: 'higher', label: `${name}: ${tool.metrics.find((m) => m.key === 'transactionsPerSecond')!.label}` });
    // Only declared metrics become rows, in the tool's order.
    const declared = tool.metrics.map((m) => m.key);
    const keys = rows.map((r) => r.key.split(':')[2]!);
    expect(keys.every((k) => declared.includes(k))).toBe(true);
    expect(keys).toEqual([...keys].sort((a, b) => declared.indexOf(a) - declared.indexOf(b)));
  });
});
