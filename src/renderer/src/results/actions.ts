/**
 * What the UI does with runs: list them, paint one, compare two, open a campaign, and the one
 * button people came for — Deploy & measure (lab up when the hosts are lab hosts, deploy, a
 * suite, the heatmap on) — and Measure alone. Measured from the CLI or the UI alike: the runs
 * are the project's runs/ folder, read through the engine.
 */
import type { RunResults } from '../../../shared/measure/results';
import { getRun, loadRuns, message, paintRun, savedFirst, statesAfter, summaryOf, uiRunId, type Env } from '../actions';

export { loadRuns, paintRun } from '../actions';

/** The drawing shows what changed from `runId` to the painted run (the older one is "before"). */
export async function compareWith(env: Env, runId: string | undefined): Promise<void> {
  if (!runId) return env.store.getState().setCompare(undefined);
  const r = await getRun(env, runId);
  if (r) env.store.getState().setCompare(r);
}

export async function openCampaign(env: Env, id: string): Promise<void> {
  const dir = env.store.getState().dir;
  if (!env.client || !dir) return;
  try {
    const { campaign, analysis } = await env.client['campaigns.get']({ dir, campaignId: id });
    const runs: Record<string, RunResults> = {};
    for (const c of campaign.cells) {
      if (!c.runId) continue;
      const r = await getRun(env, c.runId);
      if (r) runs[c.runId] = r;
    }
    env.store.setState({ campaign: { file: campaign, analysis, runs } });
    env.store.getState().showResults('charts', { type: 'campaign', id });
  } catch (e) {
    env.store.getState().notify('error', `Campaign ${id}: ${message(e)}`);
  }
}

export interface MeasureChoice {
  readonly suite: string;
  readonly duration?: number;
  readonly repeat?: number;
}

/** Offers the unknown host keys a deploy stopped at (accepting re-runs `then`). */
function hostKeysStop(env: Env, hosts: readonly { host: string; hostKey?: { status: string; fingerprint: string; keyType?: string } }[], then: MeasureChoice | undefined): boolean {
  const unknown = hosts.filter((h) => h.hostKey?.status === 'unknown').map((h) => ({ host: h.host, fingerprint: h.hostKey!.fingerprint, ...(h.hostKey!.keyType ? { keyType: h.hostKey!.keyType } : {}) }));
  if (!unknown.length) return false;
  env.store.getState().setDialog({ type: 'host-keys', hosts: unknown, ...(then ? { then } : {}) });
  return true;
}

/**
 * Deploy & measure: lab up (lab hosts), deploy, the suite (quick unless chosen), then the run
 * painted on the drawing. One progress view for the three (per host and per test, the end
 * time expected, Cancel stops the phase under way and the ones after it).
 */
export async function deployAndMeasure(env: Env, choice: MeasureChoice = { suite: 'quick' }, acceptHostKeys?: readonly string[]): Promise<void> {
  const s = env.store.getState();
  if (!env.client || !s.dir || !s.topology || !(await savedFirst(env))) return;
  const dir = s.dir;
  const lab = s.topology.hosts.some((h) => h.target.type === 'lab');
  const label = 'Deploy & measure';
  let runId = uiRunId();
  s.startRun(runId, lab ? 'lab' : 'deploy', label, { locks: true, phase: lab ? 'lab up' : 'deploy' });
  const cancelled = (): boolean => !!env.store.getState().run?.cancelling;
  try {
    if (lab) {
      await env.client['lab.up']({ dir, runId });
      if (cancelled()) return env.store.getState().endRun(false, `${label}: cancelled after lab up`);
      runId = uiRunId();
      env.store.getState().setPhase(runId, 'deploy', 'deploy');
    }
    const d = await env.client['deploy.apply']({ dir, runId, ...(acceptHostKeys?.length ? { acceptHostKeys } : {}) });
    statesAfter(env, d, 'deploy');
    if (!d.ok) {
      env.store.getState().endRun(false, summaryOf(d, 'Deploy'), d);
      hostKeysStop(env, d.hosts, choice);
      return;
    }
    if (cancelled()) return env.store.getState().endRun(false, `${label}: cancelled after deploy`, d);
    runId = uiRunId();
    env.store.getState().setPhase(runId, 'measure', `measure (${choice.suite})`);
    await measureAs(env, dir, runId, choice, label);
  } catch (e) {
    env.store.getState().endRun(false, `${label}: ${message(e)}`);
  }
}

/** Measure alone, on what is deployed. */
export async function measure(env: Env, choice: MeasureChoice): Promise<void> {
  const s = env.store.getState();
  if (!env.client || !s.dir || !(await savedFirst(env))) return;
  const runId = uiRunId();
  s.startRun(runId, 'measure', `Measure (${choice.suite})`, { phase: 'measure' });
  try {
    await measureAs(env, s.dir, runId, choice, 'Measure');
  } catch (e) {
    env.store.getState().endRun(false, `Measure: ${message(e)}`);
  }
}

async function measureAs(env: Env, dir: string, runId: string, choice: MeasureChoice, label: string): Promise<void> {
  const m = await env.client!['measure.run']({ dir, runId, suite: choice.suite, ...(choice.duration ? { duration: choice.duration } : {}), ...(choice.repeat ? { repeat: choice.repeat } : {}) });
  await paintRun(env, m.runId);
  await loadRuns(env);
  const problems = m.problems.length ? ` — ${m.problems.slice(0, 3).join('; ')}${m.problems.length > 3 ? ` (+${m.problems.length - 3} more)` : ''}` : '';
  env.store.getState().endRun(m.status === 'complete', `${label}: ${m.tests} tests, ${m.status}; the heatmap shows run ${m.runId}${problems}`);
}
