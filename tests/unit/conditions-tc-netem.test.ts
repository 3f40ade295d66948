/**
 * readTc / compareTc / inForce on what tc really printed for shapeDevice's scripts: netem cases
 * captured in the full-kernel VM (Debian 12's 6.1 kernel has sch_netem; this machine's has not),
 * by tests/conditions/capture-tc.ts from the cases in tests/conditions/capture-cases.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareTc, inForce, readTc, shapeDevice, type TcState } from '../../src/shared/conditions-tc.js';
import { CAPTURE_CASES } from '../conditions/capture-cases.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/tc/${name}`, import.meta.url), 'utf8');
const captured = Object.keys(CAPTURE_CASES).filter((n) => !n.endsWith('beside-other-netem'));

describe('netem read back from real tc output', () => {
  it.each(captured)('%s: what was asked is what reads back (compareTc finds nothing)', (name) => {
    const text = fixture(name === 'htb-rate-only-v4-v6' ? 'htb-rates-v4-v6.debian-6.1.txt' : `${name}.txt`);
    const { expect: asked } = shapeDevice(CAPTURE_CASES[name]!);
    expect(compareTc(asked, readTc(text))).toEqual([]);
  });

  it('netem JSON: delay and jitter in seconds become ms, loss and correlation fractions become %', () => {
    const s = readTc(fixture('netem-delay-jitter-v4-v6.txt'));
    expect(s.qdiscs.filter((x) => x.kind === 'netem').map((x) => [x.handle, x.parent, x.netem])).toEqual([
      ['100:', '1:10', { limit: 1000, delay: 20, jitter: 1 }],
      ['101:', '1:11', { limit: 1000, delay: 3, jitter: 6 }],
    ]);
    const l = readTc(fixture('netem-loss-correlation-v4-v6.txt'));
    expect(l.qdiscs.filter((x) => x.kind === 'netem').map((x) => x.netem)).toEqual([
      { limit: 1000, loss: 1 },
      { limit: 1000, loss: 1, lossCorrelation: 25 },
    ]);
  });

  it('duplicate, reorder (netem sets gap 1 by itself) and corrupt', () => {
    expect(readTc(fixture('netem-duplicate-v4.txt')).qdiscs.find((x) => x.kind === 'netem')?.netem).toEqual({ limit: 1000, duplicate: 0.5 });
    expect(readTc(fixture('netem-reorder-corrupt-v4-v6.txt')).qdiscs.filter((x) => x.kind === 'netem').map((x) => x.netem)).toEqual([
      { limit: 1000, delay: 10, reorder: 2 },
      { limit: 1000, corrupt: 0.1 },
    ]);
  });

  it('htb classes print "leaf H:" before prio when a netem hangs under them: the rate still reads', () => {
    const s = readTc(fixture('netem-rate-delay-loss-v4-v6.txt'));
    expect(s.classes.map((c) => [c.id, c.rateMbit]).sort()).toEqual([
      ['1:1', 100_000],
      ['1:10', 50],
      ['1:11', 20],
      ['1:ffff', 100_000],
    ]);
    expect(s.filters).toEqual([
      { flowid: '1:10', address: '198.18.0.2' },
      { flowid: '1:11', address: 'fd00::3' },
    ]);
  });

  it('inForce: per peer address the link leg with the uplink composed in (rate on htb, the rest on netem; the BDP queue is not a condition)', () => {
    expect(inForce(readTc(fixture('netem-rate-delay-loss-v4-v6.txt')))).toEqual({
      '*': {},
      '198.18.0.2': { delay: 20, loss: 1, rate: 50 },
      'fd00::3': { delay: 75, jitter: 2, loss: 0.05, rate: 20 },
    });
    expect(inForce(readTc(fixture('netem-uplink-all-v4-v6.txt')))).toEqual({
      '*': { delay: 10, rate: 10 },
      '198.18.0.2': { delay: 30, loss: 0.1, rate: 10 },
      'fd00::3': { delay: 10, rate: 10 },
    });
  });

  it('a read-back that differs from what was asked is one line per difference, naming the peer', () => {
    const asked = shapeDevice({ ...CAPTURE_CASES['netem-rate-delay-loss-v4-v6']!, peers: CAPTURE_CASES['netem-rate-delay-loss-v4-v6']!.peers.map((p, i) => (i === 0 ? { ...p, condition: { delay: 25, loss: 2, rate: 50 } } : p)) }).expect;
    const lines = compareTc(asked, readTc(fixture('netem-rate-delay-loss-v4-v6.txt')));
    expect(lines).toEqual([
      'ovc0 to b: delay 25 ms asked, 20 ms in force',
      'ovc0 to b: loss 2 % asked, 1 % in force',
      'ovc0 to b: queue limit 209 packets asked, 167 packets in force',
    ]);
  });

  it('a netem gone from under its class (e.g. removed by hand) is said', () => {
    const s = readTc(fixture('netem-loss-correlation-v4-v6.txt'));
    const without: TcState = { ...s, qdiscs: s.qdiscs.filter((x) => x.parent !== '1:11') };
    expect(compareTc(shapeDevice(CAPTURE_CASES['netem-loss-correlation-v4-v6']!).expect, without)).toEqual(['ovc0 to c: no netem under 1:11']);
  });

  it('the kernel refuses a duplicating netem beside another netem in one tree (kept as the message the kernel gave)', () => {
    expect(fixture('netem-duplicate-beside-other-netem.refused.txt')).toMatch(/cannot mix duplicating netems with other netems in tree/);
  });
});
