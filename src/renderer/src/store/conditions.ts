/**
 * Link conditions on the hosts: what `conditions.read` last said is in force (beside what the
 * document sets), and what the last `conditions.apply` did per host. The conditions themselves
 * are the document's (links[i].conditions, hosts[i].uplink): this slice holds only what the
 * hosts answered, so undo never rewinds it.
 */
import type { ConditionsApplyResult, ConditionsState } from '../../../shared/api.js';
import type { Reset, Slice } from './types.js';

export interface ConditionsSliceState {
  /** The last read-back (set and in force, per link direction and uplink; each host's capability). */
  inForce?: ConditionsState;
  /** When it was read (ms since the epoch). */
  inForceAt?: number;
  /** Why the last read failed (the lab is down, the engine does not do it yet…). */
  readProblem?: string;
  /** The last apply (or clear): per host, what it did and why it failed. */
  lastApply?: ConditionsApplyResult;
}

export interface ConditionsSlice extends ConditionsSliceState {
  setInForce(s: ConditionsState | undefined, problem?: string): void;
  setApplied(r: ConditionsApplyResult | undefined): void;
}

export const conditionsInitial = (): ConditionsSliceState => ({ inForce: undefined, inForceAt: undefined, readProblem: undefined, lastApply: undefined });
/** Another project: its hosts' tc is not these. */
export const resetConditions: Reset<ConditionsSliceState> = () => conditionsInitial();

export const createConditionsSlice: Slice<ConditionsSlice> = (set) => ({
  ...conditionsInitial(),
  setInForce: (inForce, problem) => set({ inForce, inForceAt: inForce ? Date.now() : undefined, readProblem: problem }),
  setApplied: (lastApply) => set({ lastApply }),
});
