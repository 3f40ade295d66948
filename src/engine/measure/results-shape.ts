/**
 * What a run's files must hold to be read back (shared/measure/results.ts has the types): the
 * fields the analysis, the digest, the CSV and the views read, down to the numbers. A newer
 * field Overlab adds is let be; one of these missing or of another type is damage.
 */
import { RESULTS_FORMAT } from '../../shared/measure/results.js';
import { absent, arr, bool, lit, num, obj, opt, rec, str, type Check } from '../shape.js';

const status = lit('complete', 'partial', 'cancelled', 'failed');
const pathType = lit('tunnel', 'underlay', 'lan');
const end = obj({ hostId: str, host: str, address: str });
const interval = obj({ low: num, high: num, halfWidth: num, level: num });
const figure = obj({ mean: num, ci95: opt(interval), values: arr(num), unit: str, over: lit('repetitions', 'intervals', 'samples') });
const cpu = obj({ busyPercent: num, userPercent: num, systemPercent: num, softirqPercent: num, cpus: num, seconds: num });
const total = obj({ seconds: num, bytes: num, bitsPerSecond: num, retransmits: opt(num) });

const ping = obj({
  tool: lit('ping'),
  transmitted: num,
  received: num,
  duplicates: num,
  lossPercent: num,
  reordered: num,
  errors: num,
  samples: arr(obj({ seq: num, t: num, rtt: num, dup: opt(lit(true)) })),
  replyBytes: opt(num),
  summary: opt(obj({ min: num, avg: num, max: num, mdev: num })),
  partial: opt(lit(true)),
  error: opt(str),
});

const throughput = obj({
  tool: lit('iperf3', 'iperf2'),
  protocol: lit('tcp', 'udp'),
  reverse: bool,
  streams: num,
  intervals: arr(obj({ start: num, end: num, bytes: num, bitsPerSecond: num, retransmits: opt(num), packets: opt(num) })),
  sent: opt(total),
  received: opt(total),
  udp: opt(obj({ jitterMs: num, lostPackets: num, packets: num, lostPercent: num, outOfOrder: opt(num) })),
  cpu: opt(obj({ local: num, remote: num })),
  version: opt(str),
  error: opt(str),
});

const netperf = obj({
  tool: lit('netperf'),
  test: str,
  throughput: num,
  units: str,
  elapsed: num,
  localCpu: opt(num),
  remoteCpu: opt(num),
  localSd: opt(num),
  remoteSd: opt(num),
  sdUnits: opt(str),
  transactionRate: opt(num),
  meanLatencyUs: opt(num),
  p99LatencyUs: opt(num),
  error: opt(str),
});

const test = obj({
  id: str,
  pathId: str,
  test: str,
  direction: lit('forward', 'reverse'),
  repetition: num,
  round: opt(num),
  startedAt: str,
  seconds: num,
  command: str,
  raw: str,
  rawServer: opt(str),
  rawEnds: opt(str),
  ping: opt(ping),
  throughput: opt(throughput),
  netperf: opt(netperf),
  cpu: opt(obj({ src: opt(cpu), dst: opt(cpu) })),
  error: opt(str),
});

const pathSummary = obj({
  pathId: str,
  type: pathType,
  linkId: opt(str),
  kind: opt(str),
  rtt: opt(
    obj({
      ms: obj({ n: num, mean: num, sd: num, min: num, max: num, p50: num, p95: num, p99: num }),
      ci95: opt(interval),
      jitterMs: opt(num),
      lossPercent: num,
      duplicates: num,
      reordered: num,
      sent: num,
      received: num,
    }),
  ),
  throughput: rec(obj({ mbps: figure, lossPercent: opt(num), jitterMs: opt(num), retransmits: opt(num), toolCpu: opt(obj({ local: num, remote: num })) })),
  netperf: rec(obj({ throughput: figure, units: str, localCpu: opt(num), remoteCpu: opt(num), localSd: opt(num), remoteSd: opt(num), sdUnits: opt(str), meanLatencyUs: opt(num) })),
  cpu: opt(obj({ src: opt(num), dst: opt(num) })),
  cpuPerGbps: opt(num),
  failures: arr(obj({ test: str, error: str })),
});

const value = obj({ value: num, low: opt(num), high: opt(num) });
const digest = obj({
  tests: num,
  figures: rec(
    obj({
      rttMean: opt(value),
      rttP95: opt(value),
      jitter: opt(value),
      loss: opt(value),
      rate: rec(value),
      udpLoss: rec(value),
      cpuPerGbps: opt(value),
      cpu: opt(obj({ src: opt(num), dst: opt(num) })),
      failures: arr(str),
    }),
  ),
  spark: rec(arr(num)),
  hostTests: rec(obj({ all: num, failed: num, why: opt(str) })),
});

const campaignTag = obj({ id: str, kind: str, mtu: num });

/** Every field of a run but `lean` and `digest`. */
const run = {
  format: lit(RESULTS_FORMAT),
  version: num,
  runId: str,
  startedAt: str,
  finishedAt: str,
  status,
  problems: arr(str),
  project: obj({ name: str, shape: str, underlayMtu: num, kinds: arr(str) }),
  // The drawing's hosts and links, by id (the rest of the snapshot is the project file's schema's).
  topology: obj({ hosts: arr(obj({ id: str, name: str })), links: arr(obj({ id: str, a: str, b: str, kind: str })) }),
  links: arr(obj({ id: str, label: str, kind: str, a: str, b: str, hostIds: obj({ a: str, b: str }), mtu: num, mss: num, overheadBytes: num })),
  environment: arr(obj({ hostId: str, host: str, kernel: opt(str), os: opt(str), tools: rec(str), lab: bool, bundleHash: opt(str) })),
  sharedMachine: bool,
  suite: obj({ name: str, tests: arr(obj({ tool: str })) }),
  campaign: opt(campaignTag),
  paths: arr(obj({ id: str, type: pathType, linkId: opt(str), kind: opt(str), label: str, src: end, dst: end, mtu: opt(num), via: opt(arr(str)) })),
  tests: arr(test),
  summary: obj({ paths: rec(pathSummary), relative: rec(obj({ linkId: str, rttAddedMs: opt(num), rttAddedSignificant: opt(bool), throughputKeptPercent: rec(num) })), clusters: arr(obj({ mean: num, sd: num, min: num, max: num, pathIds: arr(str) })) }),
} as const;

/** results.json: a whole run (never a lean one). */
export const resultsShape: Check = obj({ ...run, lean: absent, digest: absent });

/** lean.json: the run read lean, its tests and paths' summaries replaced by their digest. */
export const leanShape: Check = obj({ ...run, lean: lit(true), digest });

/** listing.json: what the runs list shows of a run. */
export const listingShape: Check = obj({ runId: str, startedAt: str, status, suite: str, kinds: arr(str), underlayMtu: num, paths: num, tests: num, campaign: opt(campaignTag) });
