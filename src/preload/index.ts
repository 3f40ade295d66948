/**
 * The typed bridge: exposes `window.overlab` (an `OverlabClient`) and nothing else. Only
 * this file touches ipcRenderer.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { EventName, OperationName, OverlabEvents } from '../shared/api.js';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../shared/ipc-channels.js';

const bridge = {
  call: (name: OperationName, args: unknown): Promise<unknown> => ipcRenderer.invoke(CALL_CHANNEL, name, args),
  on: <E extends EventName>(event: E, cb: (payload: OverlabEvents[E]) => void): (() => void) => {
    const listener = (_e: IpcRendererEvent, name: string, payload: OverlabEvents[E]): void => {
      if (name === event) cb(payload);
    };
    ipcRenderer.on(EVENT_CHANNEL, listener);
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, listener);
  },
};

export type OverlabBridge = typeof bridge;

contextBridge.exposeInMainWorld('overlabBridge', bridge);
