/**
 * The window's title and its guard against losing unsaved changes. The renderer reports
 * `{ dirty, title }` on every change; closing a dirty window (its close button, Quit) asks
 * Save / Discard / Cancel with a native message box.
 *  - Save sends `file.save` to the renderer and closes once it reports the document clean
 *    (a save that fails, or a Save as… that is cancelled, leaves the window open).
 *  - Discard closes; the renderer's own `beforeunload` guard (for the browser) is then overridden.
 *  - Cancel keeps the window, and aborts a Quit.
 */
import type { Event } from 'electron';
import type { DocumentState } from '../preload/channels.js';

export type CloseChoice = 'save' | 'discard' | 'cancel';

/** The message box's buttons, in its order: the response index picks the choice. */
export const CLOSE_BUTTONS = ['Save', 'Discard', 'Cancel'] as const;
export const choiceOf = (response: number): CloseChoice => (['save', 'discard', 'cancel'] as const)[response] ?? 'cancel';

/** What the guard needs of a BrowserWindow. */
export interface GuardedWindow {
  on(event: 'close', listener: (event: Event) => void): unknown;
  on(event: 'page-title-updated', listener: (event: Event) => void): unknown;
  setTitle(title: string): void;
  close(): void;
  isDestroyed(): boolean;
  readonly webContents: { on(event: 'will-prevent-unload', listener: (event: Event) => void): unknown };
}

export interface CloseGuardDeps {
  /** Shows the Save / Discard / Cancel box for this document. */
  readonly ask: (state: DocumentState) => Promise<CloseChoice>;
  /** Sends a menu command id to this window's renderer. */
  readonly sendCommand: (commandId: string) => void;
}

export interface CloseGuard {
  setState(state: DocumentState): void;
  readonly state: DocumentState;
}

/** A save's answer may take a folder dialog; a close still pending after this is forgotten, not done by surprise later. */
const SAVE_THEN_CLOSE_MS = 5 * 60_000;

export const windowTitle = (s: DocumentState): string => `${s.dirty ? '• ' : ''}${s.title || 'Overlab'}`;

export function installCloseGuard(window: GuardedWindow, deps: CloseGuardDeps, now: () => number = Date.now): CloseGuard {
  let state: DocumentState = { dirty: false, title: 'Overlab' };
  let asking = false;
  let discarded = false;
  let closeAfterSaveUntil = 0;

  // The title is ours (document name and dirty mark), not the page's <title>.
  window.on('page-title-updated', (e) => e.preventDefault());

  window.on('close', (e) => {
    if (!state.dirty || discarded) return;
    e.preventDefault();
    if (asking) return;
    asking = true;
    void deps
      .ask(state)
      .then((choice) => {
        if (window.isDestroyed()) return;
        if (choice === 'discard') {
          discarded = true;
          window.close();
        } else if (choice === 'save') {
          closeAfterSaveUntil = now() + SAVE_THEN_CLOSE_MS;
          deps.sendCommand('file.save');
        }
      })
      .finally(() => {
        asking = false;
      });
  });

  // Once the person chose (or nothing is unsaved), the renderer's beforeunload must not keep the window.
  window.webContents.on('will-prevent-unload', (e) => {
    if (discarded || !state.dirty) e.preventDefault();
  });

  return {
    get state() {
      return state;
    },
    setState(next) {
      state = { dirty: next.dirty, title: next.title };
      if (window.isDestroyed()) return;
      window.setTitle(windowTitle(state));
      if (!state.dirty && closeAfterSaveUntil) {
        const due = now() <= closeAfterSaveUntil;
        closeAfterSaveUntil = 0;
        if (due) window.close();
      }
    },
  };
}
