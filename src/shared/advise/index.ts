/**
 * The advisor: which tunnel kind for these needs, and why. Pure: from the catalogue (what each
 * kind can do) and the project's measurements (what each kind did), a ranking of the kinds that
 * meet the needs, with the figures behind each rank and the runs they come from, the kinds left
 * out and why (capability, not measured, failed, over the CPU budget), and ties where the
 * measurement cannot tell kinds apart (their intervals overlap, or they differ by less than the
 * noise floor: the spread between repeated runs and the underlay's own spread).
 *
 * Kinds are compared only within one evidence set — one campaign's cells at one MTU under one
 * set of conditions, or one run — where they rode the same underlay on the same machine.
 *
 * A figure the advisor reads is one entry of FIGURES (how to read it from a path's summary,
 * which way is better, which priorities weigh it): a figure a new measurement tool adds to the
 * summaries (latency under load, say) joins the ranking with one entry, and runs without it
 * are read as before.
 */
import type { NoiseFloor, PathSummary } from '../measure/analyse.js';
import { groupNoise, kindFigures, NO_CONDITIONS, conditionsOf, type CampaignFile } from '../measure/campaign.js';
import { CPU_PER_GBPS, runNoise } from '../measure/analyse.js';
import type { RunResults } from '../measure/results.js';
import { meanInterval, type Interval } from '../stats/index.js';
import type { Registry, TunnelKind } from '../tunnels/types.js';
import { NEED_LAYERS, NEED_PRIORITIES } from '../schema.js';

export const PRIORITIES = NEED_PRIORITIES;
export type Priority = (typeof PRIORITIES)[number];
export const LAYERS = NEED_LAYERS;

/** What the user needs of a tunnel. */
export interface Needs {
  /** Only kinds that encrypt. */
  readonly encrypted: boolean;
  readonly layer: (typeof LAYERS)[number];
  /** The tunnel must cross a NAT between the ends. */
  readonly nat: boolean;
  /** The smallest inner MTU the traffic needs (bytes); absent: any. */
  readonly minMtu?: number;
  /** The underlay's path MTU the tunnel rides (bytes); absent: the project's underlay MTU, else 1500. */
  readonly pathMtu?: number;
  readonly priority: Priority;
  /** The most CPU (busy %, the busier end, during bulk tests) a kind may use; absent: any. */
  readonly cpuBudget?: number;
}

export const DEFAULT_NEEDS: Needs = { encrypted: false, layer: 'any', nat: false, priority: 'balanced' };

/** Which needs came from where: the project's `advice` section, the caller (flags), the rest the defaults. */
export interface NeedsFrom {
  readonly project: readonly (keyof Needs)[];
  readonly asked: readonly (keyof Needs)[];
}

/** Defaults, then the project's stated needs, then the caller's (flags override the file), and where each came from. */
export function neededFor(stated: Partial<Needs> | undefined, asked: Partial<Needs> | undefined): { needs: Needs; from: NeedsFrom } {
  const given = (x: Partial<Needs> | undefined): (keyof Needs)[] => (Object.keys(x ?? {}) as (keyof Needs)[]).filter((k) => x![k] !== undefined);
  const a = given(asked);
  const p = given(stated).filter((k) => !a.includes(k));
  const pick = (x: Partial<Needs> | undefined, ks: readonly (keyof Needs)[]): Partial<Needs> => Object.fromEntries(ks.map((k) => [k, x![k]]));
  return { needs: { ...DEFAULT_NEEDS, ...pick(stated, p), ...pick(asked, a) } as Needs, from: { project: p, asked: a } };
}

/** The words for where the needs came from (the report, the CLI and the Advisor tab say the same). */
export function needsFromText(f: NeedsFrom | undefined): string {
  if (!f || (!f.project.length && !f.asked.length)) return 'the advisor\'s defaults: the project states no needs (set them in the Advisor tab, or under advice: in overlab.yaml)';
  return [f.project.length ? `${f.project.join(', ')} from the project's advice section (overlab.yaml)` : '', f.asked.length ? `${f.asked.join(', ')} asked for this answer` : '', 'defaults for the rest'].filter(Boolean).join('; ');
}

/** One figure of one kind in one evidence set. */
export interface Measured {
  readonly value: number;
  readonly ci95?: Interval;
  readonly unit: string;
  /** The median beside the mean (RTT). */
  readonly median?: number;
}

/** What one kind measured in one evidence set (its tunnel paths pooled). */
export interface KindEvidence {
  readonly kind: string;
  /** The kind with the options it ran with (`wireguard:implementation=go`). */
  readonly label: string;
  readonly runId: string;
  /** Figure id (FIGURES) → its value; a figure the run did not measure is absent. */
  readonly figures: Readonly<Record<string, Measured>>;
  /** RTT added over the underlay baseline (ms) and % of its TCP throughput kept. */
  readonly rttAddedMs?: number;
  readonly throughputKeptPercent?: number;
  /** Why the kind gave no figure (every test of its paths failed), with the run. */
  readonly failed?: string;
}

/** Kinds measured side by side: one campaign group (MTU × conditions) or one run. */
export interface EvidenceSet {
  /** `campaign <id> at MTU 1500` or `run <id>`. */
  readonly source: string;
  readonly mtu: number;
  readonly conditions: string;
  /** Newest first when sets are otherwise equal. */
  readonly at: string;
  readonly kinds: readonly KindEvidence[];
  /** Mean RTT differences below it are noise (ms). */
  readonly noise?: NoiseFloor;
  /**
   * TCP throughput differences below this share of the larger figure are noise: the spread of
   * the underlay baselines measured beside the tunnels (range ÷ mean).
   */
  readonly throughputNoise?: number;
  /** Campaign cells that were skipped or failed: kind → reason. */
  readonly missed: Readonly<Record<string, string>>;
  readonly sharedMachine: boolean;
}

/**
 * A figure the advisor ranks on: read from a tunnel path's summary (absent: the run did not
 * measure it), which way is better, and the priorities it counts for (first: the primary).
 */
export interface FigureSpec {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly better: 'lower' | 'higher';
  readonly priorities: readonly Priority[];
  /** The difference below which two values `a` and `b` of this figure are noise in the set, if one applies. */
  readonly noise?: (s: EvidenceSet, a: number, b: number) => number | undefined;
  read(p: PathSummary): Measured | undefined;
}

const tcpKey = (p: PathSummary): string | undefined => Object.keys(p.throughput).sort().find((k) => /-tcp:forward$/.test(k)) ?? Object.keys(p.throughput).sort().find((k) => /-tcp:/.test(k));

/** The figures, in the order a priority weighs them. A new figure: one entry here. */
export const FIGURES: readonly FigureSpec[] = [
  {
    id: 'rtt',
    label: 'RTT mean',
    unit: 'ms',
    better: 'lower',
    priorities: ['latency', 'balanced'],
    noise: (s) => s.noise?.ms,
    read: (p) => (p.rtt ? { value: p.rtt.ms.mean, ...(p.rtt.ci95 ? { ci95: p.rtt.ci95 } : {}), unit: 'ms', median: p.rtt.ms.p50 } : undefined),
  },
  {
    id: 'tcp',
    label: 'TCP throughput',
    unit: 'Mbit/s',
    better: 'higher',
    priorities: ['bulk', 'balanced'],
    noise: (s, a, b) => (s.throughputNoise !== undefined ? s.throughputNoise * Math.max(a, b) : undefined),
    read: (p) => {
      const k = tcpKey(p);
      const t = k ? p.throughput[k] : undefined;
      return t ? { value: t.mbps.mean, ...(t.mbps.ci95 ? { ci95: t.mbps.ci95 } : {}), unit: 'Mbit/s' } : undefined;
    },
  },
  {
    // The rrul tool (latency under load): the loaded RTT p95 of its heaviest phase, both ways at once where it ran one.
    id: 'loaded-rtt',
    label: 'RTT p95 under load',
    unit: 'ms',
    better: 'lower',
    priorities: ['latency', 'balanced'],
    read: (p) => {
      const m = p.metrics?.['rrul:forward'];
      if (!m) return undefined;
      const order = ['Both', 'Up', 'Down'];
      const phases = Object.keys(m)
        .map((k) => /^loadedRttP95(Both|Up|Down)(\d+)$/.exec(k))
        .filter((x): x is RegExpExecArray => x !== null)
        .sort((a, b) => order.indexOf(a[1]!) - order.indexOf(b[1]!) || Number(b[2]) - Number(a[2]));
      const f = phases[0] ? m[phases[0][0]] : undefined;
      return f ? { value: f.mean, ...(f.ci95 ? { ci95: f.ci95 } : {}), unit: 'ms' } : undefined;
    },
  },
  {
    // Request/response transactions per second: the rr tool (netperf TCP_RR with -o), else netperf's own TCP_RR.
    id: 'rr',
    label: 'transactions',
    unit: 'trans/s',
    better: 'higher',
    priorities: ['latency'],
    read: (p) => {
      const t = p.metrics?.['rr-tcp:forward']?.['transactionsPerSecond'] ?? p.metrics?.['rr-udp:forward']?.['transactionsPerSecond'];
      if (t) return { value: t.mean, ...(t.ci95 ? { ci95: t.ci95 } : {}), unit: 'trans/s' };
      const rr = Object.entries(p.netperf).find(([k]) => /_rr$/i.test(k))?.[1];
      return rr ? { value: rr.throughput.mean, ...(rr.throughput.ci95 ? { ci95: rr.throughput.ci95 } : {}), unit: 'trans/s' } : undefined;
    },
  },
  {
    id: 'cpuPerGbps',
    label: CPU_PER_GBPS.label,
    unit: CPU_PER_GBPS.unit,
    better: 'lower',
    priorities: ['bulk'],
    read: (p) => (p.cpuPerGbps !== undefined ? { value: p.cpuPerGbps, unit: CPU_PER_GBPS.unit } : undefined),
  },
  {
    id: 'cpu',
    label: 'CPU busy',
    unit: '%',
    better: 'lower',
    priorities: [],
    read: (p) => {
      const xs = [p.cpu?.src, p.cpu?.dst].filter((x): x is number => x !== undefined);
      return xs.length ? { value: Math.max(...xs), unit: '%' } : undefined;
    },
  },
];

const avg = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Range over mean: the relative spread of figures that should be equal. */
const spread = (xs: readonly number[]): number | undefined => (xs.length > 1 && avg(xs) > 0 ? (Math.max(...xs) - Math.min(...xs)) / avg(xs) : undefined);

/** One kind's figures from its tunnel paths in a run: each figure pooled over the paths (one path: its own interval). */
function evidenceOf(r: RunResults, kind: string, label: string, figures: readonly FigureSpec[]): KindEvidence {
  const paths = r.paths.filter((p) => p.type === 'tunnel' && p.kind === kind).map((p) => r.summary.paths[p.id]).filter((p): p is PathSummary => p !== undefined);
  const out: Record<string, Measured> = {};
  for (const f of figures) {
    const ms = paths.map((p) => f.read(p)).filter((m): m is Measured => m !== undefined);
    if (!ms.length) continue;
    const ci = ms.length === 1 ? ms[0]!.ci95 : meanInterval(ms.map((m) => m.value));
    const med = ms.map((m) => m.median).filter((x): x is number => x !== undefined);
    out[f.id] = { value: avg(ms.map((m) => m.value)), ...(ci ? { ci95: ci } : {}), unit: ms[0]!.unit, ...(med.length ? { median: avg(med) } : {}) };
  }
  const rel = r.paths.filter((p) => p.type === 'tunnel' && p.kind === kind && p.linkId).map((p) => r.summary.relative[p.linkId!]).filter((x) => x !== undefined);
  const added = rel.map((x) => x.rttAddedMs).filter((x): x is number => x !== undefined);
  const kept = rel.map((x) => Object.entries(x.throughputKeptPercent).find(([k]) => /-tcp:forward$/.test(k))?.[1]).filter((x): x is number => x !== undefined);
  const failures = paths.flatMap((p) => p.failures);
  const failed = Object.keys(out).length === 0 ? `failed in run ${r.runId}${failures[0] ? `: ${failures[0].test}: ${failures[0].error}` : ': no figure measured'}` : undefined;
  return { kind, label, runId: r.runId, figures: out, ...(added.length ? { rttAddedMs: avg(added) } : {}), ...(kept.length ? { throughputKeptPercent: avg(kept) } : {}), ...(failed ? { failed } : {}) };
}

/** The underlay's TCP throughput of a run (mean over its underlay paths), Mbit/s. */
function underlayTcp(r: RunResults): number[] {
  return r.paths
    .filter((p) => p.type === 'underlay')
    .map((p) => r.summary.paths[p.id])
    .map((p) => (p ? FIGURES.find((f) => f.id === 'tcp')!.read(p)?.value : undefined))
    .filter((x): x is number => x !== undefined);
}

/** A run's kinds side by side (a run of a campaign is read through its campaign instead). */
export function runEvidence(r: RunResults, figures: readonly FigureSpec[] = FIGURES): EvidenceSet {
  const kinds = [...new Set(r.paths.filter((p) => p.type === 'tunnel' && p.kind).map((p) => p.kind!))];
  const noise = r.summary.noise ?? runNoise(r.paths, r.tests, r.sharedMachine);
  const tp = r.sharedMachine ? spread(underlayTcp(r)) : undefined;
  return {
    source: `run ${r.runId}`,
    mtu: r.project.underlayMtu,
    conditions: r.conditions ? 'the project\'s' : NO_CONDITIONS,
    at: r.startedAt,
    kinds: kinds.map((k) => evidenceOf(r, k, k, figures)),
    ...(noise ? { noise } : {}),
    ...(tp !== undefined ? { throughputNoise: tp } : {}),
    missed: {},
    sharedMachine: r.sharedMachine,
  };
}

/** A campaign's kinds side by side, one set per MTU × conditions, from its cells' runs (`runs`: by run id). */
export function campaignEvidence(c: CampaignFile, runs: ReadonlyMap<string, RunResults>, figures: readonly FigureSpec[] = FIGURES): EvidenceSet[] {
  const groups = [...new Set(c.cells.map((x) => `${x.mtu}|${conditionsOf(x)}`))];
  return groups.map((g) => {
    const [mtuText, cond] = g.split('|') as [string, string];
    const mtu = Number(mtuText);
    const cells = c.cells.filter((x) => x.mtu === mtu && conditionsOf(x) === cond);
    const done = cells.filter((x) => x.status === 'done' && x.runId && runs.has(x.runId));
    const missed: Record<string, string> = {};
    for (const x of cells) {
      if (x.status === 'skipped' || x.status === 'failed') missed[x.kind] = `${x.status} in campaign ${c.id} (${x.label} at MTU ${mtu}): ${x.reason ?? 'no reason recorded'}`;
      else if (x.status === 'done' && (!x.runId || !runs.has(x.runId))) missed[x.kind] = `campaign ${c.id}'s run ${x.runId ?? '?'} for ${x.label} does not read`;
    }
    const kinds = done.map((x) => evidenceOf(runs.get(x.runId!)!, x.kind, x.label, figures));
    const kf = done.map((x) => kindFigures(x, runs.get(x.runId!)!));
    const noise = groupNoise(kf);
    const tp = spread(done.flatMap((x) => { const u = underlayTcp(runs.get(x.runId!)!); return u.length ? [avg(u)] : []; }));
    return {
      source: `campaign ${c.id} at MTU ${mtu}${cond === NO_CONDITIONS ? '' : ` under ${cond}`}`,
      mtu,
      conditions: cond,
      at: c.updatedAt,
      kinds,
      ...(noise ? { noise } : {}),
      ...(tp !== undefined ? { throughputNoise: tp } : {}),
      missed,
      sharedMachine: done.every((x) => runs.get(x.runId!)!.sharedMachine),
    };
  });
}

export interface RankedKind {
  readonly rank: number;
  readonly kind: string;
  readonly label: string;
  /** Other kinds sharing this rank: the measurement cannot order them. */
  readonly tiedWith: readonly string[];
  readonly runId: string;
  readonly figures: Readonly<Record<string, Measured>>;
  readonly rttAddedMs?: number;
  readonly throughputKeptPercent?: number;
  /** Why it sits where it does, each citing the figures and the run. */
  readonly reasons: readonly string[];
}

export type ExclusionWhy = 'capability' | 'not-measured' | 'failed' | 'cpu-budget';

export interface Excluded {
  readonly kind: string;
  readonly label: string;
  readonly why: ExclusionWhy;
  readonly reason: string;
}

export interface Advice {
  readonly needs: Needs;
  /** Where each need came from (the engine fills it in); absent: not said. */
  readonly needsFrom?: NeedsFrom;
  /** The evidence the ranking rests on; absent: nothing measured a candidate. */
  readonly basis?: { readonly source: string; readonly mtu: number; readonly conditions: string; readonly noise?: NoiseFloor; readonly throughputNoise?: number; readonly sharedMachine: boolean };
  readonly ranking: readonly RankedKind[];
  readonly excluded: readonly Excluded[];
  /**
   * The campaign to run for the candidates not measured (kinds this machine carries): `kinds` the
   * new ones, `campaignKinds` those beside the ones already ranked, so that all compare in one
   * campaign; `command` the `overlab campaign` line.
   */
  readonly measure?: { readonly kinds: readonly string[]; readonly campaignKinds: readonly string[]; readonly mtu: number; readonly command: string };
  readonly notes: readonly string[];
}

const num = (v: number, unit: string): string => {
  const digits = unit === 'ms' ? 3 : Math.abs(v) >= 100 ? 0 : 1;
  return `${v.toFixed(digits)} ${unit}`;
};
export const showMeasured = (m: Measured): string => `${num(m.value, m.unit).replace(` ${m.unit}`, '')}${m.ci95 ? ` ±${num(m.ci95.halfWidth, m.unit)}` : ` ${m.unit}`}${m.median !== undefined ? ` (median ${num(m.median, m.unit)})` : ''}`;

/** Why a kind cannot serve the needs (its catalogue entry), or undefined. */
export function capabilityProblem(k: TunnelKind, needs: Needs, pathMtu: number): string | undefined {
  if (needs.encrypted && !k.encrypted) return 'not encrypted';
  if (needs.layer !== 'any' && k.layer !== needs.layer) return `carries ${k.layer}, ${needs.layer} needed`;
  if (needs.nat && !k.natTraversal) return `no NAT traversal (${k.transport(k.options.parse({}))})`;
  if (needs.minMtu !== undefined) {
    const inner = pathMtu - k.overhead(k.options.parse({}), 4, pathMtu);
    if (inner < needs.minMtu) return `inner MTU ${inner} on a ${pathMtu}-byte path, ${needs.minMtu} needed`;
  }
  return undefined;
}

/** Whether two figures are told apart: not when their intervals overlap or they differ by less than the noise floor. */
export function apart(a: Measured, b: Measured, noise: number | undefined): boolean {
  // The noise floor is a difference: below it, no interval makes the two distinct.
  if (noise !== undefined && Math.abs(a.value - b.value) < noise) return false;
  if (a.ci95 && b.ci95 && a.ci95.low <= b.ci95.high && b.ci95.low <= a.ci95.high) return false;
  return true;
}

/**
 * Tie groups of kinds on one figure, best first: sorted, a kind joins its predecessor's group
 * when the two are not told apart. Kinds without the figure get the last group.
 */
function groupsOn(kinds: readonly KindEvidence[], f: FigureSpec, set: EvidenceSet): Map<string, number> {
  const has = kinds.filter((k) => k.figures[f.id]);
  const sign = f.better === 'lower' ? 1 : -1;
  const sorted = [...has].sort((a, b) => sign * (a.figures[f.id]!.value - b.figures[f.id]!.value));
  const out = new Map<string, number>();
  let g = 0;
  sorted.forEach((k, i) => {
    const a = sorted[i - 1]?.figures[f.id];
    const b = k.figures[f.id]!;
    if (a && apart(a, b, f.noise?.(set, a.value, b.value))) g++;
    out.set(k.label, g);
  });
  for (const k of kinds) if (!out.has(k.label)) out.set(k.label, g + 1);
  return out;
}

/** The set most candidates were measured in (then the newest). */
function pickSet(sets: readonly EvidenceSet[], candidates: ReadonlySet<string>, pathMtu: number): EvidenceSet | undefined {
  const score = (s: EvidenceSet): number[] => [s.kinds.filter((k) => candidates.has(k.kind) && !k.failed).length, s.conditions === NO_CONDITIONS ? 1 : 0, s.mtu === pathMtu ? 1 : 0];
  const better = (a: number[], b: number[]): boolean => { for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!; return false; };
  let best: EvidenceSet | undefined;
  for (const s of sets) {
    if (score(s)[0] === 0) continue;
    if (!best || better(score(s), score(best)) || (!better(score(best), score(s)) && s.at > best.at)) best = s;
  }
  return best;
}

export interface AdviseInput {
  readonly needs: Needs;
  readonly registry: Registry;
  readonly sets: readonly EvidenceSet[];
  /** The project's underlay MTU: the path MTU when the needs give none. */
  readonly underlayMtu?: number;
  /** Kinds this machine can carry (kinds.list probe); absent: all. Only these are suggested for measuring. */
  readonly carried?: ReadonlySet<string>;
  /** The project folder as the suggested command should name it. */
  readonly dir?: string;
  readonly figures?: readonly FigureSpec[];
}

/** The figures a priority ranks on, primary first. */
const weighed = (figures: readonly FigureSpec[], p: Priority): FigureSpec[] => figures.filter((f) => f.priorities.includes(p));

export function advise(input: AdviseInput): Advice {
  const { needs, registry } = input;
  const figures = input.figures ?? FIGURES;
  const pathMtu = needs.pathMtu ?? input.underlayMtu ?? 1500;
  const excluded: Excluded[] = [];
  const candidates: TunnelKind[] = [];
  for (const k of registry.kinds) {
    // A kind that adds no tunnel (clean: no address of its own, no header) is the baseline every figure is relative to, not a candidate.
    if (k.addressing === 'underlay' && k.overhead(k.options.parse({}), 4, pathMtu) === 0) continue;
    const why = capabilityProblem(k, needs, pathMtu);
    if (why) excluded.push({ kind: k.id, label: k.id, why: 'capability', reason: why });
    else candidates.push(k);
  }
  const ids = new Set(candidates.map((k) => k.id));
  const set = pickSet(input.sets, ids, pathMtu);
  const notes: string[] = [];
  const ranked: KindEvidence[] = [];
  const seen = new Set<string>();
  for (const e of set?.kinds ?? []) {
    if (!ids.has(e.kind)) continue;
    seen.add(e.kind);
    if (e.failed) { excluded.push({ kind: e.kind, label: e.label, why: 'failed', reason: e.failed }); continue; }
    const cpu = e.figures['cpu'];
    if (needs.cpuBudget !== undefined && cpu && cpu.value > needs.cpuBudget) {
      excluded.push({ kind: e.kind, label: e.label, why: 'cpu-budget', reason: `CPU ${num(cpu.value, '%')} busy during bulk tests, over the ${needs.cpuBudget} % budget (run ${e.runId})` });
      continue;
    }
    ranked.push(e);
  }
  const unmeasured = candidates.filter((k) => !seen.has(k.id));
  for (const k of unmeasured) {
    const missed = set?.missed[k.id];
    const where = set ? `not measured in ${set.source}` : 'not measured in this project';
    const cannot = input.carried && !input.carried.has(k.id) ? `; this machine's kernel cannot carry it (overlab kinds says what is missing)` : '';
    excluded.push({ kind: k.id, label: k.id, why: missed ? 'failed' : 'not-measured', reason: missed ?? `${where}${cannot}` });
  }

  // Rank: lexicographic over the priority's figures' tie groups (primary first).
  const specs = weighed(figures, needs.priority).filter((f) => ranked.some((k) => k.figures[f.id]));
  const groups = specs.map((f) => groupsOn(ranked, f, set!));
  const key = (k: KindEvidence): number[] => (needs.priority === 'balanced' ? [groups.reduce((s, g) => s + g.get(k.label)!, 0)] : groups.map((g) => g.get(k.label)!));
  const cmp = (a: number[], b: number[]): number => { for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!; return 0; };
  const primary = specs[0];
  const order = [...ranked].sort((a, b) => cmp(key(a), key(b)) || (primary ? (primary.better === 'lower' ? 1 : -1) * ((a.figures[primary.id]?.value ?? Infinity) - (b.figures[primary.id]?.value ?? Infinity)) : 0));
  const ranking: RankedKind[] = [];
  let rank = 0;
  order.forEach((k, i) => {
    if (i === 0 || cmp(key(order[i - 1]!), key(k)) !== 0) rank = i + 1;
    const tied = order.filter((o) => o !== k && cmp(key(o), key(k)) === 0).map((o) => o.label);
    ranking.push({ rank, kind: k.kind, label: k.label, tiedWith: tied, runId: k.runId, figures: k.figures, ...(k.rttAddedMs !== undefined ? { rttAddedMs: k.rttAddedMs } : {}), ...(k.throughputKeptPercent !== undefined ? { throughputKeptPercent: k.throughputKeptPercent } : {}), reasons: reasonsFor(k, ranked, specs, groups, set!) });
  });

  let measure: Advice['measure'];
  const toMeasure = unmeasured.filter((k) => !set?.missed[k.id] && (!input.carried || input.carried.has(k.id))).map((k) => k.id);
  if (toMeasure.length) {
    const all = [...ranked.map((k) => k.label), ...toMeasure];
    measure = { kinds: toMeasure, campaignKinds: all, mtu: pathMtu, command: `overlab campaign ${input.dir ?? 'DIR'} --kinds ${all.join(',')} --mtu ${pathMtu} --suite quick` };
    notes.push(`${toMeasure.length} candidate kind${toMeasure.length > 1 ? 's were' : ' was'} not measured${set ? ` beside the others in ${set.source}` : ''}: run \`${measure.command}\` (or overlab advise --measure) to rank ${toMeasure.length > 1 ? 'them' : 'it'} too.`);
  }
  if (set?.sharedMachine) notes.push('Measured on the embedded lab: every host shares one machine, so CPU figures are the machine\'s, and throughput is its CPU cost of the tunnel.');
  if (set && !set.noise) notes.push(`No noise floor in ${set.source} (one repetition, one underlay path): ties are judged by the figures' intervals only; repeat the suite (--repeat 2) or compare in a campaign.`);
  if (!ranking.length && !set) notes.push('No measurement of a candidate kind in this project.');
  return {
    needs,
    ...(set ? { basis: { source: set.source, mtu: set.mtu, conditions: set.conditions, ...(set.noise ? { noise: set.noise } : {}), ...(set.throughputNoise !== undefined ? { throughputNoise: set.throughputNoise } : {}), sharedMachine: set.sharedMachine } } : {}),
    ranking,
    excluded,
    ...(measure ? { measure } : {}),
    notes,
  };
}

function reasonsFor(k: KindEvidence, all: readonly KindEvidence[], specs: readonly FigureSpec[], groups: readonly Map<string, number>[], set: EvidenceSet): string[] {
  const out: string[] = [];
  specs.forEach((f, i) => {
    const m = k.figures[f.id];
    if (!m) return;
    const g = groups[i]!.get(k.label);
    const same = all.filter((o) => o !== k && o.figures[f.id] && groups[i]!.get(o.label) === g).map((o) => o.label);
    const floor = f.id === 'rtt' && set.noise ? ` or differ by less than the noise floor ±${set.noise.ms.toFixed(3)} ms` : f.id === 'tcp' && set.throughputNoise !== undefined ? ` or differ by less than the underlay's own spread (${(100 * set.throughputNoise).toFixed(0)} %)` : '';
    out.push(`${f.label} ${showMeasured(m)}${same.length ? ` — tie with ${same.join(', ')} (intervals overlap${floor})` : ''}`);
  });
  if (k.rttAddedMs !== undefined) out.push(`${k.rttAddedMs >= 0 ? '+' : ''}${k.rttAddedMs.toFixed(3)} ms RTT over the underlay`);
  if (k.throughputKeptPercent !== undefined) out.push(`${k.throughputKeptPercent.toFixed(0)} % of the underlay's TCP throughput`);
  const cpu = k.figures['cpu'];
  if (cpu && !specs.some((f) => f.id === 'cpu')) out.push(`CPU ${num(cpu.value, '%')} busy`);
  out.push(`run ${k.runId}`);
  return out;
}

/** The figures a set's noise floor is built from, for printing. */
export const noiseText = (n: NoiseFloor | undefined): string =>
  n ? `±${n.ms.toFixed(3)} ms (${[n.repetitionsMs !== undefined ? `repetitions ${n.repetitionsMs.toFixed(3)} ms` : '', n.underlayMs !== undefined ? `underlay ${n.underlayMs.toFixed(3)} ms` : ''].filter(Boolean).join(', ')})` : 'none (intervals only)';
