import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { rounds, runInOrder, schedule, type Job } from './schedule.js';

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

describe('runInOrder', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** Runs `jobs` with the given durations (ms, by item) on fake timers; returns each job's [start, end]. */
  async function timeline(jobs: readonly Job<string>[], ms: (item: string) => number, stop?: () => boolean): Promise<Map<string, [number, number]>> {
    const t0 = Date.now();
    const spans = new Map<string, [number, number]>();
    const done = runInOrder(
      jobs,
      async (j) => {
        const start = Date.now() - t0;
        await new Promise((r) => setTimeout(r, ms(j.item)));
        spans.set(j.item, [start, Date.now() - t0]);
      },
      stop,
    );
    await vi.runAllTimersAsync();
    await done;
    return spans;
  }

  it('never puts a host in two jobs at once, and keeps each host’s jobs in their order', async () => {
    const jobs = schedule(complete(6)).flat();
    // Uneven durations, so that pairs drift apart from their rounds.
    const spans = await timeline(jobs, (item) => 10 + ((item.charCodeAt(0) * 7 + item.charCodeAt(2) * 13) % 40));
    expect(spans.size).toBe(jobs.length);
    for (const h of ['h0', 'h1', 'h2', 'h3', 'h4', 'h5']) {
      const mine = jobs.filter((j) => j.hosts.includes(h)).map((j) => spans.get(j.item)!);
      for (let i = 1; i < mine.length; i++) expect(mine[i]![0]).toBeGreaterThanOrEqual(mine[i - 1]![1]);
    }
  });

  it('a pair that finishes early starts its next job without waiting for the rest of its round', async () => {
    // Round 1: a–b (10 ms) and c–d (50 ms); round 2: a–b again. Barrier rounds would start it at 50 ms.
    const jobs: Job<string>[] = [
      { item: 'ab1', hosts: ['a', 'b'] },
      { item: 'cd1', hosts: ['c', 'd'] },
      { item: 'ab2', hosts: ['a', 'b'] },
    ];
    const spans = await timeline(jobs, (item) => (item === 'cd1' ? 50 : 10));
    expect(spans.get('ab2')).toEqual([10, 20]);
    expect(spans.get('cd1')).toEqual([0, 50]);
  });

  it('a job waits for the earlier jobs of both its hosts, on a mesh as long as its rounds one after the other', async () => {
    const jobs = schedule(complete(4)).flat();
    const spans = await timeline(jobs, () => 10);
    // K4: 3 rounds of 10 ms.
    expect(Math.max(...[...spans.values()].map((s) => s[1]))).toBe(30);
  });

  it('starts nothing more once stopped, and ends when the running jobs have', async () => {
    const jobs = schedule(complete(4)).flat();
    let begun = 0;
    const spans = await timeline(
      jobs,
      () => {
        begun++;
        return 10;
      },
      () => begun >= 2,
    );
    // The first round (two jobs) ran; nothing after it.
    expect(spans.size).toBe(2);
  });

  it('prepares a job while its hosts finish their current one, never two ahead, and hands it to the run', async () => {
    // a–b twice, then b–c: b–c is two jobs away on b until the first a–b ends.
    const jobs: Job<string>[] = [
      { item: 'ab1', hosts: ['a', 'b'] },
      { item: 'ab2', hosts: ['a', 'b'] },
      { item: 'bc', hosts: ['b', 'c'] },
    ];
    const t0 = Date.now();
    const preparedAt = new Map<string, number>();
    const got = new Map<string, string | undefined>();
    const done = runInOrder<string, string>(
      jobs,
      async (j, _i, prepared) => {
        got.set(j.item, prepared ? await prepared : undefined);
        await new Promise((r) => setTimeout(r, 10));
      },
      () => false,
      async (j) => {
        preparedAt.set(j.item, Date.now() - t0);
        return `ready:${j.item}`;
      },
    );
    await vi.runAllTimersAsync();
    await done;
    expect(got).toEqual(new Map([['ab1', undefined], ['ab2', 'ready:ab2'], ['bc', 'ready:bc']]));
    // ab2 while ab1 ran; bc only once ab1 was done (while ab2 ran).
    expect(preparedAt).toEqual(new Map([['ab2', 0], ['bc', 10]]));
  });

  it('once stopped, ends only when the preparations under way have settled', async () => {
    const jobs: Job<string>[] = [
      { item: 'ab1', hosts: ['a', 'b'] },
      { item: 'ab2', hosts: ['a', 'b'] },
    ];
    let stopped = false;
    let preparedDone = false;
    let ended = false;
    const done = runInOrder<string, void>(
      jobs,
      async () => {
        await new Promise((r) => setTimeout(r, 10));
        stopped = true; // cancelled while ab2's preparation (50 ms) is under way
      },
      () => stopped,
      async () => {
        await new Promise((r) => setTimeout(r, 50));
        preparedDone = true;
      },
    ).then(() => (ended = true));
    await vi.advanceTimersByTimeAsync(20);
    expect(ended).toBe(false);
    await vi.runAllTimersAsync();
    await done;
    expect(preparedDone).toBe(true);
    expect(ended).toBe(true);
  });

  it('an empty list is done at once', async () => {
    await expect(runInOrder([], async () => undefined)).resolves.toBeUndefined();
  });
});
