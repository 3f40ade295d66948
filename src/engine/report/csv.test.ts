import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARGUMENTS, REPORT_METRICS } from '../../shared/api.js';
import type { RunResults } from '../../shared/measure/results.js';
import { defaultRegistry } from '../../shared/tunnels/index.js';
import { METRIC_IDS } from '../../shared/view/metrics.js';
import { linkRows } from '../../shared/view/table.js';
import { csvField, csvLine, CSV_COLUMNS, reportCsv } from './csv.js';

const fixture = (name: string): RunResults => JSON.parse(readFileSync(path.resolve(import.meta.dirname, `../../../tests/fixtures/results/${name}/results.json`), 'utf8')) as RunResults;

/** An RFC 4180 reader, small and strict, to read back what the writer wrote. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  const endField = (): void => {
    row.push(field);
    field = '';
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i += 2;
    } else if (c === '"') {
      quoted = !quoted;
      i++;
    } else if (!quoted && c === ',') {
      endField();
      i++;
    } else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      endField();
      rows.push(row);
      row = [];
      i += 2;
    } else {
      field += c;
      i++;
    }
  }
  if (field || row.length) throw new Error('the last line has no CRLF');
  return rows;
}

describe('csvField', () => {
  it('quotes a field with a comma, a quote or a line break, doubling its quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a, b')).toBe('"a, b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
  });

  it('writes numbers in their shortest exact form, booleans as words, nothing for absent or non-finite values', () => {
    expect(csvField(0.052312345678)).toBe('0.052312345678');
    expect(csvField(-1.5)).toBe('-1.5');
    expect(csvField(1e21)).toBe('1e+21');
    expect(csvField(true)).toBe('true');
    expect(csvField(undefined)).toBe('');
    expect(csvField(Number.NaN)).toBe('');
  });

  it('keeps a spreadsheet from running a text field as a formula', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@sum')).toBe("'@sum");
    expect(csvField('-x')).toBe("'-x");
  });

  it('reads back to the same fields', () => {
    const fields = ['a,b', 'q"q', 'l1\r\nl2', '', '=1+1', 'x'];
    expect(parseCsv(csvLine(fields))).toEqual([['a,b', 'q"q', 'l1\r\nl2', '', "'=1+1", 'x']]);
  });
});

describe('reportCsv', () => {
  it('has one row per link per metric, under the header, with the figures of the table', () => {
    const r = fixture('mesh4');
    const rows = parseCsv(reportCsv([{ results: r }], defaultRegistry));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    const body = rows.slice(1);
    const metrics = [...new Set(body.map((x) => x[11]))];
    expect(body).toHaveLength(r.links.length * metrics.length);
    for (const row of body) expect(row).toHaveLength(CSV_COLUMNS.length);
    const col = (name: (typeof CSV_COLUMNS)[number]): number => CSV_COLUMNS.indexOf(name);
    for (const lr of linkRows(r, defaultRegistry)) {
      const rtt = body.find((x) => x[col('link_id')] === lr.linkId && x[col('metric')] === 'rtt_mean')!;
      expect(Number(rtt[col('value')])).toBe(lr.rttMeanMs);
      expect(rtt[col('unit')]).toBe('ms');
      expect(rtt[col('kind')]).toBe(lr.kind);
      expect(Number(rtt[col('mtu')])).toBe(lr.mtu);
      if (lr.rttCi95Ms) expect([Number(rtt[col('ci95_low')]), Number(rtt[col('ci95_high')])]).toEqual([...lr.rttCi95Ms]);
      const tcp = body.find((x) => x[col('link_id')] === lr.linkId && x[col('metric')] === 'tcp_forward')!;
      expect(tcp[col('value')]).toBe(lr.tcpForwardMbps === undefined ? '' : String(lr.tcpForwardMbps));
    }
  });

  it('adds a row per figure of a tool that declares its metrics, named <test>:<direction>:<metric> with its unit and interval', () => {
    const r = fixture('mesh4');
    const tunnel = `${r.links[0]!.id}.tunnel`;
    const figure = { mean: 21093.2, ci95: { low: 20000, high: 22000, halfWidth: 1000, level: 0.95 }, values: [20500, 21093.2, 21686.4], unit: 'trans/s', over: 'repetitions' as const };
    const withRr: RunResults = { ...r, summary: { ...r.summary, paths: { ...r.summary.paths, [tunnel]: { ...r.summary.paths[tunnel]!, metrics: { 'rr-tcp:forward': { transactionsPerSecond: figure } } } } } };
    const before = parseCsv(reportCsv([{ results: r }], defaultRegistry)).slice(1);
    const body = parseCsv(reportCsv([{ results: withRr }], defaultRegistry)).slice(1);
    expect(body).toHaveLength(before.length + 1);
    const col = (name: (typeof CSV_COLUMNS)[number]): number => CSV_COLUMNS.indexOf(name);
    const row = body.find((x) => x[col('metric')] === 'rr-tcp:forward:transactionsPerSecond')!;
    expect([row[col('link_id')], row[col('unit')], Number(row[col('value')]), Number(row[col('ci95_low')]), Number(row[col('ci95_high')])]).toEqual([r.links[0]!.id, 'trans/s', 21093.2, 20000, 22000]);
  });

  it('names each campaign cell beside its run', () => {
    const r = fixture('hub3');
    const rows = parseCsv(reportCsv([{ results: r, cell: 'wireguard:implementation=go@1500' }], defaultRegistry)).slice(1);
    expect(new Set(rows.map((x) => x[1]))).toEqual(new Set(['wireguard:implementation=go@1500']));
  });
});

describe('report.pdf arguments', () => {
  it('accept exactly the metrics the heatmap knows', () => {
    expect([...REPORT_METRICS]).toEqual([...METRIC_IDS]);
    expect(ARGUMENTS['report.pdf'].safeParse({ dir: '/p', metric: 'nope' }).success).toBe(false);
    expect(ARGUMENTS['report.pdf'].safeParse({ dir: '/p', metric: 'tcp', format: 'csv', campaignId: 'c1' }).success).toBe(true);
    expect(ARGUMENTS['report.pdf'].safeParse({ dir: '/p', format: 'docx' }).success).toBe(false);
  });
});

describe('reportCsv with link conditions', () => {
  // tests/fixtures/results/rate2: a real run under a→b 40 Mbit/s, b→a 80 Mbit/s (read back from tc).
  const rate = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../tests/fixtures/results/rate2/rate/results.json'), 'utf8')) as RunResults;
  const none = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../tests/fixtures/results/rate2/none/results.json'), 'utf8')) as RunResults;
  const col = (name: (typeof CSV_COLUMNS)[number]): number => CSV_COLUMNS.indexOf(name);

  it("gives each row the conditions of its link direction, asked and in force: a→b for forward throughput, b→a for reverse, both for a round trip", () => {
    const rows = parseCsv(reportCsv([{ results: rate }], defaultRegistry)).slice(1);
    const of = (metric: string): string[] => rows.find((x) => x[col('metric')] === metric)!;
    expect([of('tcp_forward')[col('conditions_asked')], of('tcp_forward')[col('conditions_in_force')]]).toEqual(['40 Mbit/s', '40 Mbit/s']);
    expect(of('tcp_reverse')[col('conditions_in_force')]).toBe('80 Mbit/s');
    expect(of('rtt_mean')[col('conditions_in_force')]).toBe('a→b 40 Mbit/s; b→a 80 Mbit/s');
    // The figure the row carries is one measured under that limit.
    expect(Number(of('tcp_forward')[col('value')])).toBeLessThan(40);
    expect(Number(of('tcp_reverse')[col('value')])).toBeLessThan(80);
    expect(Number(of('tcp_reverse')[col('value')])).toBeGreaterThan(40);
  });

  it('leaves the columns empty for a run measured under none', () => {
    const rows = parseCsv(reportCsv([{ results: none }], defaultRegistry)).slice(1);
    for (const row of rows) expect([row[col('conditions_asked')], row[col('conditions_in_force')]]).toEqual(['', '']);
  });
});
