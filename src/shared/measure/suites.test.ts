/**
 * The built-in suites: `thorough` carries every measurement that separates tunnels (issue 22),
 * each test valid against its tool's own schema, and `--duration` reaches each through its tool.
 */
import { describe, expect, it } from 'vitest';
import { MeasurementSchema } from '../schema.js';
import { SuiteTest } from './suite-schema.js';
import { BUILTIN_SUITES, resolveSuite, testName, testSeconds, type Suite } from './suites.js';

const m = MeasurementSchema.parse({});
const suite = (name: string, over = {}): Suite => {
  const s = resolveSuite(name, m, over);
  if (typeof s === 'string') throw new Error(s);
  return s;
};

describe('the thorough suite', () => {
  it('is built in and has latency under load, bidir and many streams, UDP at a rate, both RR tests with intervals, and time to first packet', () => {
    expect(BUILTIN_SUITES).toContain('thorough');
    const s = suite('thorough');
    expect(s.tests.map(testName)).toEqual(['ping', 'rrul', 'bulk-tcp-bidir', 'bulk-tcp-p4', 'bulk-udp', 'rr-tcp', 'rr-udp', 'handshake', 'handshake-far', 'handshake-both']);
    for (const t of s.tests) expect(SuiteTest.parse(t)).toEqual(t);
  });

  it('takes --duration through each tool (the load phases, the streams, each RR iteration)', () => {
    const s = suite('thorough', { duration: 3 });
    const by = (name: string): SuiteTest => s.tests.find((t) => testName(t) === name)!;
    expect(by('rrul')).toMatchObject({ duration: 3, idle: 3 });
    expect(by('bulk-tcp-p4')).toMatchObject({ duration: 3 });
    expect(by('rr-tcp')).toMatchObject({ duration: 3 });
    expect(testSeconds(by('rrul'))).toBeLessThan(testSeconds(suite('thorough').tests.find((t) => testName(t) === 'rrul')!));
  });

  it('leaves quick and paper as they were: no new tool in them', () => {
    for (const name of ['quick', 'paper']) for (const t of suite(name).tests) expect(['ping', 'iperf3', 'iperf2', 'netperf']).toContain(t.tool);
  });
});
