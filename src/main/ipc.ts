/**
 * Every IPC handler of the main process, registered through one wrapper that checks the
 * sender (our own renderer's frame, see trust.ts) and the arguments before anything runs. A
 * foreign frame or malformed data gets an error reply and never reaches the engine, a dialog
 * or a window. Replies are always data (`Reply`), never rejections, so the renderer sees the
 * same error shape as from the engine.
 */
import type { IpcMain, IpcMainInvokeEvent, OpenDialogOptions, OpenDialogReturnValue, BaseWindow } from 'electron';
import path from 'node:path';
import { z } from 'zod';
import type { Reply } from '../shared/api.js';
import { CALL_CHANNEL } from '../shared/ipc-channels.js';
import { dispatch } from '../engine/dispatch.js';
import type { Handlers } from '../engine/engine.js';
import { DIALOG_CHANNEL, DOCUMENT_STATE_CHANNEL, type DocumentState } from '../preload/channels.js';
import { isTrustedSenderUrl } from './trust.js';

/** What the handlers need of Electron's dialog module. */
export interface DialogLike {
  showOpenDialog(window: BaseWindow, options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
  showOpenDialog(options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
}

export interface IpcDeps {
  readonly rendererUrl: string;
  readonly dialog: DialogLike;
  /** The window a message came from (its dialog's parent; its close guard). */
  readonly windowOf: (event: IpcMainInvokeEvent) => BaseWindow | undefined;
  readonly setDocumentState: (event: IpcMainInvokeEvent, state: DocumentState) => void;
}

const FORBIDDEN: Reply = { ok: false, error: { code: 'forbidden', message: 'the caller is not this Overlab window' } };

/**
 * The one wrapper: `args` is the schema of the channel's argument list (as a tuple), `run`
 * sees only checked arguments from a trusted sender.
 */
function handleChecked<A>(ipc: Pick<IpcMain, 'handle'>, rendererUrl: string, channel: string, args: z.ZodType<A>, run: (event: IpcMainInvokeEvent, args: A) => Promise<Reply> | Reply): void {
  ipc.handle(channel, async (event: IpcMainInvokeEvent, ...raw: unknown[]): Promise<Reply> => {
    if (!isTrustedSenderUrl(event.senderFrame?.url, rendererUrl)) return FORBIDDEN;
    const parsed = args.safeParse(raw);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      return { ok: false, error: { code: 'invalid-arguments', message: `${channel}: ${first ? `${first.path.slice(1).join('.') || 'arguments'}: ${first.message}` : 'invalid arguments'}` } };
    }
    try {
      return await run(event, parsed.data);
    } catch (e) {
      // Report the message only, never a stack.
      return { ok: false, error: { code: 'failed', message: e instanceof Error ? e.message : String(e) } };
    }
  });
}

const ok = (value: unknown): Reply => ({ ok: true, value });

/** `(name, args)`: the operation and its arguments are checked by `dispatch` against the contract. */
const callArgs = z.array(z.unknown()).max(2, { error: 'expects (name, args)' });

const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => path.isAbsolute(p), { error: 'must be an absolute path' });
export const FOLDER_REQUEST = z.strictObject({ title: z.string().min(1).max(200), mode: z.enum(['open', 'save']), defaultPath: absolutePath.optional() });
export const DOCUMENT_STATE = z.strictObject({ dirty: z.boolean(), title: z.string().max(300) });

export function registerIpc(ipc: Pick<IpcMain, 'handle'>, engine: Handlers, deps: IpcDeps): void {
  const { rendererUrl } = deps;
  // The sender is checked by the wrapper already; dispatch checks the operation and its arguments.
  handleChecked(ipc, rendererUrl, CALL_CHANNEL, callArgs, (_event, [name, args]) => dispatch(engine, name, args, true));

  handleChecked(ipc, rendererUrl, DIALOG_CHANNEL, z.tuple([FOLDER_REQUEST]), async (event, [req]) => {
    const options: OpenDialogOptions = {
      title: req.title,
      ...(req.defaultPath ? { defaultPath: req.defaultPath } : {}),
      buttonLabel: req.mode === 'open' ? 'Open' : 'Choose',
      properties: ['openDirectory', 'createDirectory'],
    };
    const parent = deps.windowOf(event);
    const r = parent ? await deps.dialog.showOpenDialog(parent, options) : await deps.dialog.showOpenDialog(options);
    return ok(r.canceled ? undefined : r.filePaths[0]);
  });

  handleChecked(ipc, rendererUrl, DOCUMENT_STATE_CHANNEL, z.tuple([DOCUMENT_STATE]), (event, [state]) => {
    deps.setDocumentState(event, state);
    return ok(undefined);
  });
}
