import { useEffect } from 'react';
import { openProject } from './actions';
import type { OverlabClient } from '../../shared/api';
import { connection, env } from './env';
import { Canvas } from './canvas/Canvas';
import { Palette } from './canvas/Palette';
import { commandById, commandForKey, isEnabled, keyOf, runCommand, shortcutText } from './commands/index';
import { Dialogs } from './panels/Dialogs';
import { RunPanel } from './panels/RunPanel';
import { ResultsBar } from './results/ResultsBar';
import { ResultsPanel } from './results/ResultsPanel';
import { SidePanel } from './panels/SidePanel';
import { store, useHistory, useStore } from './store/hooks';
import { isDirty, lockReason } from './store/index';


// Loads the project the engine was started with; module-level so StrictMode's double effect run does not open it twice.
let started = false;
function startOnce(): void {
  const conn = connection;
  if (started || !conn) return;
  started = true;
  // The catalogue without probes at once (the picker needs it), the kernel probes once the
  // project is drawn and painted: on one engine (and two cores) they would only delay it.
  const kinds = (probe: boolean) => conn.client['kinds.list']({ probe }).then((k) => store.getState().setKinds(k), () => undefined);
  void kinds(false);
  const probe = () => void kinds(true);
  conn
    .startDir()
    .then((dir) => (dir ? openProject(env, dir, { then: probe }) : probe()))
    .catch((e: unknown) => {
      store.getState().notify('error', e instanceof Error ? e.message : String(e));
      probe();
    });
}

function Button({ id, label, primary }: { id: string; label?: string; primary?: boolean }) {
  const c = commandById(id)!;
  const enabled = useStore((s) => isEnabled(c, s));
  // Undo and redo are enabled by the history too.
  const history = useHistory((h) => (id === 'edit.undo' ? h.pastStates.length > 0 : id === 'edit.redo' ? h.futureStates.length > 0 : true));
  return (
    <button type="button" className={primary ? 'primary' : undefined} disabled={!enabled || !history} onClick={() => void runCommand(env, id)} title={`${c.label}${c.shortcut ? ` (${shortcutText(c.shortcut)})` : ''}`} data-command={id}>
      {label ?? c.label}
    </button>
  );
}

function Toolbar() {
  // The title only: the toolbar does not re-render when a host moves.
  const title = useStore((s) => (s.topology ? `${s.topology.name}\n${s.topology.shape}\n${s.topology.hosts.length}\n${s.topology.links.length}` : undefined));
  const [name, shape, hosts, links] = title?.split('\n') ?? [];
  const dirty = useStore(isDirty);
  const busy = useStore((s) => s.busy);
  return (
    <header className="toolbar">
      <strong className="brand">Overlab</strong>
      {title ? (
        <span className="title" title={store.getState().dir}>
          {dirty ? <span className="dirty" aria-label="unsaved changes">• </span> : null}
          {name} <span className="muted">— {shape}, {hosts} hosts, {links} links</span>
        </span>
      ) : null}
      <div className="tool-group" role="group" aria-label="File">
        <Button id="file.new" label="New…" />
        <Button id="file.open" label="Open…" />
        <Button id="file.save" label="Save" />
        <Button id="file.saveAs" label="Save as…" />
      </div>
      <div className="tool-group" role="group" aria-label="Edit">
        <Button id="edit.undo" label="Undo" />
        <Button id="edit.redo" label="Redo" />
        <Button id="view.layout" label="Layout" />
        <Button id="view.fit" label="Fit" />
      </div>
      <div className="tool-group" role="group" aria-label="Lab">
        <Button id="lab.up" label="Lab up" />
        <Button id="lab.deploy" label="Deploy" primary />
        <Button id="lab.teardown" label="Teardown" />
        <Button id="lab.down" label="Lab down" />
      </div>
      <div className="tool-group end">
        <Button id="help.palette" label="⌘K" />
        <Button id="help.shortcuts" label="?" />
      </div>
      {busy ? <span className="busy" role="status">{busy}…</span> : null}
    </header>
  );
}

function Banners() {
  const locked = useStore(lockReason);
  const notice = useStore((s) => s.notice);
  return (
    <div className="banners">
      {locked ? <div className="banner lock" role="status">{locked}.</div> : null}
      {notice ? (
        <div className={`banner ${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'}>
          <span className="pre">{notice.text}</span>
          <button type="button" className="icon" aria-label="Dismiss" onClick={() => store.getState().dismiss()}>×</button>
        </div>
      ) : null}
    </div>
  );
}

function Workspace() {
  const topology = useStore((s) => !!s.topology);
  const hasProject = useStore((s) => s.dir !== undefined);
  return (
    <div className={hasProject ? 'workspace' : 'workspace no-side'}>
      <main className="canvas" aria-label="Topology">
        {topology ? (
          <>
            {/* A store of React Flow's own per project (see Canvas); the palette drops into it. */}
            <Canvas key={store.getState().dir}>
              <Palette />
            </Canvas>
          </>
        ) : (
          <div className="empty">
            {hasProject ? (
              <p>The project in <code>{store.getState().dir}</code> could not be loaded: its problems are listed on the right.</p>
            ) : connection ? (
              <div>
                <p>Open a project folder (one with an <code>overlab.yaml</code>), or create one from a template.</p>
                <p><Button id="file.new" label="New project…" primary /> <Button id="file.open" label="Open…" /></p>
              </div>
            ) : (
              <p>No engine connected. Run <code>overlab serve DIR</code> and open the URL it prints (it carries the session token), or start the desktop app.</p>
            )}
          </div>
        )}
      </main>
      {hasProject ? <SidePanel /> : null}
    </div>
  );
}

function StatusBar() {
  const dir = useStore((s) => s.dir);
  const selected = useStore((s) => s.selected.size);
  return (
    <footer className="status" role="status">
      <span>{connection ? (connection.via === 'serve' ? `engine: overlab serve (${window.location.host})` : 'engine: desktop app') : 'engine: not connected'}</span>
      {dir ? <span className="path">{dir}</span> : null}
      {selected ? <span>{selected} selected</span> : null}
      <span className="spacer" />
      <span className="muted">? shortcuts · Ctrl+K commands</span>
    </footer>
  );
}

/**
 * Shows a question the engine still waits on whose `prompt` event this page missed (its event
 * stream broke): the first one, unless a dialog is already open — that one is never replaced
 * under the person's hands; the engine's question then times out as an unanswered one does.
 */
async function reaskPending(client: OverlabClient): Promise<void> {
  const pending = await client['prompt.pending']({}).catch(() => []);
  const first = pending[0];
  if (first && !store.getState().dialog) store.getState().setDialog({ type: 'password', prompt: first });
}

/** Keys run commands, except plain keys while typing in a field (Mod+S still saves there). */
function onKey(e: KeyboardEvent): void {
  if (store.getState().dialog) return;
  const el = e.target as HTMLElement | null;
  const typing = !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
  const key = keyOf(e);
  const c = commandForKey(key);
  if (!c) return;
  if (typing && !key.startsWith('Mod+')) return;
  if (typing && ['edit.undo', 'edit.redo', 'edit.selectAll', 'edit.copy', 'edit.paste'].includes(c.id)) return;
  e.preventDefault();
  void runCommand(env, c.id);
}

export function App() {
  useEffect(() => {
    startOnce();
    window.addEventListener('keydown', onKey);
    // Closing or reloading the page with unsaved changes asks first.
    const beforeUnload = (e: BeforeUnloadEvent): void => {
      if (isDirty(store.getState())) e.preventDefault();
    };
    window.addEventListener('beforeunload', beforeUnload);
    const offs: (() => void)[] = [];
    if (connection) {
      offs.push(connection.client.on('progress', (e) => store.getState().progress(e)));
      offs.push(connection.client.on('prompt', (p) => store.getState().setDialog({ type: 'password', prompt: p })));
      const b = connection.bridge;
      // After a break in the event stream, a question asked meanwhile was never seen: ask the engine.
      // (Progress needs nothing: the run's reply sets its final state.)
      const client = connection.client;
      if (b?.onReconnect) offs.push(b.onReconnect(() => void reaskPending(client)));
      if (b?.onMenuCommand) offs.push(b.onMenuCommand((id) => void runCommand(env, id)));
      if (b?.setDocumentState) {
        offs.push(
          store.subscribe((s) => b.setDocumentState!({ dirty: isDirty(s), title: s.topology ? `${s.topology.name} — Overlab` : 'Overlab' })),
        );
      }
    }
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('beforeunload', beforeUnload);
      for (const off of offs) off();
    };
  }, []);

  return (
    <>
      <div className="app">
        <Toolbar />
        <Banners />
        <ResultsBar env={env} />
        <Workspace />
        <ResultsPanel env={env} />
        <RunPanel env={env} />
        <StatusBar />
        <Dialogs env={env} />
      </div>
    </>
  );
}
