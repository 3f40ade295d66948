/**
 * What a transport gives the client: one call per operation and event subscriptions. The
 * Electron preload bridge and `overlab serve`'s HTTP transport both have this shape; the
 * desktop app's bridge adds what only a desktop has (native dialogs, menus, the window's close
 * guard), which the UI uses when present and replaces with its own when not.
 * (Relative imports carry `.js` so Node-side tests can load the HTTP transport too.)
 */
import type { EventName, OperationName, OverlabEvents, Reply } from '../../../shared/api.js';

export interface FolderRequest {
  readonly title: string;
  /** `open`: an existing project folder; `save`: a folder to save into (may be created). */
  readonly mode: 'open' | 'save';
  readonly defaultPath?: string;
}

export interface Bridge {
  call(name: OperationName, args: unknown): Promise<Reply>;
  on<E extends EventName>(event: E, cb: (payload: OverlabEvents[E]) => void): () => void;
  /**
   * Called each time the event stream is open again after it broke (`overlab serve` drops a
   * page that falls behind): events sent meanwhile were missed, so the UI re-reads what it
   * needs. Absent where events cannot be lost (Electron's IPC).
   */
  onReconnect?(cb: () => void): () => void;
  /** A native folder dialog (desktop app); absent in the browser, where the UI lists folders with fs.list. */
  pickFolder?(req: FolderRequest): Promise<string | undefined>;
  /** Menu commands of the desktop app: the id of a command of the UI's registry to run. */
  onMenuCommand?(cb: (commandId: string) => void): () => void;
  /** The document's state, for the window title and the close guard (unsaved changes). */
  setDocumentState?(state: { readonly dirty: boolean; readonly title: string }): void;
}
