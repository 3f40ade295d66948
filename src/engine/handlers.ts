/**
 * The engine's side of the API contract: a handler per operation, and the events it emits.
 * Its own module, imported by every door and by what the handlers use (dispatch, serve, report
 * printing), so that none of them imports engine.ts, which imports them.
 */
import type { OperationArgs, OperationName, OperationResult, OverlabEvents } from '../shared/api.js';

export type Handlers = {
  readonly [K in OperationName]: (args: OperationArgs<K>) => Promise<OperationResult<K>>;
};

export type Emit = <E extends keyof OverlabEvents>(event: E, payload: OverlabEvents[E]) => void;
