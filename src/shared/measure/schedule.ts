/**
 * The order of a run's tests. RTT series may run side by side (a ping costs next to nothing);
 * a throughput test must have its two hosts to itself, so throughput tests are grouped in
 * rounds in which no host is in two tests at once — an edge colouring of the graph whose
 * edges are the tests. Rounds of the same test take the same time, so a run takes about
 * rounds × test duration: a full mesh of N hosts about N − 1 rounds per test and path type,
 * not N(N − 1)/2 tests in a row.
 */

export interface Job<T> {
  readonly item: T;
  /** The two hosts (ids) the test occupies. */
  readonly hosts: readonly [string, string];
}

/**
 * Rounds over `jobs` where no host appears twice in a round. Greedy over the jobs in an order
 * that starts with the busiest hosts (largest degree first), each job in the first round where
 * both its hosts are free; on a complete graph of even order this meets the N − 1 optimum, and
 * it never uses more than 2Δ − 1 rounds.
 */
export function rounds<T>(jobs: readonly Job<T>[]): Job<T>[][] {
  const degree = new Map<string, number>();
  for (const j of jobs) for (const h of j.hosts) degree.set(h, (degree.get(h) ?? 0) + 1);
  const order = jobs
    .map((j, i) => ({ j, i, d: degree.get(j.hosts[0])! + degree.get(j.hosts[1])! }))
    .sort((x, y) => y.d - x.d || x.i - y.i)
    .map((x) => x.j);
  const out: { jobs: Job<T>[]; busy: Set<string> }[] = [];
  for (const j of order) {
    let r = out.find((x) => !x.busy.has(j.hosts[0]) && !x.busy.has(j.hosts[1]));
    if (!r) out.push((r = { jobs: [], busy: new Set() }));
    r.jobs.push(j);
    r.busy.add(j.hosts[0]).add(j.hosts[1]);
  }
  return out.map((r) => r.jobs);
}

const pairKey = (a: string, b: string): string => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

/**
 * Rounds for `jobs`: several jobs between the same two hosts (the tunnel and the underlay, both
 * directions) are laid out in layers — the first job of every pair, then the second … — each
 * layer scheduled on its own, so that a complete graph gets the round-robin optimum in each.
 */
export function schedule<T>(jobs: readonly Job<T>[]): Job<T>[][] {
  const layers: Job<T>[][] = [];
  const seen = new Map<string, number>();
  for (const j of jobs) {
    const k = pairKey(j.hosts[0], j.hosts[1]);
    const layer = seen.get(k) ?? 0;
    seen.set(k, layer + 1);
    (layers[layer] ??= []).push(j);
  }
  return layers.flatMap((layer) => roundRobin(layer) ?? rounds(layer));
}

/**
 * A round-robin (circle method) schedule when the jobs form a complete graph with one job per
 * pair: exactly N − 1 rounds for even N, N for odd; undefined for any other graph.
 */
function roundRobin<T>(jobs: readonly Job<T>[]): Job<T>[][] | undefined {
  const hosts = [...new Set(jobs.flatMap((j) => j.hosts))];
  const n = hosts.length;
  const byPair = new Map<string, Job<T>>();
  for (const j of jobs) {
    const k = pairKey(j.hosts[0], j.hosts[1]);
    if (byPair.has(k)) return undefined;
    byPair.set(k, j);
  }
  if (n < 3 || byPair.size !== (n * (n - 1)) / 2) return undefined;
  const ring = n % 2 === 0 ? [...hosts] : [...hosts, ''];
  const m = ring.length;
  const out: Job<T>[][] = [];
  for (let r = 0; r < m - 1; r++) {
    const round: Job<T>[] = [];
    for (let i = 0; i < m / 2; i++) {
      const a = ring[i]!;
      const b = ring[m - 1 - i]!;
      if (a && b) round.push(byPair.get(pairKey(a, b))!);
    }
    out.push(round);
    // Keep the first, rotate the rest.
    ring.splice(1, 0, ring.pop()!);
  }
  return out;
}

/**
 * Runs `jobs` in their order without waiting for whole rounds: a job starts as soon as it is
 * the next job of both its hosts (each host's jobs keep their order), so no host is ever in two
 * jobs at once, and a pair that finishes early starts its next job instead of waiting for the
 * slowest pair of its round — a run never takes longer than its rounds one after the other.
 *
 * `prepare`, when given, is called for a job as soon as it is at most one job away on each of
 * its hosts (their current job running): its result reaches `run` as `prepared`, so what can be
 * readied ahead (a server listening for the next test) is done while the hosts finish their
 * current job. A job whose hosts were free at once gets no `prepared`. Once `stop()` says so,
 * nothing further is prepared or started; the promise resolves when the running jobs and the
 * preparations under way have ended.
 */
export async function runInOrder<T, P = undefined>(
  jobs: readonly Job<T>[],
  run: (job: Job<T>, index: number, prepared?: Promise<NoInfer<P>>) => Promise<void>,
  stop: () => boolean = () => false,
  prepare?: (job: Job<T>, index: number) => Promise<P>,
): Promise<void> {
  const queues = new Map<string, number[]>();
  const hostsOf = jobs.map((j) => [...new Set(j.hosts)]);
  hostsOf.forEach((hs, i) => {
    for (const h of hs) {
      if (!queues.has(h)) queues.set(h, []);
      queues.get(h)!.push(i);
    }
  });
  const started = new Set<number>();
  const prepared = new Map<number, Promise<P>>();
  const ready = (i: number): boolean => !started.has(i) && hostsOf[i]!.every((h) => queues.get(h)![0] === i);
  const nextUp = (i: number): boolean => hostsOf[i]!.every((h) => {
    const q = queues.get(h)!;
    return q[0] === i || (q[1] === i && started.has(q[0]!));
  });
  await new Promise<void>((resolve, reject) => {
    let running = 0;
    const pump = (candidates: Iterable<number>): void => {
      if (!stop()) {
        for (const i of candidates) {
          if (!ready(i)) continue;
          started.add(i);
          running++;
          run(jobs[i]!, i, prepared.get(i)).then(
            () => {
              running--;
              // Its hosts move on to their next jobs, which may now be ready.
              for (const h of hostsOf[i]!) queues.get(h)!.shift();
              pump(hostsOf[i]!.map((h) => queues.get(h)![0]).filter((x): x is number => x !== undefined));
            },
            (e: unknown) => reject(e),
          );
        }
        if (prepare) {
          // Each busy host's next job, once it is next on all its hosts.
          for (const q of queues.values()) {
            const k = q[1];
            if (k === undefined || prepared.has(k) || started.has(k) || !started.has(q[0]!) || !nextUp(k)) continue;
            const p = prepare(jobs[k]!, k);
            p.catch(() => undefined); // handled by run, which awaits it
            prepared.set(k, p);
          }
        }
      }
      // Done: also once every preparation has settled, so that nothing prepared outlives the
      // call (a cancelled run's cleanup must find every server it started).
      if (running === 0) void Promise.allSettled(prepared.values()).then(() => resolve());
    };
    pump(jobs.keys());
  });
}
