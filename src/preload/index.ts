/**
 * The typed bridge: exposes `window.overlabBridge` — `call`, `on`, and the desktop's
 * `pickFolder`, `onMenuCommand`, `setDocumentState` — and nothing else: no ipcRenderer, no
 * Node, no way to name a channel. Only this file touches ipcRenderer.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { EventName, OperationName, OverlabEvents, Reply } from '../shared/api.js';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../shared/ipc-channels.js';
import { DIALOG_CHANNEL, DOCUMENT_STATE_CHANNEL, MENU_COMMAND_CHANNEL, type DocumentState, type FolderRequest } from './channels.js';

let lastState: DocumentState | undefined;

const bridge = {
  call: (name: OperationName, args: unknown): Promise<Reply> => ipcRenderer.invoke(CALL_CHANNEL, name, args),
  on: <E extends EventName>(event: E, cb: (payload: OverlabEvents[E]) => void): (() => void) => {
    const listener = (_e: IpcRendererEvent, name: string, payload: OverlabEvents[E]): void => {
      if (name === event) cb(payload);
    };
    ipcRenderer.on(EVENT_CHANNEL, listener);
    return () => void ipcRenderer.removeListener(EVENT_CHANNEL, listener);
  },
  pickFolder: async (req: FolderRequest): Promise<string | undefined> => {
    const reply = (await ipcRenderer.invoke(DIALOG_CHANNEL, req)) as Reply;
    if (!reply.ok) throw new Error(reply.error.message);
    return typeof reply.value === 'string' ? reply.value : undefined;
  },
  onMenuCommand: (cb: (commandId: string) => void): (() => void) => {
    const listener = (_e: IpcRendererEvent, commandId: unknown): void => {
      if (typeof commandId === 'string') cb(commandId);
    };
    ipcRenderer.on(MENU_COMMAND_CHANNEL, listener);
    return () => void ipcRenderer.removeListener(MENU_COMMAND_CHANNEL, listener);
  },
  // Fire and forget: main answers a Reply only so that a refusal is data, never a rejection.
  // The renderer reports on every store change (each frame of a drag): only changes cross.
  setDocumentState: (state: DocumentState): void => {
    if (lastState && lastState.dirty === state.dirty && lastState.title === state.title) return;
    lastState = { dirty: state.dirty, title: state.title };
    void ipcRenderer.invoke(DOCUMENT_STATE_CHANNEL, lastState);
  },
};

export type OverlabBridge = typeof bridge;

contextBridge.exposeInMainWorld('overlabBridge', bridge);
