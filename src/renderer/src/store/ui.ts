/**
 * The app around the document: dialogs, messages, what the engine can do, the clipboard, the
 * canvas's view commands. It belongs to the window, not to a project: opening another project
 * keeps it (copy in one project, paste in the next).
 */
import type { KindInfo, PromptEvent } from '../../../shared/api.js';
import type { Clip } from '../../../shared/edit.js';
import type { HostKeyReport } from '../../../shared/hostkeys.js';
import type { Slice } from './types.js';

export type Dialog =
  | { type: 'new' }
  | { type: 'open' }
  | { type: 'save-as' }
  | { type: 'picker'; a: string; b: string; linkId?: string }
  | { type: 'confirm-discard'; then: 'new' | 'open' | 'open-recent'; dir?: string }
  | { type: 'conflict' }
  /** The one host-key dialog: the keys a run refused, and the run to do again once unknown ones are accepted. */
  | { type: 'host-keys'; keys: readonly HostKeyReport[]; retry?: HostKeyRetry }
  | { type: 'message'; title: string; text: string }
  | { type: 'password'; prompt: PromptEvent }
  | { type: 'help' }
  | { type: 'palette' }
  | { type: 'measure'; deploy: boolean };

/** The run a host-key dialog starts again, with the accepted keys, when the person accepts them. */
export type HostKeyRetry =
  | { readonly op: 'deploy' }
  | { readonly op: 'teardown' }
  | { readonly op: 'conditions' }
  | { readonly op: 'deploy-measure'; readonly choice: { suite: string; duration?: number; repeat?: number } }
  | { readonly op: 'measure'; readonly choice: { suite: string; duration?: number; repeat?: number } };

export interface UiState {
  dialog?: Dialog;
  busy?: string;
  /** A message for the person, shown until dismissed. */
  notice?: { kind: 'error' | 'info'; text: string };
  kinds: readonly KindInfo[];
  clipboard?: Clip;
  /** Set by the canvas: runs a view command (fit, zoom, layout, focus on ids). */
  view?: { fit(ids?: readonly string[]): void; zoomIn(): void; zoomOut(): void };
}

export interface UiSlice extends UiState {
  setDialog(d: Dialog | undefined): void;
  setBusy(what: string | undefined): void;
  notify(kind: 'error' | 'info', text: string): void;
  dismiss(): void;
  setKinds(k: readonly KindInfo[]): void;
  setClipboard(c: Clip): void;
  setView(v: UiState['view']): void;
}

export const uiInitial = (): UiState => ({ dialog: undefined, busy: undefined, notice: undefined, kinds: [], clipboard: undefined, view: undefined });

export const createUiSlice: Slice<UiSlice> = (set, get) => ({
  ...uiInitial(),
  setDialog: (dialog) => set({ dialog }),
  setBusy: (busy) => set({ busy }),
  notify: (kind, text) => {
    const notice = { kind, text };
    set({ notice });
    // Information goes away by itself; an error stays until it is dismissed.
    if (kind === 'info') setTimeout(() => get().notice === notice && set({ notice: undefined }), 5000);
  },
  dismiss: () => set({ notice: undefined }),
  setKinds: (kinds) => set({ kinds }),
  setClipboard: (clipboard) => set({ clipboard }),
  setView: (view) => set({ view }),
});
