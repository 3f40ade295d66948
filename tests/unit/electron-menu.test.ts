/**
 * The application menu (src/main/menu.ts). Boundary that cannot run here: Electron (no binary
 * on this machine). The template is plain data built by a pure function; `installMenu` takes
 * Electron's Menu as a parameter, faked below. The `electron` module is mocked to throw, proving
 * menu.ts never loads it at run time. What the fake cannot show: how the desktop draws the menu.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Handlers } from '../../src/engine/engine.js';
import { installMenu, menuTemplate, refreshingMenu } from '../../src/main/menu.js';

/** Electron's MenuItemConstructorOptions, by way of the template (tests do not import electron). */
type MenuItemConstructorOptions = ReturnType<typeof menuTemplate>[number];

vi.mock('electron', () => {
  throw new Error('src/main/menu.ts must not load electron at run time');
});

const COMMAND_IDS = ['file.new', 'file.open', 'file.save', 'file.saveAs', 'edit.undo', 'edit.redo', 'edit.selectAll', 'edit.delete', 'view.fit', 'view.zoomIn', 'view.zoomOut', 'help.shortcuts'];

function items(template: readonly MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return template.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? items(i.submenu) : [])]);
}
const byId = (template: readonly MenuItemConstructorOptions[], id: string): MenuItemConstructorOptions | undefined => items(template).find((i) => i.id === id);
const click = (i: MenuItemConstructorOptions | undefined): void => (i?.click as (() => void) | undefined)?.();

describe('menuTemplate', () => {
  it('has the File, Edit, View and Help menus', () => {
    expect(menuTemplate([], () => undefined).map((m) => m.label?.replace('&', ''))).toEqual(['File', 'Edit', 'View', 'Help']);
  });

  it.each(COMMAND_IDS)('has %s, and clicking it sends exactly that id', (id) => {
    const send = vi.fn();
    const item = byId(menuTemplate([], send), id);
    expect(item).toBeDefined();
    click(item);
    expect(send).toHaveBeenCalledExactlyOnceWith(id);
  });

  it('lists the recent projects under File ▸ Open Recent, each sending file.openRecent:<dir>', () => {
    const send = vi.fn();
    const t = menuTemplate([{ dir: '/home/u/alpha', name: 'alpha' }, { dir: '/home/u/R&D', name: 'R&D lab' }], send);
    const recent = items(t).find((i) => i.label === 'Open Recent');
    const sub = recent?.submenu as MenuItemConstructorOptions[];
    expect(sub.map((i) => i.id)).toEqual(['file.openRecent:/home/u/alpha', 'file.openRecent:/home/u/R&D']);
    // `&` would start a mnemonic: doubled, it shows as itself.
    expect(sub[1]?.label).toBe('R&&D lab — /home/u/R&&D');
    click(sub[1]);
    expect(send).toHaveBeenCalledExactlyOnceWith('file.openRecent:/home/u/R&D');
  });

  it('shows a disabled placeholder when there is no recent project', () => {
    const sub = items(menuTemplate([], () => undefined)).find((i) => i.label === 'Open Recent')?.submenu as MenuItemConstructorOptions[];
    expect(sub).toEqual([expect.objectContaining({ enabled: false })]);
  });

  it('has Quit as the role, with its own (registered) accelerator', () => {
    const quit = items(menuTemplate([], () => undefined)).find((i) => i.role === 'quit');
    expect(quit).toBeDefined();
    expect(quit?.registerAccelerator).not.toBe(false);
  });

  it('shows the shortcuts but leaves the keys to the renderer (no registered accelerator on commands)', () => {
    const t = menuTemplate([], () => undefined);
    expect(byId(t, 'edit.undo')?.accelerator).toBe('CmdOrCtrl+Z');
    expect(byId(t, 'edit.redo')?.accelerator).toBe('CmdOrCtrl+Shift+Z');
    expect(byId(t, 'edit.selectAll')?.accelerator).toBe('CmdOrCtrl+A');
    for (const id of COMMAND_IDS) {
      const i = byId(t, id);
      if (i?.accelerator) expect(i.registerAccelerator, id).toBe(false);
    }
  });
});

describe('the menu and the renderer command registry agree', () => {
  // A variable specifier: the registry is renderer code, type-checked by tsconfig.web.json, not here.
  const registry = '../../src/renderer/src/commands/index.js';
  it('every command id of the menu is a registered command, and each shown shortcut is one of its keys', async () => {
    const { COMMANDS } = (await import(/* @vite-ignore */ registry)) as { COMMANDS: readonly { id: string; shortcut?: string; alsoKeys?: readonly string[] }[] };
    for (const item of items(menuTemplate([], () => undefined)).filter((i) => i.id)) {
      const c = COMMANDS.find((x) => x.id === item.id);
      expect(c, item.id).toBeDefined();
      if (item.accelerator) {
        const key = String(item.accelerator).replace('CmdOrCtrl', 'Mod').replace(/^Plus$/, '+');
        expect([c?.shortcut, ...(c?.alsoKeys ?? [])], item.id).toContain(key);
      }
    }
  });
});

describe('installMenu and refreshingMenu', () => {
  const fakeMenu = () => ({ buildFromTemplate: vi.fn((t: MenuItemConstructorOptions[]) => ({ t })), setApplicationMenu: vi.fn() });

  it('builds the menu from recent.list', async () => {
    const Menu = fakeMenu();
    const engine = { 'recent.list': vi.fn(async () => [{ dir: '/p', name: 'p', openedAt: '2025-01-01T00:00:00Z' }]) };
    await installMenu({ Menu: Menu as never, engine: engine as never, send: () => undefined });
    expect(engine['recent.list']).toHaveBeenCalledWith({});
    const built = Menu.buildFromTemplate.mock.calls[0]![0];
    expect(byId(built, 'file.openRecent:/p')).toBeDefined();
    expect(Menu.setApplicationMenu).toHaveBeenCalledExactlyOnceWith({ t: built });
  });

  it('still builds a menu when the recent list cannot be read', async () => {
    const Menu = fakeMenu();
    await installMenu({ Menu: Menu as never, engine: { 'recent.list': async () => Promise.reject(new Error('EACCES')) } as never, send: () => undefined });
    expect(Menu.setApplicationMenu).toHaveBeenCalledTimes(1);
  });

  it('rebuilds after recent.add has written, and leaves the other handlers as they are', async () => {
    const order: string[] = [];
    const engine = { 'recent.add': vi.fn(async () => (order.push('add'), { ok: true as const })), 'project.open': vi.fn() } as unknown as Handlers;
    const wrapped = refreshingMenu(engine, () => order.push('refresh'));
    await expect(wrapped['recent.add']({ dir: '/p', name: 'p' })).resolves.toEqual({ ok: true });
    expect(order).toEqual(['add', 'refresh']);
    expect(wrapped['project.open']).toBe(engine['project.open']);
  });
});
