/**
 * What the UI does with runs: list them, paint one, compare two, open a campaign, and the one
 * button people came for — Deploy & measure (lab up when the hosts are lab hosts, deploy, a
 * suite, the heatmap on) — and Measure alone. Measured from the CLI or the UI alike: the runs
 * are the project's runs/ folder, read through the engine.
 */
import type { RunResults } from '../../../shared/measure/results';
import type { HostKeyConsent } from '../../../shared/hostkeys';
import { getRun, hostKeysStop, loadRuns, message, paintRun, refusedKeys, runDeploy, savedFirst, statesAfter, summaryOf, uiRunId, type Env } from '../actions';
import { applyConditions } from '../conditions/actions';
import type { HostKeyRetry } from '../store/index';

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

/** The host-key dialog's Accept: the run it stopped, again, with the keys accepted by fingerprint. */
export function retryWithKeys(env: Env, retry: HostKeyRetry, accept: readonly HostKeyConsent[]): Promise<void> {
  switch (retry.op) {
    case 'deploy':
    case 'teardown':
      return runDeploy(env, retry.op, accept);
    case 'deploy-measure':
      return deployAndMeasure(env, retry.choice, accept);
    case 'measure':
      return measure(env, retry.choice, accept);
    case 'conditions':
      return applyConditions(env, { acceptHostKeys: accept });
  }
}

/**
 * Deploy & measure: lab up (lab hosts), deploy, the suite (quick unless chosen), then the run
 * painted on the drawing. One progress view for the three (per host and per test, the end
 * time expected, Cancel stops the phase under way and the ones after it).
 */
export async function deployAndMeasure(env: Env, choice: MeasureChoice = { suite: 'quick' }, acceptHostKeys?: readonly HostKeyConsent[]): Promise<void> {
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
      hostKeysStop(env, refusedKeys(d), { op: 'deploy-measure', choice });
      return;
    }
    if (cancelled()) return env.store.getState().endRun(false, `${label}: cancelled after deploy`, d);
    runId = uiRunId();
    env.store.getState().setPhase(runId, 'measure', `measure (${choice.suite})`);
    await measureAs(env, dir, runId, choice, label);
  } catch (e) {
    env.store.getState().endRun(false, `${label}: ${message(e)}`);
    hostKeysStop(env, refusedKeys(e), { op: 'deploy-measure', choice });
  }
}

/** Measure alone, on what is deployed. */
export async function measure(env: Env, choice: MeasureChoice, acceptHostKeys?: readonly HostKeyConsent[]): Promise<void> {
  const s = env.store.getState();
  if (!env.client || !s.dir || !(await savedFirst(env))) return;
  const runId = uiRunId();
  s.startRun(runId, 'measure', `Measure (${choice.suite})`, { phase: 'measure' });
  try {
    await measureAs(env, s.dir, runId, choice, 'Measure', acceptHostKeys);
  } catch (e) {
    env.store.getState().endRun(false, `Measure: ${message(e)}`);
    hostKeysStop(env, refusedKeys(e), { op: 'measure', choice });
  }
}

async function measureAs(env: Env, dir: string, runId: string, choice: MeasureChoice, label: string, acceptHostKeys?: readonly HostKeyConsent[]): Promise<void> {
  const m = await env.client!['measure.run']({ dir, runId, suite: choice.suite, ...(choice.duration ? { duration: choice.duration } : {}), ...(choice.repeat ? { repeat: choice.repeat } : {}), ...(acceptHostKeys?.length ? { acceptHostKeys } : {}) });
  await paintRun(env, m.runId);
  await loadRuns(env);
  const problems = m.problems.length ? ` — ${m.problems.slice(0, 3).join('; ')}${m.problems.length > 3 ? ` (+${m.problems.length - 3} more)` : ''}` : '';
  env.store.getState().endRun(m.status === 'complete', `${label}: ${m.tests} tests, ${m.status}; the heatmap shows run ${m.runId}${problems}`);
}
