/**
 * The dialogs: new project from a template, the folder browser (Open, Save as — in the browser,
 * where a page cannot name a local folder itself), unsaved changes, a file changed on disk,
 * host keys refused by a run (HostKeyDialog), a password to give, messages, the shortcuts and the command palette.
 */
import { useEffect, useMemo, useState } from 'react';
import type { FolderListing } from '../../../shared/api';
import { SHAPES, type Shape } from '../../../shared/schema';
import { LAB_IPV6_UNDERLAY, TEMPLATE_MAX_HOSTS, underlayFamily, underlayForFamily } from '../../../shared/templates';
import { createProject, openProject, saveProject, type Env } from '../actions';
import { COMMANDS, isEnabled, runCommand, shortcutText } from '../commands/index';
import { registry } from '../derived';
import { store, useStore } from '../store/hooks';
import type { Dialog } from '../store/index';
import { MeasureDialog } from '../results/MeasureDialog';
import { retryWithKeys } from '../results/actions';
import { HostKeyDialog } from './HostKeyDialog';
import { Modal } from './Modal';
import { TunnelPicker } from './TunnelPicker';

const close = (): void => store.getState().setDialog(undefined);

function FolderBrowser({ env, mode }: { env: Env; mode: 'open' | 'save' }) {
  const dir = useStore((s) => s.dir);
  const [listing, setListing] = useState<FolderListing>();
  const [error, setError] = useState<string>();
  const [name, setName] = useState('');
  const [recent, setRecent] = useState<readonly { dir: string; name: string }[]>([]);
  const go = (path?: string): void => {
    env.client?.['fs.list'](path ? { path } : {}).then(
      (l) => {
        setError(undefined);
        setListing(l);
      },
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
  };
  useEffect(() => {
    go(dir ? dir.replace(/\/[^/]+\/?$/, '') || '/' : undefined);
    if (mode === 'open') env.client?.['recent.list']({}).then(setRecent, () => undefined);
    // Once, when the dialog opens.
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the listing starts where the project is
  }, []);
  const choose = async (path: string): Promise<void> => {
    close();
    if (mode === 'open') await openProject(env, path);
    else await saveProject(env, { dir: path });
  };
  return (
    <Modal title={mode === 'open' ? 'Open a project folder' : 'Save the project in a folder'} onClose={close} wide>
      {mode === 'open' && recent.length ? (
        <div className="recent">
          <h3>Recent</h3>
          <ul>{recent.map((r) => <li key={r.dir}><button type="button" className="link" onClick={() => void choose(r.dir)}>{r.name}</button> <span className="muted small">{r.dir}</span></li>)}</ul>
        </div>
      ) : null}
      <div className="browser-path">
        <code>{listing?.path ?? '…'}</code>
        {listing?.parent ? <button type="button" onClick={() => go(listing.parent)}>Up</button> : null}
      </div>
      {error ? <div className="diag error" role="alert">{error}</div> : null}
      <ul className="folders" aria-label="Folders">
        {listing?.entries.map((e) => (
          <li key={e.path}>
            <button type="button" className="folder" onDoubleClick={() => (mode === 'open' && e.isProject ? void choose(e.path) : go(e.path))} onClick={() => go(e.path)}>
              {e.isProject ? '▣' : '▸'} {e.name}
            </button>
            {e.isProject && mode === 'open' ? <button type="button" onClick={() => void choose(e.path)}>Open</button> : null}
          </li>
        ))}
        {listing && listing.entries.length === 0 ? <li className="muted">No folders here.</li> : null}
      </ul>
      {mode === 'save' ? (
        <form className="row" onSubmit={(ev) => { ev.preventDefault(); if (listing) void choose(name.trim() ? `${listing.path.replace(/\/$/, '')}/${name.trim()}` : listing.path); }}>
          <input aria-label="New folder name" placeholder="new folder (empty: this one)" value={name} onChange={(e) => setName(e.target.value)} />
          <button type="submit" className="primary">Save here</button>
        </form>
      ) : listing && listing.entries.length === 0 ? null : (
        <p className="muted small">Folders marked ▣ hold a project (overlab.yaml).</p>
      )}
    </Modal>
  );
}

function NewProject({ env }: { env: Env }) {
  const [template, setTemplate] = useState<Shape>('hub-spoke');
  const [hosts, setHosts] = useState(4);
  const [kind, setKind] = useState('vxlan');
  const [name, setName] = useState('');
  const [listing, setListing] = useState<FolderListing>();
  const [folder, setFolder] = useState('');
  // The underlay: its family picks a default subnet (IPv6: the lab's own ULA range), which may be edited.
  const [underlay, setUnderlay] = useState(underlayForFamily(4));
  useEffect(() => {
    env.client?.['fs.list']({}).then((l) => {
      setListing(l);
      // Only a default: a folder typed before the listing came back stays (on a busy machine the
      // listing can come after the person, or an e2e test, has typed one).
      setFolder((typed) => typed || `${l.path.replace(/\/$/, '')}/overlab-project`);
    }, () => undefined);
  }, [env]);
  const k = registry.kinds.find((x) => x.id === kind);
  const subnet = underlayFamily(underlay.trim());
  const family = typeof subnet === 'string' ? undefined : subnet;
  const bad =
    template === 'site-to-site' && hosts !== 2 ? 'a site-to-site has exactly 2 hosts'
    : !k?.shapes.includes(template) ? `${kind} cannot build a ${template}`
    : hosts < 2 || hosts > TEMPLATE_MAX_HOSTS ? `2–${TEMPLATE_MAX_HOSTS} hosts`
    : typeof subnet === 'string' ? `Underlay subnet: ${subnet}, or pick IPv4 or IPv6 for the lab's own range`
    : !folder.startsWith('/') ? 'give the folder as an absolute path'
    : undefined;
  const pickNative = async (): Promise<void> => {
    const p = await env.bridge?.pickFolder?.({ title: 'Folder for the new project', mode: 'save', ...(listing ? { defaultPath: listing.path } : {}) });
    if (p) setFolder(p);
  };
  return (
    <Modal title="New project from a template" onClose={close}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          if (bad) return;
          close();
          void createProject(env, { dir: folder, template, hosts, kind, underlaySubnet: underlay.trim(), ...(name.trim() ? { name: name.trim() } : {}) });
        }}
      >
        <label className="field"><span className="field-label">Shape</span>
          <select aria-label="Template" value={template} onChange={(e) => { const t = e.target.value as Shape; setTemplate(t); if (t === 'site-to-site') setHosts(2); }}>
            {SHAPES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label className="field"><span className="field-label">Hosts</span>
          <input aria-label="Hosts" type="number" min={2} max={TEMPLATE_MAX_HOSTS} value={hosts} disabled={template === 'site-to-site'} onChange={(e) => setHosts(Number(e.target.value))} />
        </label>
        <label className="field"><span className="field-label">Tunnel on every link</span>
          <select aria-label="Kind" value={kind} onChange={(e) => setKind(e.target.value)}>
            {registry.kinds.map((x) => <option key={x.id} value={x.id}>{x.id} — {x.label}</option>)}
          </select>
        </label>
        <label className="field"><span className="field-label">Underlay</span>
          <div className="row">
            <select aria-label="Underlay family" value={family ?? ''} onChange={(e) => setUnderlay(underlayForFamily(e.target.value === '6' ? 6 : 4))}>
              <option value="4">IPv4</option>
              <option value="6">IPv6</option>
              {family === undefined ? <option value="">?</option> : null}
            </select>
            <input aria-label="Underlay subnet" value={underlay} onChange={(e) => setUnderlay(e.target.value)} />
          </div>
          <span className="field-hint">the hosts' WAN addresses; tunnels and LANs stay IPv4 (IPv6: the lab's own range {LAB_IPV6_UNDERLAY})</span>
        </label>
        <label className="field"><span className="field-label">Name</span>
          <input aria-label="Project name" placeholder={`${template} (${kind}, ${hosts} hosts)`} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="field"><span className="field-label">Folder</span>
          <div className="row">
            <input aria-label="Project folder" value={folder} onChange={(e) => setFolder(e.target.value)} />
            {env.bridge?.pickFolder ? <button type="button" onClick={() => void pickNative()}>Choose…</button> : null}
          </div>
          <span className="field-hint">created if missing; an existing project there is not overwritten</span>
        </label>
        {bad ? <div className="diag error">{bad}</div> : null}
        <div className="buttons"><button type="button" onClick={close}>Cancel</button><button type="submit" className="primary" disabled={!!bad}>Create</button></div>
      </form>
    </Modal>
  );
}

function ConfirmDiscard({ env, d }: { env: Env; d: Extract<Dialog, { type: 'confirm-discard' }> }) {
  const proceed = async (): Promise<void> => {
    close();
    // The guard does not ask again: the document is treated as saved for what comes next.
    const s = store.getState();
    s.markSaved(s.dir ?? '', s.topology!, s.revision);
    if (d.then === 'new') store.getState().setDialog({ type: 'new' });
    else if (d.then === 'open-recent' && d.dir) await openProject(env, d.dir);
    else await runCommand(env, 'file.open');
  };
  const saveThen = async (): Promise<void> => {
    if (await saveProject(env)) await proceed();
  };
  return (
    <Modal title="Unsaved changes" onClose={close} footer={<div className="buttons"><button type="button" onClick={close}>Cancel</button><button type="button" onClick={() => void proceed()}>Discard them</button><button type="button" className="primary" onClick={() => void saveThen()}>Save first</button></div>}>
      <p>The project has changes that are not saved. Save them before you go on?</p>
    </Modal>
  );
}

function Conflict({ env }: { env: Env }) {
  const dir = useStore((s) => s.dir);
  return (
    <Modal title="The file changed on disk" onClose={close} footer={<div className="buttons"><button type="button" onClick={close}>Cancel</button><button type="button" onClick={() => { close(); if (dir) void openProject(env, dir); }}>Reopen it (lose my changes)</button><button type="button" className="primary" onClick={() => { close(); void saveProject(env, { force: true }); }}>Overwrite it</button></div>}>
      <p><code>{dir}/overlab.yaml</code> was changed by something else since it was opened here. Overwrite that change with yours, or reopen the file as it is now?</p>
    </Modal>
  );
}

function Password({ env, prompt }: { env: Env; prompt: Extract<Dialog, { type: 'password' }>['prompt'] }) {
  const [value, setValue] = useState('');
  const answer = (v: string | undefined): void => {
    close();
    void env.client?.['prompt.answer']({ promptId: prompt.promptId, ...(v !== undefined ? { value: v } : {}) });
    setValue('');
  };
  return (
    <Modal title="Password" onClose={() => answer(undefined)}>
      <form className="form" onSubmit={(e) => { e.preventDefault(); answer(value); }}>
        <p>{prompt.message}. It is used for this login only: never stored, never logged.</p>
        <input type="password" aria-label="Password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} autoFocus />
        <div className="buttons"><button type="button" onClick={() => answer(undefined)}>Cancel</button><button type="submit" className="primary">Log in</button></div>
      </form>
    </Modal>
  );
}

function Help() {
  const groups = [...new Set(COMMANDS.map((c) => c.group))];
  return (
    <Modal title="Keyboard shortcuts" onClose={close} wide>
      <div className="help-grid">
        {groups.map((g) => (
          <section key={g}>
            <h3>{g}</h3>
            <table className="rows"><tbody>{COMMANDS.filter((c) => c.group === g && c.shortcut).map((c) => <tr key={c.id}><td>{c.label}</td><td><kbd>{shortcutText(c.shortcut!)}</kbd></td></tr>)}</tbody></table>
          </section>
        ))}
        <section>
          <h3>Canvas</h3>
          <table className="rows"><tbody>
            <tr><td>Select a box</td><td><kbd>Shift</kbd> + drag</td></tr>
            <tr><td>Add to the selection</td><td><kbd>Shift</kbd> + click</td></tr>
            <tr><td>Link two hosts</td><td>drag from a host&apos;s dot to another host</td></tr>
            <tr><td>Add a host</td><td>drag a role from the palette</td></tr>
            <tr><td>Pan / zoom</td><td>drag the background / wheel</td></tr>
          </tbody></table>
        </section>
      </div>
    </Modal>
  );
}

function Palette({ env }: { env: Env }) {
  const [q, setQ] = useState('');
  const [i, setI] = useState(0);
  // The ids of the enabled commands, as one string: the palette re-renders when that set
  // changes, not on every change anywhere in the store.
  const enabledIds = useStore((s) => COMMANDS.filter((c) => isEnabled(c, s)).map((c) => c.id).join('\n'));
  const list = useMemo(() => {
    const on = new Set(enabledIds.split('\n'));
    return COMMANDS.filter((c) => on.has(c.id) && c.label.toLowerCase().includes(q.toLowerCase()));
  }, [q, enabledIds]);
  const run = (id: string): void => {
    close();
    void runCommand(env, id);
  };
  return (
    <Modal title="Commands" onClose={close}>
      <input
        aria-label="Command"
        placeholder="Type a command…"
        value={q}
        autoFocus
        onChange={(e) => { setQ(e.target.value); setI(0); }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') { e.preventDefault(); setI((x) => Math.min(list.length - 1, x + 1)); }
          if (e.key === 'ArrowUp') { e.preventDefault(); setI((x) => Math.max(0, x - 1)); }
          if (e.key === 'Enter' && list[i]) run(list[i]!.id);
        }}
      />
      <ul className="palette-list" role="listbox" aria-label="Commands">
        {list.map((c, k) => (
          <li key={c.id} role="option" aria-selected={k === i} className={k === i ? 'active' : undefined} onMouseDown={() => run(c.id)}>
            <span>{c.label}</span>{c.shortcut ? <kbd>{shortcutText(c.shortcut)}</kbd> : null}
          </li>
        ))}
      </ul>
    </Modal>
  );
}

export function Dialogs({ env }: { env: Env }) {
  const d = useStore((s) => s.dialog);
  if (!d) return null;
  switch (d.type) {
    case 'new': return <NewProject env={env} />;
    case 'open': return <FolderBrowser env={env} mode="open" />;
    case 'save-as': return <FolderBrowser env={env} mode="save" />;
    case 'picker': return <TunnelPicker a={d.a} b={d.b} {...(d.linkId ? { linkId: d.linkId } : {})} />;
    case 'confirm-discard': return <ConfirmDiscard env={env} d={d} />;
    case 'conflict': return <Conflict env={env} />;
    case 'host-keys': {
      const retry = d.retry;
      return <HostKeyDialog keys={d.keys} {...(retry ? { retry: retry.op } : {})} onClose={close} onAccept={(accept) => { close(); if (retry) void retryWithKeys(env, retry, accept); }} />;
    }
    case 'measure': return <MeasureDialog env={env} deploy={d.deploy} />;
    case 'password': return <Password env={env} prompt={d.prompt} />;
    case 'message': return <Modal title={d.title} onClose={close}><p className="pre">{d.text}</p></Modal>;
    case 'help': return <Help />;
    case 'palette': return <Palette env={env} />;
  }
}
