/**
 * The window title and the unsaved-changes guard (src/main/close-guard.ts). Boundary that
 * cannot run here: Electron (no binary on this machine). The guard takes the window and the
 * message box as parameters; the fake window below emits `close` and `will-prevent-unload` as
 * Electron documents them (a listener may preventDefault). The `electron` module is mocked to
 * throw, proving close-guard.ts never loads it at run time. What the fake cannot show: the
 * order in which real Electron fires `close` and the page's `beforeunload`.
 */
import { describe, expect, it, vi } from 'vitest';
import { choiceOf, installCloseGuard, windowTitle, type CloseChoice } from '../../src/main/close-guard.js';

vi.mock('electron', () => {
  throw new Error('src/main/close-guard.ts must not load electron at run time');
});

type Listener = (e: { preventDefault(): void }) => void;

function fakeWindow() {
  const on = new Map<string, Listener>();
  const contentsOn = new Map<string, Listener>();
  const fire = (l: Listener | undefined): boolean => {
    let prevented = false;
    l?.({ preventDefault: () => (prevented = true) });
    return prevented;
  };
  const w = {
    closed: false,
    title: '',
    closeCalls: 0,
    on: (event: string, l: Listener) => void on.set(event, l),
    setTitle: (t: string) => void (w.title = t),
    /** Electron's close(): the `close` event, then the window closes unless a listener prevented it. */
    close: () => {
      w.closeCalls++;
      if (!fire(on.get('close'))) w.closed = true;
    },
    isDestroyed: () => w.closed,
    webContents: { on: (event: string, l: Listener) => void contentsOn.set(event, l) },
    /** Whether the page's beforeunload would be overridden now. */
    unloadForced: () => fire(contentsOn.get('will-prevent-unload')),
    pageTitlePrevented: () => fire(on.get('page-title-updated')),
  };
  return w;
}

const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

function setup(choice: CloseChoice, now = () => 0) {
  const window = fakeWindow();
  const ask = vi.fn(async () => choice);
  const sendCommand = vi.fn();
  const guard = installCloseGuard(window as never, { ask, sendCommand }, now);
  return { window, ask, sendCommand, guard };
}

describe('the close guard', () => {
  it('closes a clean window without asking', () => {
    const s = setup('cancel');
    s.guard.setState({ dirty: false, title: 'demo — Overlab' });
    s.window.close();
    expect(s.ask).not.toHaveBeenCalled();
    expect(s.window.closed).toBe(true);
  });

  it('asks before closing a dirty window; Cancel keeps it', async () => {
    const s = setup('cancel');
    s.guard.setState({ dirty: true, title: 'demo — Overlab' });
    s.window.close();
    expect(s.window.closed).toBe(false);
    await flush();
    expect(s.ask).toHaveBeenCalledExactlyOnceWith({ dirty: true, title: 'demo — Overlab' });
    expect(s.window.closed).toBe(false);
    expect(s.sendCommand).not.toHaveBeenCalled();
    // Still dirty, not decided: the page's own beforeunload guard stands.
    expect(s.window.unloadForced()).toBe(false);
  });

  it('asks once, however often close is pressed while the box is open', async () => {
    const s = setup('cancel');
    s.guard.setState({ dirty: true, title: 'x' });
    s.window.close();
    s.window.close();
    await flush();
    expect(s.ask).toHaveBeenCalledTimes(1);
  });

  it('Discard closes the window, overriding the page beforeunload guard', async () => {
    const s = setup('discard');
    s.guard.setState({ dirty: true, title: 'x' });
    s.window.close();
    await flush();
    expect(s.window.closed).toBe(true);
    expect(s.window.unloadForced()).toBe(true);
    expect(s.sendCommand).not.toHaveBeenCalled();
  });

  it('Save sends file.save and closes once the renderer reports the document clean', async () => {
    const s = setup('save');
    s.guard.setState({ dirty: true, title: 'x' });
    s.window.close();
    await flush();
    expect(s.sendCommand).toHaveBeenCalledExactlyOnceWith('file.save');
    expect(s.window.closed).toBe(false);
    s.guard.setState({ dirty: true, title: 'x' });
    expect(s.window.closed).toBe(false);
    s.guard.setState({ dirty: false, title: 'x' });
    expect(s.window.closed).toBe(true);
  });

  it('a save that reports clean long after (the close was given up) does not close by surprise', async () => {
    let t = 0;
    const s = setup('save', () => t);
    s.guard.setState({ dirty: true, title: 'x' });
    s.window.close();
    await flush();
    t += 60 * 60_000;
    s.guard.setState({ dirty: false, title: 'x' });
    expect(s.window.closed).toBe(false);
  });

  it('a clean report without a pending Save does not close the window', () => {
    const s = setup('save');
    s.guard.setState({ dirty: true, title: 'x' });
    s.guard.setState({ dirty: false, title: 'x' });
    expect(s.window.closeCalls).toBe(0);
  });
});

describe('the window title', () => {
  it('shows the document title, marked with "• " while dirty', () => {
    const s = setup('cancel');
    s.guard.setState({ dirty: true, title: 'demo — Overlab' });
    expect(s.window.title).toBe('• demo — Overlab');
    s.guard.setState({ dirty: false, title: 'demo — Overlab' });
    expect(s.window.title).toBe('demo — Overlab');
    expect(windowTitle({ dirty: false, title: '' })).toBe('Overlab');
  });

  it('is not overwritten by the page <title>', () => {
    expect(setup('cancel').window.pageTitlePrevented()).toBe(true);
  });
});

describe('choiceOf', () => {
  it('maps the Save / Discard / Cancel buttons, and anything else to Cancel', () => {
    expect([0, 1, 2, 3, -1].map(choiceOf)).toEqual(['save', 'discard', 'cancel', 'cancel', 'cancel']);
  });
});
