/**
 * What a transport gives the client: one call per operation and event subscriptions. The
 * Electron preload bridge and `overlab serve`'s HTTP transport both have this shape.
 * (Relative imports carry `.js` so Node-side tests can load the HTTP transport too.)
 */
import type { EventName, OperationName, OverlabEvents, Reply } from '../../../shared/api.js';

export interface Bridge {
  call(name: OperationName, args: unknown): Promise<Reply>;
  on<E extends EventName>(event: E, cb: (payload: OverlabEvents[E]) => void): () => void;
}
