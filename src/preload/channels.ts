/**
 * The desktop-only IPC channels (native dialogs, menus, the close guard) and the data they
 * carry. Main and the preload both import this file; it sits here, not in src/shared, because
 * only the Electron door has these channels (and this change may not touch src/shared). It
 * imports nothing, so the sandboxed preload bundle stays a few strings.
 *
 * Every renderer → main channel answers with a `Reply`-shaped object (`{ ok, value | error }`),
 * so a refused sender or malformed arguments come back as data, as on the call channel.
 */

/** renderer → main (invoke): `(req: FolderRequest)` → `Reply` whose value is the path or undefined. */
export const DIALOG_CHANNEL = 'overlab:pick-folder';
/** renderer → main (invoke): `(state: DocumentState)` → `Reply`; the window's title and close guard. */
export const DOCUMENT_STATE_CHANNEL = 'overlab:document-state';
/** main → renderer (send): `(commandId: string)`, a command id of the renderer's registry. */
export const MENU_COMMAND_CHANNEL = 'overlab:menu-command';

/** Mirrors `FolderRequest` of src/renderer/src/api/transport.ts (a test checks the two agree). */
export interface FolderRequest {
  readonly title: string;
  readonly mode: 'open' | 'save';
  readonly defaultPath?: string;
}

/** What the renderer reports of its document: whether it has unsaved changes, and its title. */
export interface DocumentState {
  readonly dirty: boolean;
  readonly title: string;
}
