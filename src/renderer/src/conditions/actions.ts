/**
 * Link conditions on a deployed project, from the UI: apply (or clear) only the tc part — the
 * tunnels stay as they are — and read back what the hosts hold. Both go through the contract
 * (`conditions.apply`, a run with per-host progress; `conditions.read`).
 */
import type { ConditionsApplyResult } from '../../../shared/api';
import type { HostKeyConsent } from '../../../shared/hostkeys';
import { hostKeysStop, message, refusedKeys, savedFirst, uiRunId, type Env } from '../actions';

/** One line for the run panel: what was applied, or per failed host why (a refusal says where the conditions can run). */
export function applySummary(r: ConditionsApplyResult, clear: boolean): string {
  const verb = clear ? 'Clear conditions' : 'Apply conditions';
  const failed = r.hosts.filter((h) => h.status === 'failed');
  if (r.ok) {
    const done = r.hosts.filter((h) => h.status === 'applied' || h.status === 'cleared').map((h) => h.host);
    return `${verb}: ${done.length ? `${done.join(', ')} ${clear ? 'cleared' : 'shaped and read back'}` : 'nothing to change'} in ${(r.durationMs / 1000).toFixed(1)} s (the tunnels were not touched)`;
  }
  // The engine's refusals name their host already ("site-a: this kernel has no netem…").
  const why = (host: string, error: string | undefined): string => (error?.startsWith(`${host}:`) ? error : `${host}: ${error ?? 'failed'}`);
  return `${verb} failed on ${failed.map((h) => `${why(h.host, h.error)}${h.mismatches?.length ? ` (${h.mismatches.join('; ')})` : ''}`).join('; ') || 'the hosts'}`;
}

/** Applies the project's conditions (or clears them) on its deployed hosts, then reads back what is in force. */
export async function applyConditions(env: Env, opts: { clear?: boolean; acceptHostKeys?: readonly HostKeyConsent[] } = {}): Promise<void> {
  const s = env.store.getState();
  if (!env.client || !s.dir || !(await savedFirst(env))) return;
  const runId = uiRunId();
  const clear = !!opts.clear;
  const label = clear ? 'Clear conditions' : 'Apply conditions';
  s.startRun(runId, 'conditions', label);
  try {
    const r = await env.client['conditions.apply']({ dir: s.dir, runId, ...(clear ? { clear } : {}), ...(opts.acceptHostKeys?.length ? { acceptHostKeys: opts.acceptHostKeys } : {}) });
    env.store.getState().setApplied(r);
    env.store.getState().endRun(r.ok, applySummary(r, clear));
  } catch (e) {
    env.store.getState().endRun(false, `${label}: ${message(e)}`);
    if (hostKeysStop(env, refusedKeys(e), { op: 'conditions' })) return;
  }
  await readConditions(env);
}

/** What the hosts hold now (and what each kernel can apply); a failure is kept to be shown beside the conditions. */
export async function readConditions(env: Env): Promise<void> {
  const dir = env.store.getState().dir;
  if (!env.client || !dir) return;
  try {
    const state = await env.client['conditions.read']({ dir });
    if (env.store.getState().dir === dir) env.store.getState().setInForce(state);
  } catch (e) {
    if (env.store.getState().dir === dir) env.store.getState().setInForce(undefined, message(e));
  }
}
