/**
 * The per-link table of a run (the results panel, the report, the CSV export): what the link
 * is (kind, layer, encrypted, underlay and inner MTU, MSS, overhead) and what it measured (RTT
 * mean, σ, p95 with the mean's 95 % interval, loss, jitter, TCP and UDP throughput each way, UDP
 * loss, CPU), and the same against the underlay baseline between the same hosts.
 */
import type { RunResults } from '../measure/results.js';
import type { Registry } from '../tunnels/types.js';
import { describe as describeCondition } from '../conditions.js';
import { runConditions } from './conditions.js';
import { baselineOf } from '../measure/analyse.js';
import { figuresOfRun, linkFigure, valueOf, type Metric } from './metrics.js';
import type { PathSummary } from '../measure/analyse.js';
import { metricsOfTest, type Feed } from '../measure/tools/index.js';

/** One figure of a tool that declares its metrics (tools/<tool>.ts), on one link's tunnel. */
export interface ToolFigure {
  /** `<test>:<direction>:<metric>`. */
  readonly key: string;
  /** The test's name, the metric's label, and the direction when reversed: "rrul: Loaded RTT p95 (8 flows, both)". */
  readonly label: string;
  readonly unit: string;
  readonly feeds: Feed;
  readonly better: 'lower' | 'higher';
  /** The tool marks it a headline figure (`overlab measure`'s summary). */
  readonly headline?: boolean;
  readonly value: number;
  readonly ci95?: readonly [number, number];
}

/** A path's figures of tools with declared metrics, each test's in its tool's order of metrics. */
export function toolFiguresOf(s: PathSummary | undefined): ToolFigure[] {
  const out: ToolFigure[] = [];
  for (const [k, figs] of Object.entries(s?.metrics ?? {})) {
    const [test = '', direction] = k.split(':');
    for (const m of metricsOfTest(test)) {
      const f = figs[m.key];
      if (f) out.push({ key: `${k}:${m.key}`, label: `${test}: ${m.label}${direction === 'reverse' ? ' (reverse)' : ''}`, unit: m.unit, feeds: m.feeds, better: m.better, ...(m.headline ? { headline: true } : {}), value: f.mean, ...(f.ci95 ? { ci95: [f.ci95.low, f.ci95.high] as const } : {}) });
    }
  }
  return out;
}

/** The tools' headline figures of each link's tunnel (the ones a tool marks `headline`), links without any left out. */
export function headlineFigures(r: Pick<RunResults, 'links' | 'summary'>): { readonly linkId: string; readonly link: string; readonly kind: string; readonly figures: readonly ToolFigure[] }[] {
  return r.links.flatMap((l) => {
    const figures = toolFiguresOf(r.summary.paths[`${l.id}.tunnel`]).filter((f) => f.headline);
    return figures.length ? [{ linkId: l.id, link: l.label, kind: l.kind, figures }] : [];
  });
}

export interface LinkRow {
  readonly linkId: string;
  readonly link: string;
  readonly kind: string;
  readonly kindName: string;
  readonly layer?: 'L2' | 'L3';
  readonly encrypted?: boolean;
  readonly underlayMtu: number;
  readonly mtu: number;
  readonly mss: number;
  readonly overheadBytes: number;
  readonly rttMeanMs?: number;
  readonly rttSdMs?: number;
  readonly rttP95Ms?: number;
  readonly rttCi95Ms?: readonly [number, number];
  readonly lossPercent?: number;
  readonly jitterMs?: number;
  readonly tcpForwardMbps?: number;
  readonly tcpReverseMbps?: number;
  readonly udpForwardMbps?: number;
  readonly udpLossPercent?: number;
  readonly cpuPerGbps?: number;
  readonly cpuPercent?: number;
  readonly underlay: {
    readonly rttMeanMs?: number;
    readonly tcpForwardMbps?: number;
  };
  readonly relative: {
    readonly rttAddedMs?: number;
    /** The added RTT is larger than the two intervals' overlap allows to be chance. */
    readonly rttAddedSignificant?: boolean;
    readonly tcpKeptPercent?: number;
    readonly udpKeptPercent?: number;
  };
  readonly failures: readonly string[];
  /** Figures of tools that declare metrics (latency under load, transactions, handshake…); absent: none measured. */
  readonly tools?: readonly ToolFigure[];
  /**
   * The link conditions the run was measured under (absent: none): in force per direction (the
   * truth), as asked, one text for the table's column, and where tc held other figures than asked.
   */
  readonly conditions?: {
    readonly text: string;
    readonly badge: string;
    readonly aToB: { readonly asked: string; readonly inForce: string };
    readonly bToA: { readonly asked: string; readonly inForce: string };
    readonly mismatch: readonly string[];
  };
}

export function linkRows(r: RunResults, registry: Registry): LinkRow[] {
  const figs = figuresOfRun(r);
  const conditions = runConditions(r);
  return r.links.map((l): LinkRow => {
    const t = figs.get(`${l.id}.tunnel`);
    const u = baselineOf(t, figs.get(`${l.id}.underlay`), l.kind === 'clean');
    const s = r.summary.paths[`${l.id}.tunnel`];
    const k = registry.kinds.find((x) => x.id === l.kind);
    const v = (m: Metric, d: 'forward' | 'reverse' = 'forward'): number | undefined => valueOf(t, m, d)?.value;
    const rel = (m: Metric): number | undefined => linkFigure(figs, l, l.id, m, 'forward', true)?.value;
    const rtt = s?.rtt;
    const cpu = s?.cpu ? Math.max(s.cpu.src ?? 0, s.cpu.dst ?? 0) : undefined;
    const rs = r.summary.relative[l.id];
    const tools = toolFiguresOf(s);
    const c = conditions.get(l.id);
    const opt = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } => (value !== undefined ? ({ [key]: value } as { [P in K]: V }) : {});
    return {
      linkId: l.id,
      link: `${l.a} — ${l.b}`,
      kind: l.kind,
      kindName: k?.label ?? l.kind,
      ...opt('layer', k?.layer),
      ...opt('encrypted', k?.encrypted),
      underlayMtu: r.project.underlayMtu,
      mtu: l.mtu,
      mss: l.mss,
      overheadBytes: l.overheadBytes,
      ...opt('rttMeanMs', rtt?.ms.mean),
      ...opt('rttSdMs', rtt?.ms.sd),
      ...opt('rttP95Ms', rtt?.ms.p95),
      ...(rtt?.ci95 ? { rttCi95Ms: [rtt.ci95.low, rtt.ci95.high] as const } : {}),
      ...opt('lossPercent', rtt?.lossPercent),
      ...opt('jitterMs', rtt?.jitterMs),
      ...opt('tcpForwardMbps', v('tcp')),
      ...opt('tcpReverseMbps', v('tcp', 'reverse')),
      ...opt('udpForwardMbps', v('udp')),
      ...opt('udpLossPercent', v('udp-loss')),
      ...opt('cpuPerGbps', v('cpu-per-gbps')),
      ...opt('cpuPercent', cpu),
      underlay: { ...opt('rttMeanMs', valueOf(u, 'rtt-mean')?.value), ...opt('tcpForwardMbps', valueOf(u, 'tcp')?.value) },
      relative: {
        ...opt('rttAddedMs', rel('rtt-mean')),
        ...opt('rttAddedSignificant', rs?.rttAddedSignificant),
        ...opt('tcpKeptPercent', rel('tcp')),
        ...opt('udpKeptPercent', rel('udp')),
      },
      failures: t?.failures ?? [],
      ...(tools.length ? { tools } : {}),
      ...(c
        ? {
            conditions: {
              text: c.text,
              badge: c.badge,
              aToB: { asked: describeCondition(c.record.aToB.asked), inForce: describeCondition(c.aToB) },
              bToA: { asked: describeCondition(c.record.bToA.asked), inForce: describeCondition(c.bToA) },
              mismatch: c.mismatch,
            },
          }
        : {}),
    };
  });
}
