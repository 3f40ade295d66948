/**
 * The renderer's only way to the engine: an `OverlabClient` over whichever transport is
 * present (Electron's preload bridge now; `overlab serve`'s HTTP transport later).
 */
import { OPERATIONS, type ApiErrorData, type EventName, type OperationName, type OverlabClient, type OverlabEvents } from '../../../shared/api';

type Reply = { ok: true; value: unknown } | { ok: false; error: ApiErrorData };

interface Bridge {
  call(name: OperationName, args: unknown): Promise<Reply>;
  on<E extends EventName>(event: E, cb: (payload: OverlabEvents[E]) => void): () => void;
}

export class ClientError extends Error {
  constructor(readonly data: ApiErrorData) {
    super(data.message);
    this.name = 'ClientError';
  }
}

export function makeClient(bridge: Bridge): OverlabClient {
  const client: Record<string, unknown> = {
    on: bridge.on.bind(bridge),
  };
  for (const op of OPERATIONS) {
    client[op] = async (args: unknown) => {
      const reply = await bridge.call(op, args);
      if (!reply.ok) throw new ClientError(reply.error);
      return reply.value;
    };
  }
  return client as unknown as OverlabClient;
}

declare global {
  interface Window {
    overlabBridge?: Bridge;
  }
}

export function connect(): OverlabClient | undefined {
  return window.overlabBridge ? makeClient(window.overlabBridge) : undefined;
}
