/**
 * Damaged run and campaign files through the real doors: results.json (cut short, garbage,
 * another format, a newer version, fields of the wrong type, nested a million deep, 100 MB, a
 * folder), its lean.json and listing.json copies, campaign.json; and seeded random damage
 * (fast-check), byte by byte and field by field, to a real run. runs.get, runs.list (which
 * leaves the run out) and runs.unreadable (which says why), report.pdf as JSON and CSV,
 * campaigns.get and campaigns.list, and `overlab report` in-process: an ApiError (exit 1, one
 * line) that names the file and what to do — never a TypeError from deeper in — in bounded time,
 * and the file as it was.
 */
import fc from 'fast-check';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { ApiError, createEngine } from '../../src/engine/engine.js';
import { leanShape, listingShape, resultsShape } from '../../src/engine/measure/results-shape.js';
import { campaignShape } from '../../src/engine/campaign/store.js';
import { leanOf, listingOf, type RunResults } from '../../src/shared/measure/results.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const BOUND_MS = 20_000;
const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/results');
const engine = createEngine({ registry: defaultRegistry });

let root = '';
let dir = '';
let mesh: RunResults;
let meshText = '';
let campaignText = '';
let campaignId = '';
const RUN = '20261201T234446-66f4b5';

const runDir = (id = RUN): string => path.join(dir, 'runs', id);
const resultsFile = (id = RUN): string => path.join(runDir(id), 'results.json');
const campaignFile = (): string => path.join(dir, 'campaigns', campaignId, 'campaign.json');
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** A later mtime for each write: the store keeps the last run read while its mtime and size are unchanged. */
let clock = Date.now() / 1000 + 10;
async function put(file: string, data: string | Buffer): Promise<void> {
  await fs.rm(file, { recursive: true, force: true });
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, data);
  clock += 10;
  await fs.utimes(file, clock, clock);
}

/** The failure of an engine call, or undefined when it succeeded. Bounded. */
async function failure(p: Promise<unknown>): Promise<ApiError | undefined> {
  const t0 = Date.now();
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(Date.now() - t0).toBeLessThan(BOUND_MS);
  if (e !== undefined && !(e instanceof ApiError)) throw e;
  return e;
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-bad-runs-'));
  dir = path.join(root, 'p');
  expect((await cli('new', dir, '--template', 'mesh', '--hosts', '4', '--kind', 'vxlan')).code).toBe(0);
  meshText = await fs.readFile(path.join(FIXTURES, 'mesh4/results.json'), 'utf8');
  mesh = JSON.parse(meshText) as RunResults;
  campaignText = await fs.readFile(path.join(FIXTURES, 'campaign/campaign.json'), 'utf8');
  campaignId = (JSON.parse(campaignText) as { id: string }).id;
});
afterAll(() => fs.rm(root, { recursive: true, force: true }));

beforeEach(async () => {
  await fs.rm(path.join(dir, 'runs'), { recursive: true, force: true });
  await fs.rm(path.join(dir, 'campaigns'), { recursive: true, force: true });
  await fs.rm(path.join(dir, 'reports'), { recursive: true, force: true });
  await fs.mkdir(path.join(dir, 'reports'));
  await put(resultsFile(), meshText);
  for (const id of await fs.readdir(path.join(FIXTURES, 'campaign/runs'))) await put(resultsFile(id), await fs.readFile(path.join(FIXTURES, 'campaign/runs', id, 'results.json')));
  await put(campaignFile(), campaignText);
});

describe('the files Overlab wrote', () => {
  it('all pass their shape checks (the fixtures: real runs and a real campaign)', async () => {
    expect(resultsShape(mesh)).toBeUndefined();
    expect(leanShape(JSON.parse(JSON.stringify(leanOf(mesh))))).toBeUndefined();
    expect(listingShape(listingOf(mesh))).toBeUndefined();
    expect(campaignShape(JSON.parse(campaignText))).toBeUndefined();
    for (const f of ['hub3/results.json', ...(await fs.readdir(path.join(FIXTURES, 'campaign/runs'))).map((id) => `campaign/runs/${id}/results.json`)]) {
      expect(resultsShape(JSON.parse(await fs.readFile(path.join(FIXTURES, f), 'utf8'))), f).toBeUndefined();
    }
    expect((await engine['runs.list']({ dir })).map((r) => r.runId)).toContain(RUN);
    expect(await engine['runs.unreadable']({ dir })).toEqual([]);
  });
});

const edit = (f: (r: Record<string, unknown>) => void): (() => string) => () => {
  const r = JSON.parse(meshText) as Record<string, unknown>;
  f(r);
  return JSON.stringify(r);
};
const at = (r: Record<string, unknown>, ...keys: (string | number)[]): Record<string, unknown> => keys.reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, r);

const BAD_RESULTS: Readonly<Record<string, [() => string | Buffer | 'huge' | 'folder', RegExp]>> = {
  'cut short': [() => meshText.slice(0, meshText.length / 2), /is not valid JSON .*: it was cut short or changed by hand; measure again, or remove the run folder/],
  emptied: [() => '', /is not valid JSON/],
  garbage: [() => Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 131 + 7) % 256)), /is not valid JSON/],
  'a list': [() => '[]', /is not an Overlab results file/],
  null: [() => 'null', /is not an Overlab results file/],
  'without "format"': [edit((r) => delete r.format), /is not an Overlab results file \(it has no "format": "overlab-results"\)/],
  'from a newer Overlab': [edit((r) => (r.version = 99)), /was written by a newer Overlab \(results version 99/],
  '"tests" not a list': [edit((r) => (r.tests = { a: 1 })), /is damaged: tests is an object where a list belongs/],
  'a test that is null': [edit((r) => ((r.tests as unknown[])[0] = null)), /is damaged: tests\[0\] is null where an object belongs/],
  'ping samples a string': [edit((r) => (at(r, 'tests', 0, 'ping').samples = 'x')), /is damaged: tests\[0\]\.ping\.samples is the string "x" where a list belongs/],
  '"summary" missing': [edit((r) => delete r.summary), /is damaged: summary is missing \(it should be an object\)/],
  'a path without its source': [edit((r) => delete at(r, 'paths', 0).src), /is damaged: paths\[0\]\.src is missing/],
  'a link whose MTU is text': [edit((r) => (at(r, 'links', 1).mtu = '1500')), /is damaged: links\[1\]\.mtu is the string "1500" where a number belongs/],
  'a summary figure of the wrong type': [edit((r) => (at(r, 'summary', 'paths', (r.paths as { id: string }[])[0]!.id, 'rtt', 'ms').mean = [])), /is damaged: summary\.paths\[?.*rtt\.ms\.mean is a list where a number belongs/],
  'marked lean': [edit((r) => (r.lean = true)), /is damaged: lean is boolean true where absent belongs/],
  'nested a million deep': [() => `{"format":"overlab-results","x":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`, /nests more than 64 levels deep \(at character \d+\), which no results file does/],
  // Under the 512 MiB a results file may have (a 2,000-link run is 54 MB): read, and refused for what it holds.
  '100 MB': [() => 'huge', /is not valid JSON/],
  'a folder': [() => 'folder', /cannot read .*: it is a folder, not a file; measure again, or remove the run folder/],
};

describe('a results.json that does not read', () => {
  it.each(Object.keys(BAD_RESULTS))('%s: every door names it and what to do; nothing written', async (how) => {
    const [make, words] = BAD_RESULTS[how]!;
    const bytes = make();
    const file = resultsFile();
    if (bytes === 'huge') {
      await put(file, '');
      await fs.truncate(file, 100 << 20);
    } else if (bytes === 'folder') {
      await fs.rm(file);
      await fs.mkdir(file);
    } else await put(file, bytes);
    const before = typeof bytes === 'string' && bytes !== 'huge' && bytes !== 'folder' ? Buffer.from(bytes) : Buffer.isBuffer(bytes) ? bytes : undefined;
    const starts = new RegExp(`^(cannot read )?${escape(file)}[ :]`);

    for (const lean of [false, true]) {
      const e = await failure(engine['runs.get']({ dir, runId: RUN, lean }));
      expect(e?.code).toBe('failed');
      expect(e!.message).toMatch(starts);
      expect(e!.message).toMatch(words);
      expect(e!.message).not.toMatch(/[\n\r]/);
    }
    // Left out of the list, and said why.
    expect((await engine['runs.list']({ dir })).map((r) => r.runId)).not.toContain(RUN);
    const unreadable = await engine['runs.unreadable']({ dir });
    expect(unreadable).toHaveLength(1);
    expect(unreadable[0]).toMatchObject({ runId: RUN, file, reason: expect.stringMatching(words) });
    for (const format of ['json', 'csv'] as const) {
      const e = await failure(engine['report.pdf']({ dir, runId: RUN, format }));
      expect(e?.message).toMatch(starts);
      const r = await cli('report', dir, '--run', RUN, '--format', format, '--out', path.join(root, `r.${format}`), '--json');
      expect(r.code).toBe(1);
      const lines = r.err.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^overlab: (cannot read )?${escape(file)}[ :]`));
      expect(r.err).not.toMatch(/internal error|TypeError|^\s+at /m);
    }
    // Nothing written: the file as it was, no copies beside it, no report.
    if (before) expect((await fs.readFile(file)).equals(before)).toBe(true);
    expect((await fs.readdir(runDir())).sort()).toEqual(['results.json']);
    expect(await fs.readdir(path.join(dir, 'reports'))).toEqual([]);
    await expect(fs.stat(path.join(root, 'r.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('a damaged lean.json or listing.json (copies derived from results.json)', () => {
  const LEAN: Readonly<Record<string, () => string>> = {
    'cut short': () => JSON.stringify(leanOf(mesh)).slice(0, 1000),
    'of the wrong shape': () => JSON.stringify({ ...leanOf(mesh), digest: { ...leanOf(mesh).digest, figures: 5 } }),
    'nested deep': () => `{"format":"overlab-results",${'"a":['.repeat(1)}${'['.repeat(100_000)}${']'.repeat(100_001)}}`,
  };
  it.each(Object.keys(LEAN))('lean.json %s: the run is read lean from results.json instead, and the copy made again', async (how) => {
    await put(path.join(runDir(), 'lean.json'), LEAN[how]!());
    const r = await engine['runs.get']({ dir, runId: RUN, lean: true });
    expect(JSON.parse(JSON.stringify(r))).toEqual(JSON.parse(JSON.stringify(leanOf(mesh))));
    expect(leanShape(JSON.parse(await fs.readFile(path.join(runDir(), 'lean.json'), 'utf8')))).toBeUndefined();
  });

  it.each([
    ['status a number', { status: 3 }],
    ['kinds a string', { kinds: 'vxlan' }],
    ['startedAt missing', { startedAt: undefined }],
  ])('listing.json with %s: the run is listed from results.json', async (_how, change) => {
    await put(path.join(runDir(), 'listing.json'), JSON.stringify({ ...listingOf(mesh), suite: 'from the copy', ...change }));
    const listed = (await engine['runs.list']({ dir })).find((r) => r.runId === RUN);
    expect(listed).toEqual(listingOf(mesh));
  });
});

describe('a report of "the newest run" when that run does not read', () => {
  it('is refused naming its file, rather than an older run passed off as the newest', async () => {
    const ids = (await fs.readdir(path.join(dir, 'runs'))).sort();
    const newest = ids[ids.length - 1]!;
    await put(resultsFile(newest), '{"format":"overlab-results"');
    const e = await failure(engine['report.pdf']({ dir, format: 'json' }));
    expect(e?.message).toMatch(new RegExp(`^the newest run does not read: ${escape(resultsFile(newest))} is not valid JSON.*give --run ID`));
    const r = await cli('report', dir, '--format', 'csv', '--out', path.join(root, 'newest.csv'), '--json');
    expect(r.code).toBe(1);
    expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.err).toContain(resultsFile(newest));
    expect(await fs.readdir(path.join(dir, 'reports'))).toEqual([]);
    // An older run by name still reports.
    expect((await engine['report.pdf']({ dir, runId: ids[0]!, format: 'json' })).file).toContain(ids[0]!);
  });
});

const editCampaign = (f: (c: Record<string, unknown>) => void): (() => string) => () => {
  const c = JSON.parse(campaignText) as Record<string, unknown>;
  f(c);
  return JSON.stringify(c);
};

const BAD_CAMPAIGNS: Readonly<Record<string, [() => string | 'huge', RegExp]>> = {
  'cut short': [() => campaignText.slice(0, 200), /is not valid JSON .*start a new campaign, or remove the folder/],
  garbage: [() => '\u0000\u00ff{{{', /is not valid JSON/],
  'not a campaign': [() => meshText, /is not an Overlab campaign file/],
  'from a newer Overlab': [editCampaign((c) => (c.version = 7)), /was written by a newer Overlab \(campaign version 7/],
  '"cells" not a list': [editCampaign((c) => (c.cells = 'all')), /is damaged: cells is the string "all" where a list belongs/],
  'a cell of an unknown status': [editCampaign((c) => ((c.cells as { status: string }[])[1]!.status = 'great')), /is damaged: cells\[1\]\.status is the string "great" where "pending" or "done"/],
  'a cell whose run is a path': [editCampaign((c) => ((c.cells as { runId: string }[])[0]!.runId = '../../etc')), /is damaged: cells\[0\]\.runId is the string "\.\.\/\.\.\/etc" where a run id belongs/],
  'nested deep': [() => `{"format":"overlab-campaign","cells":${'['.repeat(100_000)}`, /nests more than 64 levels deep/],
  '100 MB': [() => 'huge', /is 100 MiB, more than the 16 MiB/],
};

describe('a campaign.json that does not read', () => {
  it.each(Object.keys(BAD_CAMPAIGNS))('%s: campaigns.get and the reports name it, the list leaves it out', async (how) => {
    const [make, words] = BAD_CAMPAIGNS[how]!;
    const bytes = make();
    const file = campaignFile();
    if (bytes === 'huge') {
      await put(file, '');
      await fs.truncate(file, 100 << 20);
    } else await put(file, bytes);
    const e = await failure(engine['campaigns.get']({ dir, campaignId }));
    expect(e?.code).toBe('failed');
    expect(e!.message).toMatch(new RegExp(`^${escape(file)} `));
    expect(e!.message).toMatch(words);
    expect(await engine['campaigns.list']({ dir })).toEqual([]);
    for (const format of ['json', 'csv'] as const) {
      const r = await cli('report', dir, '--campaign', campaignId, '--format', format, '--out', path.join(root, `c.${format}`), '--json');
      expect(r.code).toBe(1);
      const lines = r.err.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^overlab: ${escape(file)} `));
    }
    if (bytes !== 'huge') expect(await fs.readFile(file, 'utf8')).toBe(bytes);
    expect(await fs.readdir(path.join(dir, 'reports'))).toEqual([]);
  });

  it('a campaign whose run is damaged: the CSV names the run file; the analysis leaves the cell out', async () => {
    const c = JSON.parse(campaignText) as { cells: { runId?: string; status: string }[] };
    const victim = c.cells.find((x) => x.runId && x.status === 'done')!.runId!;
    await put(resultsFile(victim), '{"format":"overlab-results","tests":7}');
    const got = await engine['campaigns.get']({ dir, campaignId });
    expect(got.campaign.cells).toHaveLength(c.cells.length);
    const r = await cli('report', dir, '--campaign', campaignId, '--format', 'csv', '--out', path.join(root, 'c.csv'), '--json');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^overlab: ${escape(resultsFile(victim))} is damaged: `));
  });
});

type Damage = { kind: 'bytes'; op: 'truncate' | 'flip' | 'insert' | 'delete'; at: number; text: string; mask: number } | { kind: 'field'; path: number; to: 'string' | 'number' | 'null' | 'list' | 'object' | 'delete' | 'true' };

/** Every path to a value in a JSON value, as key lists. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  out.push(prefix);
  return out;
}

describe('seeded random damage to a real run (fast-check)', () => {
  it('each door reads it as a run or refuses it naming the file, never a TypeError', async () => {
    const text = await fs.readFile(path.join(FIXTURES, 'hub3/results.json'), 'utf8');
    const value = JSON.parse(text) as Record<string, unknown>;
    const id = value.runId as string;
    const all = paths(value).filter((p) => p.length > 0);
    const file = resultsFile(id);
    const damage: fc.Arbitrary<Damage> = fc.oneof(
      fc.record({ kind: fc.constant('bytes' as const), op: fc.constantFrom('truncate' as const, 'flip' as const, 'insert' as const, 'delete' as const), at: fc.nat({ max: text.length }), text: fc.constantFrom('"', '{', '}', '[', ']', ',', ':', '\\', 'null', '1e999', '-', '\u0000', '"x":', '[[[['), mask: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('field' as const), path: fc.nat({ max: all.length - 1 }), to: fc.constantFrom('string' as const, 'number' as const, 'null' as const, 'list' as const, 'object' as const, 'delete' as const, 'true' as const) }),
    );
    let refused = 0;
    let read = 0;
    await fc.assert(
      fc.asyncProperty(damage, async (d) => {
        let bytes: Buffer;
        if (d.kind === 'bytes') {
          const b = Buffer.from(text);
          const i = Math.min(d.at, b.length - 1);
          bytes =
            d.op === 'truncate' ? b.subarray(0, i) : d.op === 'flip' ? Buffer.from(b.map((x, j) => (j === i ? x ^ d.mask : x))) : d.op === 'insert' ? Buffer.concat([b.subarray(0, i), Buffer.from(d.text), b.subarray(i)]) : Buffer.concat([b.subarray(0, i), b.subarray(i + 1 + (d.mask % 40))]);
        } else {
          const v = JSON.parse(text) as Record<string, unknown>;
          const p = all[d.path]!;
          const parent = p.slice(0, -1).reduce<Record<string | number, unknown>>((o, k) => o[k] as Record<string | number, unknown>, v);
          const key = p[p.length - 1]!;
          const to = { string: 'x', number: 7, null: null, list: [], object: {}, true: true, delete: undefined }[d.to];
          if (d.to === 'delete' && Array.isArray(parent)) parent.splice(Number(key), 1);
          else if (d.to === 'delete') delete parent[key];
          else parent[key] = to;
          bytes = Buffer.from(JSON.stringify(v));
        }
        await put(file, bytes);
        const outcomes = [await failure(engine['runs.get']({ dir, runId: id })), await failure(engine['runs.get']({ dir, runId: id, lean: true })), await failure(engine['report.pdf']({ dir, runId: id, format: 'csv', file: path.join(root, 'fc.csv') })), await failure(engine['report.pdf']({ dir, runId: id, format: 'json', file: path.join(root, 'fc.json') }))];
        const refusedHere = outcomes.filter((e) => e !== undefined);
        // Every door agrees: a file reads as a run or it does not.
        expect(refusedHere.length === 0 || refusedHere.length === outcomes.length, JSON.stringify(outcomes.map((e) => e?.message))).toBe(true);
        for (const e of refusedHere) {
          expect(e!.message).toMatch(new RegExp(`^${escape(file)} `));
          expect(e!.message).not.toMatch(/Cannot read propert|is not a function|is not iterable|undefined \(reading/);
        }
        const listed = (await engine['runs.list']({ dir })).some((r) => r.runId === id);
        const unreadable = (await engine['runs.unreadable']({ dir })).some((r) => r.runId === id);
        expect(listed).toBe(refusedHere.length === 0);
        expect(unreadable).toBe(refusedHere.length > 0);
        if (refusedHere.length) refused++;
        else read++;
        expect((await fs.readFile(file)).equals(bytes)).toBe(true);
      }),
      { seed: 777, numRuns: 200 },
    );
    expect(refused).toBeGreaterThan(60);
    expect(read).toBeGreaterThan(5);
  }, 120_000);
});
