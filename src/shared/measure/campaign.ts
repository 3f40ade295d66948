/**
 * A campaign: the paper's study as one unattended job — for each tunnel kind × underlay MTU,
 * re-plan the project with that kind on every link, deploy, measure, tear down. `campaign.json`
 * records each cell as it ends (so an interrupted campaign resumes where it stopped); the
 * comparison across kinds is computed from the cells' results.json files alone.
 */
import { describe, meanInterval, clusterBy, type Describe, type Interval } from '../stats/index.js';
import type { RunResults } from './results.js';

export const CAMPAIGN_FORMAT = 'overlab-campaign';
export const CAMPAIGN_VERSION = 1;

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
  /** `<kind>[:options]@<mtu>`. */
  readonly id: string;
  readonly kind: string;
  readonly label: string;
  readonly options: Readonly<Record<string, string | number | boolean>>;
  readonly mtu: number;
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
  readonly cells: Cell[];
}

export const cellId = (s: KindSpec, mtu: number): string => `${specLabel(s)}@${mtu}`;

export function newCampaign(id: string, project: string, specs: readonly KindSpec[], mtus: readonly number[], suite: string, repeat: number, duration?: number): CampaignFile {
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
    // MTU outer, kind inner: the paper's figures compare kinds at one MTU.
    cells: mtus.flatMap((mtu) => specs.map((s): Cell => ({ id: cellId(s, mtu), kind: s.kind, label: specLabel(s), options: s.options, mtu, status: 'pending' }))),
  };
}

/** One kind at one MTU, from its cell's run: every tunnel path pooled. */
export interface KindFigures {
  readonly cell: string;
  readonly kind: string;
  readonly label: string;
  readonly mtu: number;
  readonly runId: string;
  /** Mean RTT of the tunnel paths (ms), its spread and a 95 % interval across the paths' samples. */
  readonly rtt?: Describe & { readonly ci95?: Interval; readonly lossPercent: number };
  /** Mean of the tunnel paths' figures, Mbit/s, per `<test>:<direction>`. */
  readonly throughput: Readonly<Record<string, { readonly mean: number; readonly ci95?: Interval }>>;
  /** netperf per test: mean throughput and service demand. */
  readonly netperf: Readonly<Record<string, { readonly throughput: number; readonly units: string; readonly localSd?: number; readonly remoteSd?: number; readonly localCpu?: number }>>;
  /** The same figures for the underlay baseline of the same cell. */
  readonly baseline: { readonly rttMs?: number; readonly throughput: Readonly<Record<string, number>> };
  /** Every RTT sample of the cell's tunnel paths, for the distribution figures. */
  readonly rttSamples: readonly number[];
}

export interface CampaignAnalysis {
  readonly cells: readonly KindFigures[];
  /** Per MTU: kinds sorted by mean RTT (the paper's Figure 7) and their clusters (Figures 8–13). */
  readonly byMtu: readonly {
    readonly mtu: number;
    readonly sorted: readonly string[];
    /** Clusters of kinds by mean RTT; μ and σ of the RTT samples of all the cluster's kinds (the paper's cluster figures). */
    readonly clusters: readonly { readonly mean: number; readonly sd: number; readonly cells: readonly string[] }[];
  }[];
}

export function kindFigures(cell: Cell, r: RunResults): KindFigures {
  const tunnels = r.paths.filter((p) => p.type === 'tunnel');
  const samples = r.tests.filter((t) => t.ping && tunnels.some((p) => p.id === t.pathId)).flatMap((t) => t.ping!.samples.filter((s) => !s.dup).map((s) => s.rtt));
  const sent = r.tests.filter((t) => t.ping && tunnels.some((p) => p.id === t.pathId)).reduce((n, t) => n + t.ping!.transmitted, 0);
  const got = r.tests.filter((t) => t.ping && tunnels.some((p) => p.id === t.pathId)).reduce((n, t) => n + t.ping!.received, 0);
  const d = describe(samples);
  const ci = meanInterval(samples);
  const throughput: Record<string, { mean: number; ci95?: Interval }> = {};
  const keys = new Set(tunnels.flatMap((p) => Object.keys(r.summary.paths[p.id]?.throughput ?? {})));
  for (const k of keys) {
    const xs = tunnels.map((p) => r.summary.paths[p.id]?.throughput[k]?.mbps.mean).filter((x): x is number => x !== undefined);
    if (!xs.length) continue;
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const c = meanInterval(xs) ?? r.summary.paths[tunnels[0]!.id]?.throughput[k]?.mbps.ci95;
    throughput[k] = { mean: m, ...(c ? { ci95: c } : {}) };
  }
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
    runId: r.runId,
    ...(d ? { rtt: { ...d, ...(ci ? { ci95: ci } : {}), lossPercent: sent ? (100 * (sent - got)) / sent : 100 } } : {}),
    throughput,
    netperf,
    baseline: { ...(underRtt.length ? { rttMs: underRtt.reduce((a, b) => a + b, 0) / underRtt.length } : {}), throughput: underTp },
    rttSamples: samples,
  };
}

export function analyseCampaign(cells: readonly KindFigures[]): CampaignAnalysis {
  const mtus = [...new Set(cells.map((c) => c.mtu))].sort((a, b) => a - b);
  return {
    cells,
    byMtu: mtus.map((mtu) => {
      const at = cells.filter((c) => c.mtu === mtu && c.rtt);
      const sorted = [...at].sort((a, b) => a.rtt!.mean - b.rtt!.mean).map((c) => c.cell);
      const { clusters } = clusterBy(at, (c) => c.rtt!.mean);
      return {
        mtu,
        sorted,
        clusters: clusters.map((k) => {
          const pooled = describe(k.members.flatMap((m) => m.rttSamples));
          return { mean: pooled?.mean ?? k.mean, sd: pooled?.sd ?? k.sd, cells: k.members.map((m) => m.cell) };
        }),
      };
    }),
  };
}
