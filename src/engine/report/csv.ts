/**
 * The report as CSV: one row per link per metric (long format, which every spreadsheet and
 * dataframe library pivots as it likes), from the same per-link rows the report's table shows.
 * Quoting follows RFC 4180: a field with a comma, a quote or a line break is quoted and its
 * quotes doubled; lines end with CRLF. A text field that a spreadsheet would run as a formula
 * (=, +, -, @, tab, CR first) gets a leading apostrophe (OWASP's CSV injection advice):
 * host names come from the project file, which may come from someone else.
 */
import { CPU_PER_GBPS } from '../../shared/measure/analyse.js';
import type { RunResults } from '../../shared/measure/results.js';
import type { Registry } from '../../shared/tunnels/types.js';
import { linkRows, type LinkRow } from '../../shared/view/table.js';

export type CsvValue = string | number | boolean | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

/** One field, quoted when it must be. Numbers are written as JavaScript prints them (shortest round-trip form). */
export function csvField(v: CsvValue): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const s = FORMULA_START.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(fields: readonly CsvValue[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

export const CSV_COLUMNS = ['run_id', 'campaign_cell', 'link_id', 'link', 'kind', 'layer', 'encrypted', 'underlay_mtu', 'mtu', 'mss', 'overhead_bytes', 'metric', 'unit', 'value', 'ci95_low', 'ci95_high', 'underlay_value', 'relative_value', 'relative_unit', 'conditions_asked', 'conditions_in_force'] as const;

interface MetricColumn {
  readonly metric: string;
  readonly unit: string;
  readonly value: (r: LinkRow) => number | undefined;
  readonly ci?: (r: LinkRow) => readonly [number, number] | undefined;
  readonly underlay?: (r: LinkRow) => number | undefined;
  readonly relative?: { readonly unit: string; readonly value: (r: LinkRow) => number | undefined };
  /** The link direction the figure is of (throughput, UDP loss); absent: a round trip, which crosses both. */
  readonly direction?: 'aToB' | 'bToA';
}

/** The metrics of a link row, in the report table's order. */
const METRIC_COLUMNS: readonly MetricColumn[] = [
  { metric: 'rtt_mean', unit: 'ms', value: (r) => r.rttMeanMs, ci: (r) => r.rttCi95Ms, underlay: (r) => r.underlay.rttMeanMs, relative: { unit: 'ms added', value: (r) => r.relative.rttAddedMs } },
  { metric: 'rtt_sd', unit: 'ms', value: (r) => r.rttSdMs },
  { metric: 'rtt_p95', unit: 'ms', value: (r) => r.rttP95Ms },
  { metric: 'jitter', unit: 'ms', value: (r) => r.jitterMs },
  { metric: 'loss', unit: '%', value: (r) => r.lossPercent },
  { metric: 'tcp_forward', unit: 'Mbit/s', value: (r) => r.tcpForwardMbps, underlay: (r) => r.underlay.tcpForwardMbps, relative: { unit: '% of underlay', value: (r) => r.relative.tcpKeptPercent }, direction: 'aToB' },
  { metric: 'tcp_reverse', unit: 'Mbit/s', value: (r) => r.tcpReverseMbps, direction: 'bToA' },
  { metric: 'udp_forward', unit: 'Mbit/s', value: (r) => r.udpForwardMbps, relative: { unit: '% of underlay', value: (r) => r.relative.udpKeptPercent }, direction: 'aToB' },
  { metric: 'udp_loss', unit: '%', value: (r) => r.udpLossPercent, direction: 'aToB' },
  { metric: 'cpu', unit: '%', value: (r) => r.cpuPercent },
  { metric: 'cpu_per_gbps', unit: CPU_PER_GBPS.unit, value: (r) => r.cpuPerGbps },
];

/**
 * The conditions of a row's link direction, asked and in force (read back): one direction's for a
 * directional figure, both (`a→b …; b→a …`) for a round trip; empty when the run had none.
 */
function conditionsOf(row: LinkRow, d: MetricColumn['direction']): [string | undefined, string | undefined] {
  const c = row.conditions;
  if (!c) return [undefined, undefined];
  if (d) return [c[d].asked, c[d].inForce];
  const both = (k: 'asked' | 'inForce'): string => (c.aToB[k] === c.bToA[k] ? c.aToB[k] : `a→b ${c.aToB[k]}; b→a ${c.bToA[k]}`);
  return [both('asked'), both('inForce')];
}

/** The rows of one run (no header). `cell` names the campaign cell the run measured. */
export function runCsvRows(r: RunResults, registry: Registry, cell?: string): string {
  let out = '';
  for (const row of linkRows(r, registry)) {
    for (const m of METRIC_COLUMNS) {
      const ci = m.ci?.(row);
      out += csvLine([r.runId, cell, row.linkId, row.link, row.kind, row.layer, row.encrypted, row.underlayMtu, row.mtu, row.mss, row.overheadBytes, m.metric, m.unit, m.value(row), ci?.[0], ci?.[1], m.underlay?.(row), m.relative?.value(row), m.relative?.unit, ...conditionsOf(row, m.direction)]);
    }
    // Figures of tools that declare their metrics (tools/<tool>.ts): `<test>:<direction>:<metric>`.
    for (const x of row.tools ?? []) {
      out += csvLine([r.runId, cell, row.linkId, row.link, row.kind, row.layer, row.encrypted, row.underlayMtu, row.mtu, row.mss, row.overheadBytes, x.key, x.unit, x.value, x.ci95?.[0], x.ci95?.[1], undefined, undefined, undefined, ...conditionsOf(row, undefined)]);
    }
  }
  return out;
}

/** A whole CSV file: the header, then each run's rows. */
export function reportCsv(runs: readonly { readonly results: RunResults; readonly cell?: string }[], registry: Registry): string {
  return csvLine(CSV_COLUMNS) + runs.map((x) => runCsvRows(x.results, registry, x.cell)).join('');
}
