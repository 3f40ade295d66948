/**
 * Runs: the long operations under way (lab, deploy, teardown, measure, …), each with an id that
 * its events carry and a signal that `run.cancel` raises. An id is the caller's (so a UI can
 * match events to the button it pressed before the first event arrives) or a new one.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { RunOperation } from '../shared/api.js';
import { ApiError } from './api-error.js';

export interface Run {
  readonly id: string;
  readonly operation: RunOperation;
  readonly signal: AbortSignal;
}

/** `20261201T201500-3fa9c2`: sortable by time, unique enough to name a folder. */
export function newRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
  return `${t}-${randomBytes(3).toString('hex')}`;
}

export class Runs {
  private readonly active = new Map<string, { run: Run; controller: AbortController }>();

  /** Runs `fn` as a run; an id already under way is refused (two runs must not share events). */
  async run<T>(operation: RunOperation, id: string | undefined, fn: (run: Run) => Promise<T>): Promise<T> {
    const runId = id ?? newRunId();
    if (this.active.has(runId)) throw new ApiError('invalid-arguments', `run ${runId} is already under way; give each run its own id`);
    const controller = new AbortController();
    // Every remote command of the run listens to it (hundreds at once on a large lab): not a leak.
    setMaxListeners(0, controller.signal);
    const run: Run = { id: runId, operation, signal: controller.signal };
    this.active.set(runId, { run, controller });
    try {
      return await fn(run);
    } finally {
      this.active.delete(runId);
    }
  }

  /** Raises the run's signal; false when no run of that id is under way. */
  cancel(runId: string): boolean {
    const r = this.active.get(runId);
    if (!r) return false;
    r.controller.abort();
    return true;
  }

  list(): Run[] {
    return [...this.active.values()].map((r) => r.run);
  }
}
