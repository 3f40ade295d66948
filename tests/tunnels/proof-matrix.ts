/**
 * The proof matrix (issue 23): every kind × {site-to-site, hub-spoke (3 hosts: spoke to spoke
 * through the hub), mesh (4 hosts)} × {IPv4 1500, IPv4 9000, IPv6 1500}. Pure: which cells to
 * run (from the catalogue's capability table: a cell a kind cannot build by design is
 * `unsupported`, with the kind's reason, and never run), the prove.ts case spec of each cell,
 * the parser of prove.ts's (and run-all.sh's) output, and the table as text and as markdown.
 * `tests/tunnels/proof.ts` (`npm run proof`) runs it.
 */
import type { Shape } from '../../src/shared/schema.js';
import { familyKey, refusal, type Registry } from '../../src/shared/tunnels/types.js';

/** One column of the matrix: a shape, its host count, the underlay MTU and family. */
export interface MatrixCase {
  /** Short id for `--cases`, e.g. `hub-1500`, `mesh-v6`. */
  readonly id: string;
  readonly label: string;
  readonly shape: Shape;
  readonly hosts: number;
  readonly mtu: number;
  readonly family: 4 | 6;
}

const SHAPE_CASES = [
  { key: 's2s', shape: 'site-to-site', hosts: 2, label: 'site-to-site' },
  { key: 'hub', shape: 'hub-spoke', hosts: 3, label: 'hub-spoke 3' },
  { key: 'mesh', shape: 'mesh', hosts: 4, label: 'mesh 4' },
] as const;

/** The matrix's columns, in the order the table shows them. */
export const MATRIX_CASES: readonly MatrixCase[] = [
  ...[1500, 9000].flatMap((mtu) => SHAPE_CASES.map((s) => ({ id: `${s.key}-${mtu}`, label: `${s.label}, IPv4 ${mtu}`, shape: s.shape, hosts: s.hosts, mtu, family: 4 as const }))),
  ...SHAPE_CASES.map((s) => ({ id: `${s.key}-v6`, label: `${s.label}, IPv6 1500`, shape: s.shape, hosts: s.hosts, mtu: 1500, family: 6 as const })),
];

/** prove.ts's case spec of a cell: `KIND:template:hosts:mtu[:underlay=6]`. */
export const caseSpec = (kind: string, c: MatrixCase): string => `${kind}:${c.shape}:${c.hosts}:${c.mtu}${c.family === 6 ? ':underlay=6' : ''}`;

export type CellStatus = 'ok' | 'FAIL' | 'unsupported' | 'not run';

export interface Cell {
  readonly kind: string;
  readonly case: MatrixCase;
  readonly spec: string;
  readonly status: CellStatus;
  /** Seconds the case took (ok / FAIL). */
  readonly seconds?: number;
  /** Why unsupported (the kind's own reason), why not run, or the first failed check. */
  readonly note?: string;
}

/**
 * The cells of the matrix for these kinds (all of them by default): the cells a kind cannot build
 * (unsupported, with its reason), and the specs to run — of the asked-for cases only (`caseIds`;
 * the table still shows every case, the others as not asked for).
 */
export function planMatrix(
  registry: Registry,
  kinds: readonly string[] | undefined,
  caseIds: readonly string[] | undefined,
): { kinds: string[]; cases: readonly MatrixCase[]; asked: Set<string>; unsupported: Map<string, string>; toRun: string[] } {
  const known = registry.kinds.map((k) => k.id);
  const unknownKinds = (kinds ?? []).filter((k) => !known.includes(k));
  if (unknownKinds.length) throw new UsageError(`--only: unknown kind ${unknownKinds.join(', ')}; kinds: ${known.join(', ')}`);
  const unknownCases = (caseIds ?? []).filter((c) => !MATRIX_CASES.some((m) => m.id === c));
  if (unknownCases.length) throw new UsageError(`--cases: unknown case ${unknownCases.join(', ')}; cases: ${MATRIX_CASES.map((m) => m.id).join(', ')}`);
  const ks = registry.kinds.filter((k) => !kinds?.length || kinds.includes(k.id));
  const asked = new Set(MATRIX_CASES.filter((c) => !caseIds?.length || caseIds.includes(c.id)).map((c) => c.id));
  const unsupported = new Map<string, string>();
  const toRun: string[] = [];
  for (const k of ks) {
    for (const c of MATRIX_CASES) {
      const why = refusal(k.capabilities.shapes[c.shape]) ?? refusal(k.capabilities.underlay[familyKey(c.family)]);
      if (why) unsupported.set(caseSpec(k.id, c), why);
      else if (asked.has(c.id)) toRun.push(caseSpec(k.id, c));
    }
  }
  return { kinds: ks.map((k) => k.id), cases: MATRIX_CASES, asked, unsupported, toRun };
}

export class UsageError extends Error {}

/** What a prove.ts / run-all.sh log says. */
export interface ProveLog {
  /** Per case spec: its result, seconds and (when it failed) the first failed check. */
  readonly results: Map<string, { ok: boolean; seconds: number; detail?: string }>;
  /** Specs run-all.sh said it skipped (`== skipped (--no-vm): …`). */
  readonly skippedNoVm: Set<string>;
  /** Seconds of each prove.ts run in the log (`(N cases in L labs, S s, …)`), by stage. */
  readonly stages: { stage: 'here' | 'vm' | 'unknown'; cases: number; seconds: number }[];
  /** `# key: value` lines proof.ts writes at the top of the log it keeps. */
  readonly meta: Record<string, string>;
}

const CASE_LINE = /^(ok {2}|FAIL) (\S+) \((\d+) s; (\d+) passed, (\d+) failed\)/;
const STAGE_LINE = /^\((\d+) cases in \d+ labs?, (\d+) s, \d+ lab\(s\) at a time\)$/;

/**
 * Reads prove.ts's output (alone, or inside run-all.sh's, or as the full-kernel VM's console
 * relays it): `ok   SPEC (N s; P passed, F failed)…` and `FAIL SPEC (…):` followed by its
 * failed checks indented by five spaces.
 */
export function parseProveLog(text: string): ProveLog {
  const results: ProveLog['results'] = new Map();
  const skippedNoVm = new Set<string>();
  const stages: ProveLog['stages'] = [];
  const meta: Record<string, string> = {};
  let stage: 'here' | 'vm' | 'unknown' = 'unknown';
  let failing: string | undefined;
  // The VM's console may end lines with \r.
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const m = CASE_LINE.exec(line);
    if (m) {
      const ok = m[1] !== 'FAIL';
      results.set(m[2]!, { ok, seconds: Number(m[3]) });
      failing = ok ? undefined : m[2];
      continue;
    }
    if (failing && line.startsWith('     ')) {
      const r = results.get(failing)!;
      if (!r.detail) results.set(failing, { ...r, detail: line.trim().replace(/^FAIL /, '') });
      continue;
    }
    failing = undefined;
    const meta1 = /^# ([a-z-]+): (.*)$/.exec(line);
    if (meta1) meta[meta1[1]!] = meta1[2]!;
    else if (line.startsWith('== on this kernel')) stage = 'here';
    else if (line.startsWith('== in the full-kernel VM')) stage = 'vm';
    else if (line.startsWith('== skipped (--no-vm): ')) {
      for (const s of line.slice('== skipped (--no-vm): '.length).trim().split(/\s+/)) if (s) skippedNoVm.add(s);
    } else {
      const st = STAGE_LINE.exec(line);
      if (st) stages.push({ stage, cases: Number(st[1]), seconds: Number(st[2]) });
    }
  }
  return { results, skippedNoVm, stages, meta };
}

/**
 * The matrix's cells, from the plan and a log. A planned cell the log does not mention is `not
 * run`, saying why when it can: run-all.sh skipped it (--no-vm), or `notHere` (kinds this
 * machine's kernel lacks) says it could only have run in the full-kernel VM.
 */
export function cellsFrom(planned: ReturnType<typeof planMatrix>, log: ProveLog, notHere: ReadonlySet<string> = new Set()): Cell[] {
  const cells: Cell[] = [];
  for (const kind of planned.kinds) {
    for (const c of planned.cases) {
      const spec = caseSpec(kind, c);
      const why = planned.unsupported.get(spec);
      if (why) {
        cells.push({ kind, case: c, spec, status: 'unsupported', note: why });
        continue;
      }
      const r = log.results.get(spec);
      if (!planned.asked.has(c.id)) cells.push({ kind, case: c, spec, status: 'not run', note: 'not asked for (--cases)' });
      else if (r) cells.push({ kind, case: c, spec, status: r.ok ? 'ok' : 'FAIL', seconds: r.seconds, ...(r.detail ? { note: r.detail } : {}) });
      else if (log.skippedNoVm.has(spec)) cells.push({ kind, case: c, spec, status: 'not run', note: 'this kernel lacks the kind and the full-kernel VM stage was skipped (--no-vm)' });
      else cells.push({ kind, case: c, spec, status: 'not run', note: notHere.has(kind) ? 'no result in the log; this machine\'s kernel lacks the kind (it runs in the full-kernel VM)' : 'no result in the log' });
    }
  }
  return cells;
}

const short = (c: Cell): string => (c.status === 'ok' ? `ok ${c.seconds}s` : c.status === 'FAIL' ? `FAIL ${c.seconds}s` : c.status === 'unsupported' ? 'unsupp.' : 'not run');

/** Counts per status. */
export function tally(cells: readonly Cell[]): Record<CellStatus, number> {
  const t: Record<CellStatus, number> = { ok: 0, FAIL: 0, unsupported: 0, 'not run': 0 };
  for (const c of cells) t[c.status]++;
  return t;
}

/** The table for a terminal: kind × case, one short cell each, then the counts. */
export function textTable(cells: readonly Cell[], cases: readonly MatrixCase[]): string {
  const kinds = [...new Set(cells.map((c) => c.kind))];
  const w = Math.max(4, ...kinds.map((k) => k.length));
  const cw = Math.max(...cases.map((c) => c.id.length), 10);
  let out = `${'KIND'.padEnd(w)}  ${cases.map((c) => c.id.padEnd(cw)).join(' ')}`.trimEnd() + '\n';
  for (const k of kinds) {
    const row = cases.map((c) => short(cells.find((x) => x.kind === k && x.case.id === c.id)!).padEnd(cw));
    out += `${k.padEnd(w)}  ${row.join(' ')}`.trimEnd() + '\n';
  }
  const t = tally(cells);
  out += `${t.ok} ok, ${t.FAIL} failed, ${t.unsupported} unsupported by design, ${t['not run']} not run\n`;
  return out;
}

export interface Provenance {
  readonly date: string;
  readonly commit: string;
  /** The command that made the log. */
  readonly command: string;
  /** Wall seconds of the whole run, when known. */
  readonly seconds?: number;
}

const mdCell = (c: Cell): string => (c.status === 'ok' ? `ok (${c.seconds} s)` : c.status === 'FAIL' ? `**FAIL** (${c.seconds} s)` : c.status === 'unsupported' ? 'unsupported' : 'not run');
const escapeMd = (s: string): string => s.replace(/\|/g, '\\|');

/**
 * The matrix as markdown: provenance (date, commit, command, durations per stage), the table,
 * and below it every cell that is not `ok` with its reason. Says `Partial` when a planned cell
 * was not run or only some kinds were asked for (--only).
 */
export function markdownTable(cells: readonly Cell[], cases: readonly MatrixCase[], log: ProveLog, p: Provenance, whole: boolean): string {
  const kinds = [...new Set(cells.map((c) => c.kind))];
  const t = tally(cells);
  const lines: string[] = [];
  const stages = log.stages.map((s) => `${s.stage === 'here' ? 'this kernel' : s.stage === 'vm' ? 'the full-kernel VM' : 'prove.ts'}: ${s.cases} cases in ${s.seconds} s`);
  lines.push(`Generated by \`${p.command}\` on ${p.date} at commit \`${p.commit}\`${p.seconds !== undefined ? `, ${p.seconds} s in all` : ''}${stages.length ? ` (${stages.join('; ')})` : ''}.`);
  lines.push('');
  lines.push(`**${t.ok} ok, ${t.FAIL} failed, ${t.unsupported} unsupported by design, ${t['not run']} not run.**${!whole || t['not run'] > 0 ? ` Partial: ${[!whole ? 'only some kinds were asked for (--only)' : '', t['not run'] > 0 ? 'the cells marked "not run" did not run (reasons below)' : ''].filter(Boolean).join('; ')}.` : ''}`);
  lines.push('');
  lines.push(`| kind | ${cases.map((c) => c.label).join(' | ')} |`);
  lines.push(`|---|${cases.map(() => '---').join('|')}|`);
  for (const k of kinds) lines.push(`| ${k} | ${cases.map((c) => mdCell(cells.find((x) => x.kind === k && x.case.id === c.id)!)).join(' | ')} |`);
  lines.push('');
  lines.push(`Case ids: ${cases.map((c) => `${c.id} = ${c.label}`).join('; ')}.`);
  lines.push('');
  lines.push('Each ok cell is a prove.ts case (`tests/tunnels/prove.ts`, spec `KIND:shape:hosts:mtu[:underlay=6]`): deploy over SSH twice (the second changes nothing), per link a don\'t-fragment ping at the planned MTU crosses and one byte more does not with nothing fragmented, TCP, LAN to LAN (spoke to spoke through the hub in a hub-spoke), teardown leaves every host as it was.');
  const notes = (status: CellStatus, title: string): void => {
    const these = cells.filter((c) => c.status === status);
    if (!these.length) return;
    lines.push('');
    lines.push(`${title}:`);
    // One line per distinct reason naming its cells by kind and case id, so that 17 kinds lacking the VM take one line.
    const byNote = new Map<string, Map<string, string[]>>();
    for (const c of these) {
      const perKind = byNote.get(c.note ?? '') ?? new Map<string, string[]>();
      perKind.set(c.kind, [...(perKind.get(c.kind) ?? []), c.case.id]);
      byNote.set(c.note ?? '', perKind);
    }
    for (const [note, perKind] of byNote) lines.push(`- ${[...perKind].map(([k, ids]) => `\`${k}\` ${ids.length === cases.length ? 'all' : ids.join(' ')}`).join('; ')}: ${escapeMd(note)}`);
  };
  notes('FAIL', 'Failed (first failed check)');
  notes('not run', 'Not run');
  notes('unsupported', 'Unsupported by design (the kind\'s capability table, `overlab kinds --how`)');
  return `${lines.join('\n')}\n`;
}

export const README_START = '<!-- proof-matrix:start (generated by npm run proof -- --update-readme) -->';
export const README_END = '<!-- proof-matrix:end -->';

/** The README with the text between the markers replaced; an error when the markers are missing. */
export function replaceBetweenMarkers(readme: string, body: string): string {
  const a = readme.indexOf(README_START);
  const b = readme.indexOf(README_END);
  if (a < 0 || b < a) throw new UsageError(`README.md has no ${README_START} … ${README_END} markers: add them where the table goes`);
  return `${readme.slice(0, a + README_START.length)}\n${body}${readme.slice(b)}`;
}
