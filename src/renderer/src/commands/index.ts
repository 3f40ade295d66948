/**
 * Every user command is one registered object — id, label, shortcut, when it is enabled, what
 * it does — read alike by the toolbar, the keyboard, the command palette (Ctrl+K), the help
 * overlay (?) and the desktop app's menus (which send a command id). The only list.
 */
import { copy, fittingShape, paste, remove } from '../../../shared/edit';
import { autoLayout } from '../canvas/layout';
import { METRIC_IDS } from '../../../shared/view/metrics';
import { applyConditions, readConditions } from '../conditions/actions';
import { deployAndMeasure } from '../results/actions';
import type { ResultsTab } from '../store/index';
import { cancelRun, guardUnsaved, openProject, pickFolder, runDeploy, runLab, saveProject, type Env } from '../actions';
import { isDirty, lockReason, type Store } from '../store/index';

export interface Command {
  readonly id: string;
  readonly label: string;
  readonly group: 'File' | 'Edit' | 'View' | 'Lab' | 'Results' | 'Help';
  /** `Mod` is Ctrl (Cmd on a Mac); e.g. `Mod+Shift+Z`, `Delete`, `?`. */
  readonly shortcut?: string;
  /** Further keys that run it too (not shown). */
  readonly alsoKeys?: readonly string[];
  enabled?(s: Store): boolean;
  run(env: Env): void | Promise<void>;
}

const hasDoc = (s: Store): boolean => !!s.topology;
const editable = (s: Store): boolean => !!s.topology && !lockReason(s);
const idle = (s: Store): boolean => !!s.topology && !(s.run && !s.run.result);
const labHosts = (s: Store): boolean => !!s.topology?.hosts.some((h) => h.target.type === 'lab');
/** Some host is deployed: conditions act on deployed hosts (their underlay), never on a plan. */
const deployed = (s: Store): boolean => idle(s) && Object.values(s.hostState).some((x) => x === 'up');

export const COMMANDS: readonly Command[] = [
  { id: 'file.new', label: 'New project from a template…', group: 'File', shortcut: 'Mod+Alt+N', run: (env) => { if (guardUnsaved(env, 'new')) env.store.getState().setDialog({ type: 'new' }); } },
  {
    id: 'file.open',
    label: 'Open project…',
    group: 'File',
    shortcut: 'Mod+O',
    run: async (env) => {
      if (!guardUnsaved(env, 'open')) return;
      const dir = await pickFolder(env, 'open');
      if (dir) await openProject(env, dir);
    },
  },
  { id: 'file.save', label: 'Save', group: 'File', shortcut: 'Mod+S', enabled: (s) => hasDoc(s) && isDirty(s), run: (env) => void saveProject(env) },
  {
    id: 'file.saveAs',
    label: 'Save as…',
    group: 'File',
    shortcut: 'Mod+Shift+S',
    enabled: hasDoc,
    run: async (env) => {
      const dir = await pickFolder(env, 'save');
      if (dir) await saveProject(env, { dir });
    },
  },
  { id: 'edit.undo', label: 'Undo', group: 'Edit', shortcut: 'Mod+Z', enabled: (s) => editable(s), run: (env) => env.store.temporal.getState().undo() },
  { id: 'edit.redo', label: 'Redo', group: 'Edit', shortcut: 'Mod+Shift+Z', alsoKeys: ['Mod+Y'], enabled: (s) => editable(s), run: (env) => env.store.temporal.getState().redo() },
  {
    id: 'edit.selectAll',
    label: 'Select all',
    group: 'Edit',
    shortcut: 'Mod+A',
    enabled: hasDoc,
    run: (env) => {
      const t = env.store.getState().topology!;
      env.store.getState().select([...t.hosts.map((h) => h.id), ...t.links.map((l) => l.id)]);
    },
  },
  {
    id: 'edit.delete',
    label: 'Delete selection',
    group: 'Edit',
    shortcut: 'Delete',
    alsoKeys: ['Backspace'],
    enabled: (s) => editable(s) && s.selected.size > 0,
    run: (env) => {
      const s = env.store.getState();
      if (s.edit((t) => remove(t, s.selected))) s.select([]);
    },
  },
  {
    id: 'edit.copy',
    label: 'Copy',
    group: 'Edit',
    shortcut: 'Mod+C',
    enabled: (s) => hasDoc(s) && [...s.selected].some((id) => s.topology!.hosts.some((h) => h.id === id)),
    run: (env) => {
      const s = env.store.getState();
      s.setClipboard(copy(s.topology!, s.selected));
    },
  },
  {
    id: 'edit.paste',
    label: 'Paste',
    group: 'Edit',
    shortcut: 'Mod+V',
    enabled: (s) => editable(s) && !!s.clipboard?.hosts.length,
    run: (env) => {
      const s = env.store.getState();
      let ids: string[] = [];
      if (s.edit((t) => { const r = paste(t, s.clipboard!, { x: 60, y: 60 }); ids = r.ids; return r.topology; })) s.select(ids);
    },
  },
  {
    id: 'edit.duplicate',
    label: 'Duplicate selection',
    group: 'Edit',
    shortcut: 'Mod+D',
    enabled: (s) => editable(s) && s.selected.size > 0,
    run: (env) => {
      const s = env.store.getState();
      let ids: string[] = [];
      if (s.edit((t) => { const r = paste(t, copy(t, s.selected), { x: 60, y: 60 }); ids = r.ids; return r.topology; })) s.select(ids);
    },
  },
  {
    id: 'edit.fitShape',
    label: 'Set the shape the drawing fits',
    group: 'Edit',
    enabled: (s) => editable(s) && fittingShape(s.topology!) !== s.topology!.shape,
    run: (env) => void env.store.getState().edit((t) => ({ ...t, shape: fittingShape(t) })),
  },
  {
    id: 'view.layout',
    label: 'Auto-layout',
    group: 'View',
    shortcut: 'Mod+Shift+L',
    enabled: editable,
    run: async (env) => {
      const t = env.store.getState().topology!;
      const positions = await autoLayout(t);
      if (env.store.getState().topology !== t) return;
      env.store.getState().edit((cur) => ({ ...cur, hosts: cur.hosts.map((h) => (positions.has(h.id) ? { ...h, position: positions.get(h.id)! } : h)) }));
      setTimeout(() => env.store.getState().view?.fit(), 30);
    },
  },
  { id: 'view.fit', label: 'Fit view', group: 'View', shortcut: 'F', alsoKeys: ['Mod+0'], enabled: hasDoc, run: (env) => env.store.getState().view?.fit() },
  { id: 'view.zoomIn', label: 'Zoom in', group: 'View', shortcut: '+', alsoKeys: ['='], enabled: hasDoc, run: (env) => env.store.getState().view?.zoomIn() },
  { id: 'view.zoomOut', label: 'Zoom out', group: 'View', shortcut: '-', enabled: hasDoc, run: (env) => env.store.getState().view?.zoomOut() },
  { id: 'lab.up', label: 'Lab up', group: 'Lab', shortcut: 'Mod+Shift+U', enabled: (s) => idle(s) && labHosts(s), run: (env) => void runLab(env, 'lab.up') },
  { id: 'lab.deploy', label: 'Deploy', group: 'Lab', shortcut: 'Mod+Enter', enabled: idle, run: (env) => void runDeploy(env, 'deploy') },
  { id: 'lab.teardown', label: 'Teardown', group: 'Lab', shortcut: 'Mod+Shift+T', enabled: idle, run: (env) => void runDeploy(env, 'teardown') },
  { id: 'lab.down', label: 'Lab down', group: 'Lab', shortcut: 'Mod+Shift+D', enabled: (s) => idle(s) && labHosts(s), run: (env) => void runLab(env, 'lab.down') },
  { id: 'lab.applyConditions', label: 'Apply conditions (tc only, the tunnels stay)', group: 'Lab', shortcut: 'Mod+Alt+C', enabled: deployed, run: (env) => void applyConditions(env) },
  { id: 'lab.clearConditions', label: 'Clear conditions on the hosts', group: 'Lab', enabled: deployed, run: (env) => void applyConditions(env, { clear: true }) },
  { id: 'lab.readConditions', label: 'Read the conditions in force', group: 'Lab', enabled: (s) => hasDoc(s) && !!s.dir, run: (env) => void readConditions(env) },
  { id: 'results.deployMeasure', label: 'Deploy & measure (quick)', group: 'Results', shortcut: 'Mod+M', enabled: idle, run: (env) => void deployAndMeasure(env) },
  { id: 'results.deployMeasureWith', label: 'Deploy & measure with a suite…', group: 'Results', shortcut: 'Mod+Shift+M', enabled: idle, run: (env) => env.store.getState().setDialog({ type: 'measure', deploy: true }) },
  { id: 'results.measure', label: 'Measure…', group: 'Results', shortcut: 'Mod+Alt+M', enabled: idle, run: (env) => env.store.getState().setDialog({ type: 'measure', deploy: false }) },
  { id: 'results.heatmap', label: 'Heatmap on the drawing', group: 'Results', shortcut: 'H', enabled: (s) => !!s.results, run: (env) => env.store.getState().setHeat({ on: !env.store.getState().heat.on }) },
  { id: 'results.relative', label: 'Relative to the underlay', group: 'Results', shortcut: 'U', enabled: (s) => !!s.results, run: (env) => env.store.getState().setHeat({ relative: !env.store.getState().heat.relative, on: true }) },
  { id: 'results.nextMetric', label: 'Next metric', group: 'Results', shortcut: 'M', enabled: (s) => !!s.results, run: (env) => { const h = env.store.getState().heat; env.store.getState().setHeat({ metric: METRIC_IDS[(METRIC_IDS.indexOf(h.metric) + 1) % METRIC_IDS.length]!, on: true }); } },
  { id: 'results.runs', label: 'Runs and campaigns', group: 'Results', shortcut: 'R', enabled: hasDoc, run: (env) => togglePanel(env, 'runs') },
  { id: 'results.matrix', label: 'All-pairs matrix', group: 'Results', shortcut: 'X', enabled: (s) => !!s.results, run: (env) => togglePanel(env, 'matrix') },
  { id: 'results.charts', label: 'Charts of the run', group: 'Results', shortcut: 'C', enabled: (s) => !!s.results || !!s.campaign, run: (env) => { const s = env.store.getState(); if (s.resultsTab === 'charts') s.showResults(undefined); else s.showResults('charts', s.charts ?? { type: 'run' }); } },
  { id: 'results.advisor', label: 'Advisor: which tunnel for my needs', group: 'Results', shortcut: 'A', enabled: hasDoc, run: (env) => togglePanel(env, 'advisor') },
  { id: 'lab.cancel', label: 'Cancel the running operation', group: 'Lab', shortcut: 'Mod+.', enabled: (s) => !!s.run && !s.run.result, run: (env) => void cancelRun(env) },
  { id: 'help.shortcuts', label: 'Keyboard shortcuts', group: 'Help', shortcut: '?', run: (env) => env.store.getState().setDialog({ type: 'help' }) },
  { id: 'help.palette', label: 'Command palette', group: 'Help', shortcut: 'Mod+K', run: (env) => env.store.getState().setDialog({ type: 'palette' }) },
];

function togglePanel(env: Env, tab: ResultsTab): void {
  const s = env.store.getState();
  s.showResults(s.resultsTab === tab ? undefined : tab);
}

export const commandById = (id: string): Command | undefined => COMMANDS.find((c) => c.id === id);

export const isEnabled = (c: Command, s: Store): boolean => (c.enabled ? c.enabled(s) : true);

/** Runs a command if it is enabled now; a menu's `file.openRecent:<dir>` opens that folder. */
export async function runCommand(env: Env, id: string): Promise<void> {
  if (id.startsWith('file.openRecent:')) {
    const dir = id.slice('file.openRecent:'.length);
    if (guardUnsaved(env, 'open-recent', dir)) await openProject(env, dir);
    return;
  }
  const c = commandById(id);
  if (c && isEnabled(c, env.store.getState())) await c.run(env);
}

const isMac = (): boolean => typeof navigator !== 'undefined' && /Mac/.test(navigator.platform);

/** `Mod+Shift+Z` for a key event, in the registry's notation. */
export function keyOf(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>): string {
  const mod = isMac() ? e.metaKey : e.ctrlKey;
  let key = e.key.length === 1 ? e.key.toUpperCase() : e.key;
  // Shift is part of these characters already.
  const shifted = ['?', '+'].includes(e.key);
  if (e.key === ' ') key = 'Space';
  return [mod ? 'Mod' : '', e.altKey ? 'Alt' : '', e.shiftKey && !shifted ? 'Shift' : '', key].filter(Boolean).join('+');
}

/** The command a key runs, if any. */
export const commandForKey = (key: string): Command | undefined => COMMANDS.find((c) => c.shortcut === key || c.alsoKeys?.includes(key));

/** How a shortcut reads for people: `Ctrl+Shift+Z` (⌘ on a Mac). */
export const shortcutText = (s: string): string => s.replace('Mod', isMac() ? '⌘' : 'Ctrl');
