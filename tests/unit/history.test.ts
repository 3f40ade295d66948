/**
 * The designer's history: every document edit is one undoable step (a drag is one, committed
 * when it ends), undo and redo walk it both ways, at least 100 steps are kept, and nothing but
 * the document is recorded. The store is the UI's own (vanilla zustand + zundo), driven here
 * without React.
 */
import { describe, expect, it } from 'vitest';
import { addHost, connect, moveHosts, paste, copy, remove, renameHost, setLinkKind, updateHost, updateLink } from '../../src/shared/edit.js';
import type { Topology } from '../../src/shared/schema.js';
import { makeTemplate } from '../../src/shared/templates.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';
import { createOverlabStore, HISTORY_LIMIT, isDirty, loadDocument } from '../../src/renderer/src/store/index.js';

const start = (): ReturnType<typeof createOverlabStore> => {
  const store = createOverlabStore();
  const t = makeTemplate({ template: 'hub-spoke', hosts: 3, kind: 'vxlan' }, defaultRegistry).value!;
  loadDocument(store, '/p', t, 'r0', 3, []);
  return store;
};
const doc = (s: ReturnType<typeof createOverlabStore>): Topology => s.getState().topology!;
const unwrap = (e: { topology: Topology } | { error: string }): Topology => {
  if ('error' in e) throw new Error(e.error);
  return e.topology;
};

describe('history', () => {
  it('starts empty when a project is opened, and the document is clean', () => {
    const s = start();
    expect(s.temporal.getState().pastStates).toHaveLength(0);
    expect(isDirty(s.getState())).toBe(false);
  });

  const edits: [string, (t: Topology) => Topology][] = [
    ['add a host', (t) => addHost(t, { role: 'spoke', position: { x: 5, y: 5 } }).topology],
    ['remove a host with its links', (t) => remove(t, [t.hosts[1]!.id])],
    ['rename a host (links follow)', (t) => unwrap(renameHost(t, t.hosts[0]!.id, 'core'))],
    ['connect two hosts', (t) => unwrap(connect(t, t.hosts[1]!.id, t.hosts[2]!.id, 'wireguard'))],
    ['set a kind', (t) => setLinkKind(t, t.links[0]!.id, 'gre')],
    ['set options and an MTU', (t) => updateLink(t, t.links[0]!.id, { options: { port: 4790 }, mtu: 1400 })],
    ['move a host', (t) => moveHosts(t, new Map([[t.hosts[2]!.id, { x: 77, y: 88 }]]))],
    ['paste with fresh ids', (t) => paste(t, copy(t, [t.hosts[1]!.id]), { x: 30, y: 30 }).topology],
    ['change a host’s target', (t) => updateHost(t, t.hosts[1]!.id, { target: { type: 'ssh', address: '10.0.0.9', port: 22, user: 'root', sudo: false, password: false } })],
  ];

  it.each(edits)('undoes and redoes: %s', (_what, fn) => {
    const s = start();
    const before = doc(s);
    expect(s.getState().edit(fn)).toBe(true);
    const after = doc(s);
    expect(after).not.toBe(before);
    expect(isDirty(s.getState())).toBe(true);
    s.temporal.getState().undo();
    expect(doc(s)).toBe(before);
    expect(isDirty(s.getState())).toBe(false);
    s.temporal.getState().redo();
    expect(doc(s)).toBe(after);
  });

  it('keeps one step per edit, at least 100, and undoes them in order', () => {
    const s = start();
    const states: Topology[] = [doc(s)];
    for (let i = 0; i < 120; i++) {
      s.getState().edit((t) => moveHosts(t, new Map([[t.hosts[0]!.id, { x: i, y: i }]])));
      states.push(doc(s));
    }
    expect(HISTORY_LIMIT).toBeGreaterThanOrEqual(100);
    expect(s.temporal.getState().pastStates).toHaveLength(120);
    for (let i = 119; i >= 0; i--) {
      s.temporal.getState().undo();
      expect(doc(s)).toBe(states[i]);
    }
  });

  it('records the document only: selection, dialogs and notices are not undone', () => {
    const s = start();
    s.getState().edit((t) => addHost(t, { role: 'peer', position: { x: 0, y: 0 } }).topology);
    s.getState().select(['x']);
    s.getState().setDialog({ type: 'help' });
    s.getState().notify('info', 'hello');
    expect(s.temporal.getState().pastStates).toHaveLength(1);
    s.temporal.getState().undo();
    expect(s.getState().selected.has('x')).toBe(true);
    expect(s.getState().dialog).toEqual({ type: 'help' });
  });

  it('refuses edits while a deploy holds the hosts, and says why', () => {
    const s = start();
    s.getState().startRun('r1', 'deploy', 'Deploy');
    const before = doc(s);
    expect(s.getState().edit((t) => remove(t, [t.hosts[0]!.id]))).toBe(false);
    expect(doc(s)).toBe(before);
    expect(s.getState().notice?.text).toMatch(/editing is locked/);
    s.getState().endRun(true, 'done');
    expect(s.getState().edit((t) => remove(t, [t.hosts[0]!.id]))).toBe(true);
  });

  it('says what an edit refused (a link to the same host twice)', () => {
    const s = start();
    const [hub, s1] = doc(s).hosts;
    expect(s.getState().edit((t) => { const r = connect(t, hub!.id, s1!.id, 'gre'); return 'error' in r ? r.error : r.topology; })).toBe(false);
    expect(s.getState().notice).toMatchObject({ kind: 'error', text: expect.stringContaining('already linked') });
    expect(s.temporal.getState().pastStates).toHaveLength(0);
  });
});
