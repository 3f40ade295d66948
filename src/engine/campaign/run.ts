/**
 * `overlab campaign`: for each kind × underlay MTU × conditions, a cell project (the project's
 * hosts and links, every link of that kind, that MTU, that conditions preset — the link's own
 * conditions replaced, none: no conditions at all) in campaigns/<id>/cells/<cell>/ — lab up (lab
 * hosts), deploy, measure (its run in the project's runs/, tagged with the campaign), tear
 * down, lab down. campaign.json is rewritten after every cell, so a campaign interrupted
 * anywhere resumes at the first unfinished cell (`--resume ID`). A cell whose kind the hosts
 * cannot carry is skipped with the preflight's reason; one that fails is recorded and the
 * campaign goes on.
 */
import path from 'node:path';
import { hostFailed } from '../../shared/deploy.js';
import { hasErrors } from '../../shared/diagnostics.js';
import { linkDirections, needsNetem } from '../../shared/conditions.js';
import { analyseCampaign, CAMPAIGN_FORMAT, CAMPAIGN_VERSION, cellId, conditionsOf, kindFigures, newCampaign, NO_CONDITIONS, specLabel, type CampaignAnalysis, type CampaignFile, type Cell, type KindSpec } from '../../shared/measure/campaign.js';
import type { RunResults } from '../../shared/measure/results.js';
import { sameCondition } from '../../shared/view/conditions.js';
import { RUN_ID_RE, type ProgressEvent } from '../../shared/api.js';
import type { Plan } from '../../shared/plan.js';
import type { Topology } from '../../shared/schema.js';
import type { Registry } from '../../shared/tunnels/types.js';
import { ApiError } from '../api-error.js';
import { readKnownHostsText } from '../deploy/hostkeys.js';
import { knownHostsPath, labDown, labUp, chooseLabLayout } from '../lab/lab.js';
import { readRun } from '../measure/store.js';
import { newRunId } from '../runs.js';
import { planProject } from '../services/bundles.js';
import { ensureDir, readText, statFile, TooLargeError, UnsafePathError, writeFile } from '../safe-fs.js';
import { describeProblem, JSON_MAX_DEPTH, jsonTooDeep, parseErrorText } from '../shape.js';
import { CAMPAIGN_MAX, campaignShape } from './store.js';
import { openProject, saveProject } from '../store/project.js';

export interface CampaignOptions {
  readonly id: string;
  readonly kinds: readonly KindSpec[];
  readonly mtus: readonly number[];
  /** Conditions presets (or none), each cell's project gets one on every link; default none only. */
  readonly conditions?: readonly string[];
  readonly suite: string;
  readonly repeat?: number;
  readonly duration?: number;
  /** Resume campaign `id` (its cells and parameters come from its campaign.json). */
  readonly resume?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (e: Omit<ProgressEvent, 'runId'>) => void;
  readonly password?: (host: string, login: string) => Promise<string | undefined>;
}

export interface CampaignOutcome {
  readonly id: string;
  readonly dir: string;
  readonly campaign: CampaignFile;
  readonly analysis: CampaignAnalysis;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
export const campaignDir = (projectDir: string, id: string): string => path.join(projectDir, 'campaigns', id);

/**
 * A campaign's campaign.json, or an ApiError naming the file, what is wrong and what to do: cut
 * short, not JSON, nested past any campaign file, not Overlab's, newer, or of the wrong shape.
 */
export async function readCampaign(projectDir: string, id: string): Promise<CampaignFile> {
  if (!RUN_ID_RE.test(id)) throw new ApiError('invalid-arguments', `"${id}" is not a campaign id`);
  const folder = campaignDir(projectDir, id);
  const file = path.join(folder, 'campaign.json');
  const fix = `start a new campaign, or remove the folder ${folder}`;
  let text: string | undefined;
  try {
    text = await readText(file, { maxBytes: CAMPAIGN_MAX });
  } catch (e) {
    if (e instanceof UnsafePathError || e instanceof TooLargeError) throw new ApiError('failed', e.message);
    throw new ApiError('failed', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'EISDIR' ? 'it is a folder, not a file' : message(e)}; ${fix}`);
  }
  if (text === undefined) throw new ApiError('invalid-arguments', `there is no campaign ${id} in ${path.join(projectDir, 'campaigns')}`);
  const deep = jsonTooDeep(text, JSON_MAX_DEPTH);
  if (deep !== undefined) throw new ApiError('failed', `${file} nests more than ${JSON_MAX_DEPTH} levels deep (at character ${deep + 1}), which no campaign file does: it is damaged or not Overlab's; ${fix}`);
  let c: unknown;
  try {
    c = JSON.parse(text);
  } catch (e) {
    throw new ApiError('failed', `${file} is not valid JSON (${parseErrorText(e)}): it was cut short or changed by hand; ${fix}`);
  }
  if (c === null || typeof c !== 'object' || (c as { format?: unknown }).format !== CAMPAIGN_FORMAT) throw new ApiError('failed', `${file} is not an Overlab campaign file (it has no "format": "${CAMPAIGN_FORMAT}"); ${fix}`);
  const version = (c as { version?: unknown }).version;
  if (typeof version === 'number' && version > CAMPAIGN_VERSION) throw new ApiError('failed', `${file} was written by a newer Overlab (campaign version ${version}; this one reads ${CAMPAIGN_VERSION}): open it with that version`);
  const problem = campaignShape(c);
  if (problem) throw new ApiError('failed', `${file} is damaged: ${describeProblem(problem)}; it was changed by hand or written by something else; ${fix}`);
  return c as CampaignFile;
}

/**
 * The cell's project: the same hosts (ids, LANs, targets) and links, every link of the cell's
 * kind, the cell's MTU, the cell's conditions preset on every link. The project's own conditions
 * (links' and uplinks') do not ride along: a cell is measured under its conditions alone, so that
 * cells under one preset compare.
 */
export function cellTopology(t: Topology, cell: Cell): Topology {
  const cond = conditionsOf(cell);
  return {
    ...t,
    name: `${t.name} — ${cell.label} at MTU ${cell.mtu}${cond === NO_CONDITIONS ? '' : ` under ${cond}`}`,
    underlay: { ...t.underlay, mtu: cell.mtu },
    hosts: t.hosts.map(({ uplink: _uplink, ...h }) => h),
    // A link's MTU override belonged to its old kind: the cell's kind gets its computed MTU.
    links: t.links.map(({ mtu: _override, conditions: _own, ...l }) => ({ ...l, kind: cell.kind, options: { ...cell.options }, ...(cond === NO_CONDITIONS ? {} : { conditions: { preset: cond } }) })),
  };
}

/**
 * Why a cell's run cannot stand for its conditions, or undefined: every link must have been
 * measured under the preset (read back), and a cell under none under nothing. A run without a
 * record where conditions were asked was measured over a perfect wire — not what the cell says.
 */
export function conditionsProblem(cell: Cell, r: RunResults): string | undefined {
  const cond = conditionsOf(cell);
  const want = linkDirections(cond === NO_CONDITIONS ? undefined : { preset: cond });
  const held = new Map((r.conditions?.links ?? []).map((l) => [l.linkId, l]));
  for (const l of r.links) {
    const got = held.get(l.id);
    if (!sameCondition(got?.aToB.inForce, want.aToB) || !sameCondition(got?.bToA.inForce, want.bToA)) {
      return got ? `link ${l.a} — ${l.b} was measured under other conditions than ${cond} (read back from tc)` : `link ${l.a} — ${l.b} has no conditions recorded: ${cond}'s were not applied, and its figures are a perfect wire's`;
    }
  }
  return undefined;
}

/** The analysis of every finished cell, from their results files. */
export async function campaignAnalysis(projectDir: string, c: CampaignFile): Promise<CampaignAnalysis> {
  const figures = [];
  for (const cell of c.cells) {
    if (cell.status !== 'done' || !cell.runId) continue;
    try {
      figures.push(kindFigures(cell, await readRun(projectDir, cell.runId)));
    } catch {
      // A run folder removed by hand: the cell counts as not measured.
    }
  }
  return analyseCampaign(figures, c.conditions ?? []);
}

const where = (cell: Cell): string => `${cell.label} @ MTU ${cell.mtu}${cell.conditions ? ` under ${cell.conditions}` : ''}`;
/** The cell's preset needs netem (delay, loss…) somewhere: a kernel without it refuses it. */
const netemCell = (cell: Cell): boolean => {
  const d = linkDirections(cell.conditions ? { preset: cell.conditions } : undefined);
  return needsNetem(d.aToB) || needsNetem(d.bToA);
};

/** What the cells of one campaign run share. */
interface CampaignRun {
  readonly projectDir: string;
  readonly registry: Registry;
  readonly opts: CampaignOptions;
  /** The project the cells are made from. */
  readonly base: Topology;
  readonly c: CampaignFile;
  /** The campaign's folder (campaigns/<id>/). */
  readonly dir: string;
  /** The project has lab hosts: each cell gets a lab of its own. */
  readonly labHosts: boolean;
  /** The engine's deploy, teardown and measure (imported when the campaign starts). */
  readonly deploy: typeof import('../deploy/deploy.js').deploy;
  readonly teardown: typeof import('../deploy/deploy.js').teardown;
  readonly measure: typeof import('../measure/run.js').measure;
  /** campaign.json rewritten (after every cell). */
  readonly save: () => Promise<void>;
  readonly emit: (cell: Cell, step: string, status: ProgressEvent['status'], msg?: string) => void;
}

/** The campaign to run: the one resumed from its campaign.json, or a new one of these kinds (each known), MTUs and conditions. */
async function openCampaign(projectDir: string, registry: Registry, opts: CampaignOptions, base: Topology, file: string): Promise<CampaignFile> {
  if (opts.resume) return readCampaign(projectDir, opts.id);
  for (const s of opts.kinds) if (!registry.kinds.some((k) => k.id === s.kind)) throw new ApiError('invalid-arguments', `unknown tunnel kind "${s.kind}"; supported kinds: ${registry.kinds.map((k) => k.id).join(', ')}`);
  if (await statFile(file)) throw new ApiError('invalid-arguments', `campaign ${opts.id} exists already: resume it with --resume ${opts.id}, or give another id`);
  return newCampaign(opts.id, base.name, opts.kinds, opts.mtus, opts.suite, opts.repeat ?? 1, opts.duration, opts.conditions);
}

/** The campaign's folder made and campaign.json written; the engine's services loaded; progress said per cell. */
async function startCampaign(projectDir: string, registry: Registry, opts: CampaignOptions, base: Topology, c: CampaignFile, dir: string, file: string): Promise<CampaignRun> {
  await ensureDir(dir, 0o755);
  const save = async (): Promise<void> => {
    c.updatedAt = new Date().toISOString();
    await writeFile(file, `${JSON.stringify(c, null, 1)}\n`, { mode: 0o644 });
  };
  await save();
  const labHosts = base.hosts.some((h) => h.target.type === 'lab');
  const { deploy, teardown } = await import('../deploy/deploy.js');
  const { measure } = await import('../measure/run.js');
  const total = c.cells.length;
  const emit = (cell: Cell, step: string, status: ProgressEvent['status'], msg?: string): void =>
    opts.onProgress?.({ operation: 'campaign', step, status, message: `${where(cell)}${msg ? `: ${msg}` : ''}`, fraction: c.cells.filter((x) => x.status !== 'pending').length / total });
  return { projectDir, registry, opts, base, c, dir, labHosts, deploy, teardown, measure, save, emit };
}

/**
 * The cell's project written in its folder (with the host keys the project pinned: SSH hosts
 * keep them; lab hosts get their own lab) and planned; a cell whose project does not validate
 * or plan is skipped with the reason (undefined).
 */
async function cellProject(run: CampaignRun, cell: Cell, cdir: string): Promise<{ topology: Topology; plan: Plan } | undefined> {
  await ensureDir(path.join(cdir, '.overlab'), 0o700);
  const pinned = await readKnownHostsText(knownHostsPath(run.projectDir));
  if (pinned) await writeFile(knownHostsPath(cdir), pinned, { mode: 0o644 });
  const saved = await saveProject(cdir, cellTopology(run.base, cell), run.registry);
  if (!saved.topology) {
    cell.status = 'skipped';
    cell.reason = saved.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.path}: ${d.message}`).join('; ');
    return undefined;
  }
  const planned = await planProject(cdir, run.registry);
  if (!planned.plan || hasErrors(planned.diagnostics)) {
    cell.status = 'skipped';
    cell.reason = planned.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message).join('; ');
    return undefined;
  }
  return { topology: planned.topology!, plan: planned.plan };
}

/** The cell deployed; false (with the cell's status and reason) when it was interrupted, could not be carried, or failed. */
async function deployCell(run: CampaignRun, cell: Cell, cdir: string): Promise<boolean> {
  const { opts } = run;
  run.emit(cell, 'deploy', 'running');
  const d = await run.deploy(cdir, run.registry, { acceptHostKeys: [], ...(opts.password ? { password: opts.password } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  if (opts.signal?.aborted) {
    // Interrupted: the cell is not finished, a resumed campaign runs it again.
    cell.reason = 'interrupted';
    return false;
  }
  if (!d.ok) {
    const failed = d.hosts.filter(hostFailed);
    const reason = failed.map((h) => `${h.host}: ${h.failedStep}: ${h.error}`).join('; ') || d.diagnostics.map((x) => x.message).join('; ');
    // The kernel (or a missing package) cannot carry the kind, or netem's conditions (refused
    // before anything changed): a skipped cell, with the preflight's or the refusal's reason.
    const cannot = (h: (typeof failed)[number]): boolean => h.failedStep === 'preflight' || (h.failedStep === 'conditions' && netemCell(cell) && /netem/.test(h.error ?? ''));
    cell.status = failed.length > 0 && failed.every(cannot) ? 'skipped' : 'failed';
    cell.reason = reason;
    run.emit(cell, 'deploy', 'failed', reason);
    return false;
  }
  return true;
}

/** The cell measured (its run in the project's runs/, tagged with the campaign), and its status from the run's. */
async function measureCell(run: CampaignRun, cell: Cell, cdir: string): Promise<void> {
  const { opts, c } = run;
  run.emit(cell, 'measure', 'running');
  const runId = newRunId();
  const m = await run.measure(cdir, run.registry, {
    runId,
    suite: c.suite,
    ...(c.duration ? { duration: c.duration } : {}),
    repeat: c.repeat,
    runsDir: path.join(run.projectDir, 'runs'),
    campaign: { id: c.id, kind: cell.label, mtu: cell.mtu, ...(cell.conditions ? { conditions: cell.conditions } : {}) },
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.password ? { password: opts.password } : {}),
    ...(opts.onProgress ? { onProgress: (e) => opts.onProgress!({ ...e, operation: 'campaign', message: `${where(cell)}: ${e.message ?? e.step}` }) } : {}),
  });
  cell.runId = runId;
  if (m.results.status === 'cancelled') {
    // The cell is not finished: a resumed campaign measures it again.
    cell.status = 'pending';
    cell.reason = 'interrupted';
  } else {
    const notUnder = m.results.status === 'failed' ? undefined : conditionsProblem(cell, m.results);
    cell.status = m.results.status === 'failed' || notUnder ? 'failed' : 'done';
    const why = [...(notUnder ? [notUnder] : []), ...m.results.problems];
    if (why.length) cell.reason = why.join('; ');
  }
}

/** Whatever happened, the cell's tunnels and lab go (the next cell starts clean); its time recorded, campaign.json saved. */
async function closeCell(run: CampaignRun, cell: Cell, cdir: string, labUpHere: boolean, t0: number): Promise<void> {
  await run.teardown(cdir, run.registry, run.opts.password ? { password: run.opts.password } : {}).catch(() => undefined);
  if (labUpHere) await labDown(cdir).catch(() => undefined);
  cell.seconds = Math.round((Date.now() - t0) / 1000);
  await run.save();
  run.emit(cell, 'cell', cell.status === 'done' ? 'done' : cell.status === 'skipped' ? 'skipped' : cell.status === 'pending' ? 'skipped' : 'failed', cell.reason);
}

/** One cell: its project, lab up (lab hosts), deploy, measure; then teardown and lab down. A failure is the cell's, not the campaign's. */
async function runCell(run: CampaignRun, cell: Cell): Promise<void> {
  const t0 = Date.now();
  const cdir = path.join(run.dir, 'cells', cell.id.replace(/[^A-Za-z0-9_.=-]/g, '_'));
  run.emit(cell, 'cell', 'running');
  let labUpHere = false;
  try {
    const planned = await cellProject(run, cell, cdir);
    if (!planned) return;
    if (run.labHosts) {
      run.emit(cell, 'lab up', 'running');
      await labUp(cdir, await chooseLabLayout(cdir, planned.topology, planned.plan));
      labUpHere = true;
    }
    if (await deployCell(run, cell, cdir)) await measureCell(run, cell, cdir);
  } catch (e) {
    if (run.opts.signal?.aborted) cell.reason = 'interrupted';
    else {
      cell.status = 'failed';
      cell.reason = message(e);
    }
  } finally {
    await closeCell(run, cell, cdir, labUpHere, t0);
  }
}

/** A campaign: opened (new or resumed), every pending cell run in turn until done or cancelled, then analysed. */
export async function campaign(projectDir: string, registry: Registry, opts: CampaignOptions): Promise<CampaignOutcome> {
  const snap = await openProject(projectDir, registry);
  if (!snap.topology) throw new ApiError('invalid-arguments', `${projectDir} does not validate; fix its problems first`, snap.diagnostics);
  const dir = campaignDir(projectDir, opts.id);
  const file = path.join(dir, 'campaign.json');
  const c = await openCampaign(projectDir, registry, opts, snap.topology, file);
  const run = await startCampaign(projectDir, registry, opts, snap.topology, c, dir, file);
  for (const cell of c.cells) {
    if (opts.signal?.aborted) break;
    if (cell.status !== 'pending') continue; // resumed: finished cells are not run again
    await runCell(run, cell);
  }
  await run.save();
  return { id: c.id, dir, campaign: c, analysis: await campaignAnalysis(projectDir, c) };
}

export { cellId, specLabel };
