/**
 * A campaign: the paper's study as one unattended job — for each tunnel kind × underlay MTU ×
 * link conditions, re-plan the project with that kind on every link (and that conditions preset
 * on every link), deploy, measure, tear down. `campaign.json` records each cell as it ends (so an
 * interrupted campaign resumes where it stopped); the comparison across kinds is computed from
 * the cells' results.json files alone, per MTU × conditions.
 */
import { PRESET_IDS } from '../conditions.js';
import { describe, meanInterval, clusterBy, type Describe, type Interval } from '../stats/index.js';
import { noiseFloor, runNoise, type NoiseFloor } from './analyse.js';
import type { RunResults } from './results.js';

export const CAMPAIGN_FORMAT = 'overlab-campaign';
/** 2: cells and the campaign may carry `conditions` (version 1 files have none: every cell is `none`). */
export const CAMPAIGN_VERSION = 2;

/** The conditions of a cell: a preset's id, or `none` (the lab's wire as it is: the paper's setting). */
export const NO_CONDITIONS = 'none';
export const CAMPAIGN_CONDITIONS = [NO_CONDITIONS, ...PRESET_IDS] as const;

/** A `--conditions` value: each a preset id or none; the error names the bad one and the choices. */
export function parseConditionsList(v: readonly string[]): string[] | string {
  const bad = v.filter((x) => !(CAMPAIGN_CONDITIONS as readonly string[]).includes(x));
  if (bad.length) return `${bad.map((x) => `"${x}"`).join(', ')} ${bad.length === 1 ? 'is not a conditions preset' : 'are not conditions presets'}; use none or one of ${PRESET_IDS.join(', ')} (overlab conditions --presets shows their figures)`;
  if (new Set(v).size !== v.length) return `a conditions preset is named twice in ${v.join(',')}`;
  return v.length ? [...v] : [NO_CONDITIONS];
}

/** A cell's conditions: absent in a version 1 file, and in a cell without any (the id stays `<kind>@<mtu>`). */
export const conditionsOf = (c: { readonly conditions?: string }): string => c.conditions ?? NO_CONDITIONS;

/** A kind as a campaign runs it: its id and the options every link gets (`wireguard:implementation=go`). */
export interface KindSpec {
  readonly kind: string;
  readonly options: Readonly<Record<string, string | number | boolean>>;
}

export function parseKindSpec(spec: string): KindSpec | string {
  const [kind, opts = ''] = spec.split(':', 2);
  if (!kind || !/^[a-z][a-z0-9-]*$/.test(kind)) return `"${spec}" is not a kind (KIND or KIND:option=value,...)`;
  const options: Record<string, string | number | boolean> = {};
  for (const kv of opts.split(',').filter(Boolean)) {
    const [k, v] = kv.split('=');
    if (!k || v === undefined) return `"${kv}" in "${spec}" is not option=value`;
    options[k] = v === 'true' ? true : v === 'false' ? false : /^[0-9]+$/.test(v) ? Number(v) : v;
  }
  return { kind, options };
}

export const specLabel = (s: KindSpec): string => [s.kind, ...Object.entries(s.options).map(([k, v]) => `${k}=${String(v)}`)].join(':');

export type CellStatus = 'pending' | 'done' | 'skipped' | 'failed';

export interface Cell {
  /** `<kind>[:options]@<mtu>`, then `~<preset>` for conditions other than none (so none's ids are those of a campaign without conditions). */
  readonly id: string;
  readonly kind: string;
  readonly label: string;
  readonly options: Readonly<Record<string, string | number | boolean>>;
  readonly mtu: number;
  /** The conditions preset set on every link of the cell's project; absent: none. */
  readonly conditions?: string;
  status: CellStatus;
  /** The measurement run (runs/<id>/) of a finished cell. */
  runId?: string;
  /** Why a cell was skipped (the kernel cannot carry the kind, say) or failed. */
  reason?: string;
  seconds?: number;
}

export interface CampaignFile {
  readonly format: typeof CAMPAIGN_FORMAT;
  readonly version: typeof CAMPAIGN_VERSION;
  readonly id: string;
  readonly createdAt: string;
  updatedAt: string;
  readonly project: string;
  readonly suite: string;
  readonly repeat: number;
  readonly duration?: number;
  /** The conditions dimension, in order; absent: none only. */
  readonly conditions?: readonly string[];
  readonly cells: Cell[];
}

export const cellId = (s: KindSpec, mtu: number, conditions: string = NO_CONDITIONS): string => `${specLabel(s)}@${mtu}${conditions === NO_CONDITIONS ? '' : `~${conditions}`}`;

export function newCampaign(id: string, project: string, specs: readonly KindSpec[], mtus: readonly number[], suite: string, repeat: number, duration?: number, conditions: readonly string[] = [NO_CONDITIONS]): CampaignFile {
  const plain = conditions.length === 1 && conditions[0] === NO_CONDITIONS;
  const now = new Date().toISOString();
  return {
    format: CAMPAIGN_FORMAT,
    version: CAMPAIGN_VERSION,
    id,
    createdAt: now,
    updatedAt: now,
    project,
    suite,
    repeat,
    ...(duration ? { duration } : {}),
    ...(plain ? {} : { conditions: [...conditions] }),
    // MTU outer, conditions, kind inner: the paper's figures compare kinds at one MTU under one set of conditions.
    cells: mtus.flatMap((mtu) =>
      conditions.flatMap((cond) =>
        specs.map((s): Cell => ({ id: cellId(s, mtu, cond), kind: s.kind, label: specLabel(s), options: s.options, mtu, ...(cond === NO_CONDITIONS ? {} : { conditions: cond }), status: 'pending' })),
      ),
    ),
  };
}

/** One kind at one MTU, from its cell's run: every tunnel path pooled. */
export interface KindFigures {
  readonly cell: string;
  readonly kind: string;
  readonly label: string;
  readonly mtu: number;
  /** The cell's conditions preset, or none. */
  readonly conditions: string;
  readonly runId: string;
  /** Mean RTT of the tunnel paths (ms), its spread and a 95 % interval across the paths' samples. */
  readonly rtt?: Describe & { readonly ci95?: Interval; readonly lossPercent: number };
  /** Mean of the tunnel paths' figures, Mbit/s, per `<test>:<direction>`. */
  readonly throughput: Readonly<Record<string, { readonly mean: number; readonly ci95?: Interval }>>;
  /**
   * The registry tools' figures (PathSummary.metrics: `<test>:<direction>` → metric key), each
   * the mean over the tunnel paths with a 95 % interval across them, or across one path's
   * repetitions. Absent in analyses written before it and in cells whose suite ran none.
   */
  readonly metrics?: Readonly<Record<string, Readonly<Record<string, { readonly mean: number; readonly ci95?: Interval }>>>>;
  /** netperf per test: mean throughput and service demand. */
  readonly netperf: Readonly<Record<string, { readonly throughput: number; readonly units: string; readonly localSd?: number; readonly remoteSd?: number; readonly localCpu?: number }>>;
  /** The same figures for the underlay baseline of the same cell. */
  readonly baseline: { readonly rttMs?: number; readonly throughput: Readonly<Record<string, number>> };
  /** Every RTT sample of the cell's tunnel paths, for the distribution figures. */
  readonly rttSamples: readonly number[];
  /** The cell's run's own noise floor (repetitions, underlay paths), from its records. */
  readonly noise?: NoiseFloor;
}

export interface CampaignAnalysis {
  readonly cells: readonly KindFigures[];
  /**
   * Per MTU × conditions (MTU first, conditions in the campaign's order): kinds sorted by mean RTT
   * (the paper's Figure 7) and their clusters (Figures 8–13). Kinds are compared only under the
   * same conditions: a kind over 40 ms is not slower than one over a wire.
   */
  readonly byMtu: readonly {
    readonly mtu: number;
    readonly conditions: string;
    readonly sorted: readonly string[];
    /**
     * Clusters of kinds by mean RTT; μ and σ of the RTT samples of all the cluster's kinds (the
     * paper's cluster figures). Kinds closer than the noise floor share a cluster; `tie`: all of
     * its kinds lie within the floor of each other.
     */
    readonly clusters: readonly { readonly mean: number; readonly sd: number; readonly cells: readonly string[]; readonly tie?: boolean }[];
    /** Differences of mean RTT below it are the measurement's noise (see groupNoise). */
    readonly noise?: NoiseFloor;
  }[];
}

/** The tool figures of several paths pooled as kindFigures pools throughput: the mean over the paths, its interval across them (one path: its own). */
function pooledMetrics(paths: readonly Readonly<Record<string, Readonly<Record<string, { readonly mean: number; readonly ci95?: Interval }>>>>[]): Record<string, Record<string, { mean: number; ci95?: Interval }>> {
  const out: Record<string, Record<string, { mean: number; ci95?: Interval }>> = {};
  for (const test of new Set(paths.flatMap((m) => Object.keys(m)))) {
    for (const key of new Set(paths.flatMap((m) => Object.keys(m[test] ?? {})))) {
      const figs = paths.map((m) => m[test]?.[key]).filter((f) => f !== undefined);
      if (!figs.length) continue;
      const xs = figs.map((f) => f.mean);
      const ci = figs.length === 1 ? figs[0]!.ci95 : meanInterval(xs);
      (out[test] ??= {})[key] = { mean: xs.reduce((a, b) => a + b, 0) / xs.length, ...(ci ? { ci95: ci } : {}) };
    }
  }
  return out;
}

export function kindFigures(cell: Cell, r: RunResults): KindFigures {
  const tunnels = r.paths.filter((p) => p.type === 'tunnel');
  const samples = r.tests.filter((t) => t.ping && tunnels.some((p) => p.id === t.pathId)).flatMap((t) => t.ping!.samples.filter((s) => !s.dup).map((s) => s.rtt));
  const sent = r.tests.filter((t) => t.ping && tunnels.some((p) => p.id === t.pathId)).reduce((n, t) => n + t.ping!.transmitted, 0);
  const got = r.tests.filter((t) => t.ping && tunnels.some((p) => p.id === t.pathId)).reduce((n, t) => n + t.ping!.received, 0);
  const d = describe(samples);
  const ci = meanInterval(samples);
  const noise = runNoise(r.paths, r.tests, r.sharedMachine);
  const throughput: Record<string, { mean: number; ci95?: Interval }> = {};
  const keys = new Set(tunnels.flatMap((p) => Object.keys(r.summary.paths[p.id]?.throughput ?? {})));
  for (const k of keys) {
    const xs = tunnels.map((p) => r.summary.paths[p.id]?.throughput[k]?.mbps.mean).filter((x): x is number => x !== undefined);
    if (!xs.length) continue;
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const c = meanInterval(xs) ?? r.summary.paths[tunnels[0]!.id]?.throughput[k]?.mbps.ci95;
    throughput[k] = { mean: m, ...(c ? { ci95: c } : {}) };
  }
  const metrics = pooledMetrics(tunnels.map((p) => r.summary.paths[p.id]?.metrics ?? {}));
  const netperf: Record<string, KindFigures['netperf'][string]> = {};
  for (const p of tunnels) {
    for (const [test, n] of Object.entries(r.summary.paths[p.id]?.netperf ?? {})) {
      if (netperf[test]) continue;
      netperf[test] = { throughput: n.throughput.mean, units: n.units, ...(n.localSd !== undefined ? { localSd: n.localSd } : {}), ...(n.remoteSd !== undefined ? { remoteSd: n.remoteSd } : {}), ...(n.localCpu !== undefined ? { localCpu: n.localCpu } : {}) };
    }
  }
  const under = r.paths.filter((p) => p.type === 'underlay');
  const underRtt = under.map((p) => r.summary.paths[p.id]?.rtt?.ms.mean).filter((x): x is number => x !== undefined);
  const underTp: Record<string, number> = {};
  for (const k of new Set(under.flatMap((p) => Object.keys(r.summary.paths[p.id]?.throughput ?? {})))) {
    const xs = under.map((p) => r.summary.paths[p.id]?.throughput[k]?.mbps.mean).filter((x): x is number => x !== undefined);
    if (xs.length) underTp[k] = xs.reduce((a, b) => a + b, 0) / xs.length;
  }
  return {
    cell: cell.id,
    kind: cell.kind,
    label: cell.label,
    mtu: cell.mtu,
    conditions: conditionsOf(cell),
    runId: r.runId,
    ...(d ? { rtt: { ...d, ...(ci ? { ci95: ci } : {}), lossPercent: sent ? (100 * (sent - got)) / sent : 100 } } : {}),
    throughput,
    ...(Object.keys(metrics).length ? { metrics } : {}),
    netperf,
    baseline: { ...(underRtt.length ? { rttMs: underRtt.reduce((a, b) => a + b, 0) / underRtt.length } : {}), throughput: underTp },
    rttSamples: samples,
    ...(noise ? { noise } : {}),
  };
}

const middle = (xs: readonly number[]): number | undefined => {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * The noise floor of kinds compared at one MTU × conditions: every cell measured the same
 * underlay beside its tunnel, so the range of their baseline RTTs is the spread between runs;
 * with the cells' own repetitions' spread (median), the larger of the two. A cell without
 * baseline (clean) adds its own underlay spread only.
 */
export function groupNoise(cells: readonly KindFigures[]): NoiseFloor | undefined {
  const baselines = cells.map((c) => c.baseline.rttMs).filter((x): x is number => x !== undefined);
  const between = baselines.length > 1 ? Math.max(...baselines) - Math.min(...baselines) : middle(cells.map((c) => c.noise?.underlayMs).filter((x): x is number => x !== undefined));
  return noiseFloor(middle(cells.map((c) => c.noise?.repetitionsMs).filter((x): x is number => x !== undefined)), between);
}

/** `conditions` orders the groups (the campaign's dimension); conditions not in it follow in the order met. */
export function analyseCampaign(cells: readonly KindFigures[], conditions: readonly string[] = []): CampaignAnalysis {
  const mtus = [...new Set(cells.map((c) => c.mtu))].sort((a, b) => a - b);
  const conds = [...new Set([...conditions, ...cells.map((c) => c.conditions)])];
  const groups = mtus.flatMap((mtu) => conds.map((cond) => ({ mtu, cond }))).filter((g) => cells.some((c) => c.mtu === g.mtu && c.conditions === g.cond));
  return {
    cells,
    byMtu: groups.map(({ mtu, cond }) => {
      const at = cells.filter((c) => c.mtu === mtu && c.conditions === cond && c.rtt);
      const sorted = [...at].sort((a, b) => a.rtt!.mean - b.rtt!.mean).map((c) => c.cell);
      const noise = groupNoise(cells.filter((c) => c.mtu === mtu && c.conditions === cond));
      const { clusters } = clusterBy(at, (c) => c.rtt!.mean, noise ? { noise: noise.ms } : {});
      return {
        mtu,
        conditions: cond,
        sorted,
        clusters: clusters.map((k) => {
          const pooled = describe(k.members.flatMap((m) => m.rttSamples));
          return { mean: pooled?.mean ?? k.mean, sd: pooled?.sd ?? k.sd, cells: k.members.map((m) => m.cell), ...(k.tie !== undefined ? { tie: k.tie } : {}) };
        }),
        ...(noise ? { noise } : {}),
      };
    }),
  };
}
