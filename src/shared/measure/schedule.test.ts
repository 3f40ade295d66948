import { describe, expect, it } from 'vitest';
import { rounds, schedule, type Job } from './schedule.js';

const complete = (n: number): Job<string>[] => {
  const jobs: Job<string>[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) jobs.push({ item: `${i}-${j}`, hosts: [`h${i}`, `h${j}`] });
  return jobs;
};

/** Every job once, and no host twice in a round. */
function valid(jobs: readonly Job<string>[], out: Job<string>[][]): void {
  expect(out.flat().map((j) => j.item).sort()).toEqual(jobs.map((j) => j.item).sort());
  for (const r of out) {
    const hosts = r.flatMap((j) => j.hosts);
    expect(new Set(hosts).size).toBe(hosts.length);
  }
}

describe('schedule', () => {
  it.each([4, 6, 8, 10])('a full mesh of %i hosts takes N − 1 rounds', (n) => {
    const jobs = complete(n);
    const out = schedule(jobs);
    valid(jobs, out);
    expect(out).toHaveLength(n - 1);
    for (const r of out) expect(r).toHaveLength(n / 2);
  });

  it.each([3, 5, 7])('a full mesh of %i hosts (odd) takes N rounds', (n) => {
    const jobs = complete(n);
    const out = schedule(jobs);
    valid(jobs, out);
    expect(out).toHaveLength(n);
  });

  it('a hub and N spokes takes N rounds: the hub is in every test', () => {
    const jobs = Array.from({ length: 5 }, (_, i): Job<string> => ({ item: `s${i}`, hosts: ['hub', `s${i}`] }));
    const out = schedule(jobs);
    valid(jobs, out);
    expect(out).toHaveLength(5);
  });

  it('two tests per pair (tunnel and underlay) of a 6-host mesh: 2(N − 1) rounds', () => {
    const jobs = [...complete(6), ...complete(6).map((j) => ({ ...j, item: `${j.item}u` }))];
    const out = schedule(jobs);
    valid(jobs, out);
    expect(out).toHaveLength(10);
  });

  it('greedy rounds stay within 2Δ − 1 on an irregular graph', () => {
    const jobs: Job<string>[] = [['a', 'b'], ['a', 'c'], ['a', 'd'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f'], ['b', 'f']].map(([x, y]) => ({ item: `${x}${y}`, hosts: [x!, y!] }));
    const out = rounds(jobs);
    valid(jobs, out);
    expect(out.length).toBeLessThanOrEqual(2 * 3 - 1);
    expect(out.length).toBeGreaterThanOrEqual(3);
  });
});
