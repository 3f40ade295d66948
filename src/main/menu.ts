/**
 * The application menu. Each item sends a command id of the renderer's registry
 * (src/renderer/src/commands) over the menu-command channel; the renderer decides whether the
 * command is enabled and runs it. The template is a pure function of the recent projects.
 *
 * Accelerators are shown but not registered (`registerAccelerator: false`): the renderer's
 * keydown handler is the one place keys run commands, and it knows when the focus is in a text
 * field (Ctrl+Z, Delete and ? there belong to the field). A registered accelerator would fire
 * the command a second time, or inside a text field. Quit keeps its own, registered.
 */
import type { Menu, MenuItemConstructorOptions } from 'electron';
import type { Handlers } from '../engine/engine.js';

export interface RecentProject {
  readonly dir: string;
  readonly name: string;
}

/** How many recent projects the File menu lists. */
const RECENT_SHOWN = 10;

/** `&` starts a mnemonic in a menu label on Linux and Windows: a folder named `R&D` must show as is. */
const literal = (label: string): string => label.replace(/&/g, '&&');

export function menuTemplate(recent: readonly RecentProject[], send: (commandId: string) => void): MenuItemConstructorOptions[] {
  const item = (label: string, id: string, accelerator?: string): MenuItemConstructorOptions => ({
    label,
    id,
    ...(accelerator ? { accelerator, registerAccelerator: false } : {}),
    click: () => send(id),
  });
  const recentItems: MenuItemConstructorOptions[] = recent.length
    ? recent.slice(0, RECENT_SHOWN).map((r) => ({ label: literal(`${r.name} — ${r.dir}`), id: `file.openRecent:${r.dir}`, click: () => send(`file.openRecent:${r.dir}`) }))
    : [{ label: 'No recent projects', enabled: false }];
  return [
    {
      label: '&File',
      submenu: [
        item('New from template…', 'file.new', 'CmdOrCtrl+Alt+N'),
        item('Open…', 'file.open', 'CmdOrCtrl+O'),
        { label: 'Open Recent', submenu: recentItems },
        { type: 'separator' },
        item('Save', 'file.save', 'CmdOrCtrl+S'),
        item('Save as…', 'file.saveAs', 'CmdOrCtrl+Shift+S'),
        { type: 'separator' },
        { role: 'quit', label: 'Quit' },
      ],
    },
    {
      label: '&Edit',
      submenu: [
        item('Undo', 'edit.undo', 'CmdOrCtrl+Z'),
        item('Redo', 'edit.redo', 'CmdOrCtrl+Shift+Z'),
        { type: 'separator' },
        item('Select all', 'edit.selectAll', 'CmdOrCtrl+A'),
        item('Delete', 'edit.delete', 'Delete'),
      ],
    },
    {
      label: '&View',
      submenu: [item('Fit', 'view.fit', 'CmdOrCtrl+0'), item('Zoom in', 'view.zoomIn', 'Plus'), item('Zoom out', 'view.zoomOut', '-')],
    },
    {
      label: '&Help',
      submenu: [item('Keyboard shortcuts', 'help.shortcuts', '?')],
    },
  ];
}

export interface MenuDeps {
  readonly Menu: Pick<typeof Menu, 'buildFromTemplate' | 'setApplicationMenu'>;
  readonly engine: Pick<Handlers, 'recent.list'>;
  readonly send: (commandId: string) => void;
}

/** Builds the menu from the current recent projects; an unreadable list just shows none. */
export async function installMenu({ Menu: M, engine, send }: MenuDeps): Promise<void> {
  const recent = await engine['recent.list']({}).catch((): readonly RecentProject[] => []);
  M.setApplicationMenu(M.buildFromTemplate(menuTemplate(recent, send)));
}

/** The handlers, with the menu rebuilt after each change of the recent projects. */
export function refreshingMenu(engine: Handlers, refresh: () => void): Handlers {
  return {
    ...engine,
    'recent.add': async (args) => {
      const r = await engine['recent.add'](args);
      refresh();
      return r;
    },
  };
}
