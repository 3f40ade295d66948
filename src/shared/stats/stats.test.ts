import { describe as group, expect, it } from 'vitest';
import { cdf, clusterBy, density, describe, histogram, meanDelta, meanInterval, rfc3550Jitter } from './index.js';

group('describe', () => {
  it('gives mean, sample σ, extremes and percentiles', () => {
    const d = describe([5, 1, 4, 2, 3])!;
    expect(d).toMatchObject({ n: 5, mean: 3, min: 1, max: 5, p50: 3 });
    expect(d.sd).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(describe([])).toBeUndefined();
    expect(describe([7])).toMatchObject({ n: 1, mean: 7, sd: 0, p95: 7 });
  });

  it('interpolates percentiles between ranks at (n − 1)·p (numpy’s default, R type 7)', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    // (n − 1)·0.95 = 94.05: 95 + 0.05 × (96 − 95).
    expect(describe(xs)!.p95).toBeCloseTo(95.05, 12);
    expect(describe(xs)!.p99).toBeCloseTo(99.01, 12);
    expect(describe(xs)!.p50).toBe(50.5);
    expect(describe([...xs, 101])).toMatchObject({ p50: 51, p95: 96, p99: 100 });
  });
});

group('meanInterval', () => {
  it('uses Student’s t with n − 1 degrees of freedom (a textbook case)', () => {
    // mean 14, s = √10, se = √2, t(0.975, 4) = 2.776445…
    const ci = meanInterval([10, 12, 14, 16, 18])!;
    expect(ci.halfWidth).toBeCloseTo(2.776445105 * Math.SQRT2, 6);
    expect(ci.low).toBeCloseTo(14 - 3.926486, 5);
    expect(ci.high).toBeCloseTo(14 + 3.926486, 5);
    expect(meanInterval([1])).toBeUndefined();
  });

  it('narrows with more repetitions of the same spread', () => {
    const few = meanInterval([1, 2, 3])!;
    const many = meanInterval([1, 2, 3, 1, 2, 3, 1, 2, 3])!;
    expect(many.halfWidth).toBeLessThan(few.halfWidth);
  });
});

group('jitter', () => {
  it('follows RFC 3550’s running estimate J += (|D| − J)/16', () => {
    // |D| = 1, 1, 1: J = 1/16, then + (1 − J)/16 twice.
    const j1 = 1 / 16;
    const j2 = j1 + (1 - j1) / 16;
    const j3 = j2 + (1 - j2) / 16;
    expect(rfc3550Jitter([0, 1, 0, 1])).toBeCloseTo(j3, 12);
    expect(rfc3550Jitter([3, 3, 3])).toBe(0);
    expect(rfc3550Jitter([3])).toBeUndefined();
    expect(meanDelta([0, 1, 3])).toBe(1.5);
  });
});

group('histogram, density, CDF', () => {
  const xs = [0.1, 0.12, 0.11, 0.13, 0.1, 0.2, 0.11, 0.12, 0.14, 0.1, 0.11, 0.5];
  it('puts every value in one bin', () => {
    const h = histogram(xs)!;
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(xs.length);
    expect(h.start).toBe(0.1);
    expect(h.start + h.width * h.counts.length).toBeCloseTo(0.5, 12);
    expect(histogram([2, 2, 2])).toEqual({ start: 2, width: 0, counts: [3] });
  });

  it('gives a density that integrates to about one', () => {
    const d = density(xs, 400)!;
    let area = 0;
    for (let i = 1; i < d.x.length; i++) area += ((d.y[i]! + d.y[i - 1]!) / 2) * (d.x[i]! - d.x[i - 1]!);
    expect(area).toBeGreaterThan(0.9);
    expect(area).toBeLessThan(1.01);
  });

  it('gives an empirical CDF that ends at one', () => {
    const c = cdf([3, 1, 2]);
    expect(c).toEqual({ x: [1, 2, 3], p: [1 / 3, 2 / 3, 1] });
  });
});

group('clusterBy (ckmeans)', () => {
  it('matches simple-statistics’ worked example', () => {
    const data = [-1, 2, -1, 2, 4, 5, 6, -1, 2, -1];
    const r = clusterBy(data, (x) => x, { k: 3 });
    expect(r.clusters.map((c) => [...c.members].sort((a, b) => a - b))).toEqual([[-1, -1, -1, -1], [2, 2, 2], [4, 5, 6]]);
    expect(r.clusters.map((c) => c.mean)).toEqual([-1, 2, 5]);
    expect(r.clusters[2]!.sd).toBe(1);
  });

  it('chooses k where a cluster more explains little, and keeps items with their values', () => {
    // Three groups of tunnels by mean RTT (ms), as in the paper's cluster figures.
    const kinds = [
      { id: 'clean', rtt: 0.1 }, { id: 'vxlan', rtt: 0.11 }, { id: 'gre', rtt: 0.12 },
      { id: 'wireguard', rtt: 0.3 }, { id: 'ipsec-tunnel', rtt: 0.32 },
      { id: 'openvpn', rtt: 0.9 }, { id: 'tinc', rtt: 1.0 },
    ];
    const r = clusterBy(kinds, (k) => k.rtt);
    expect(r.k).toBe(3);
    expect(r.clusters.map((c) => c.members.map((m) => m.id))).toEqual([['clean', 'vxlan', 'gre'], ['wireguard', 'ipsec-tunnel'], ['openvpn', 'tinc']]);
    expect(clusterBy([{ v: 1 }, { v: 1 }], (x) => x.v).k).toBe(1);
  });

  it('keeps as one cluster what lies closer than the noise floor, and says it is a tie', () => {
    // The demo's three identical VXLAN links: k-means alone splits 0.061, 0.067 | 0.089.
    const links = [{ id: 'a', rtt: 0.061 }, { id: 'b', rtt: 0.067 }, { id: 'c', rtt: 0.089 }];
    const plain = clusterBy(links, (l) => l.rtt);
    expect(plain.k).toBeGreaterThan(1);
    const r = clusterBy(links, (l) => l.rtt, { noise: 0.03 });
    expect(r.k).toBe(1);
    expect(r.clusters[0]!.members.map((m) => m.id)).toEqual(['a', 'b', 'c']);
    expect(r.clusters[0]!.tie).toBe(true);
    // A gap wider than the floor still separates, and a lone member is no tie.
    const two = clusterBy([...links, { id: 'd', rtt: 0.8 }], (l) => l.rtt, { noise: 0.03 });
    expect(two.clusters.map((c) => c.members.map((m) => m.id))).toEqual([['a', 'b', 'c'], ['d']]);
    expect(two.clusters.map((c) => c.tie)).toEqual([true, false]);
  });
});
