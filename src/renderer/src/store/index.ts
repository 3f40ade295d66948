/**
 * The UI's state: one zustand store combined from slices (zustand's slices pattern) — the
 * document (document.ts: the only thing undo records), the selection, the UI around it (ui.ts:
 * dialogs, messages, what the engine can do), the runs on the hosts (deploy.ts), the results
 * (results.ts) and the link conditions in force (conditions.ts). Each slice owns its fields, its
 * initial state and what it becomes when another project opens; the middleware (zundo's
 * `temporal`, over the document only) is applied once, here. Components select narrowly (see
 * hooks.ts); edits go through `edit`, which refuses while a run has the hosts (editing is
 * locked). Vanilla (no React here): the history tests drive it under Node.
 */
import { temporal } from 'zundo';
import { createStore } from 'zustand/vanilla';
import type { Diagnostic } from '../../../shared/diagnostics.js';
import type { Topology } from '../../../shared/schema.js';
import { createConditionsSlice, resetConditions } from './conditions.js';
import { createDeploySlice, resetDeploy } from './deploy.js';
import { createDocumentSlice } from './document.js';
import { createResultsSlice, resetResults } from './results.js';
import { createSelectionSlice, resetSelection } from './selection.js';
import type { Reset, Store } from './types.js';
import { createUiSlice } from './ui.js';

export type { ConditionsSlice, ConditionsSliceState } from './conditions.js';
export { lockReason, type ActiveRun, type DeploySlice, type DeployState, type HostProgress, type HostState } from './deploy.js';
export { isDirty, type DocumentSlice, type DocumentState } from './document.js';
export { DEFAULT_HEAT, type CampaignListing, type ChartsSubject, type HeatSettings, type ResultsSlice, type ResultsState, type ResultsTab } from './results.js';
export type { SelectionSlice, SelectionState } from './selection.js';
export type { Store } from './types.js';
export type { Dialog, HostKeyRetry, UiSlice, UiState } from './ui.js';

/** How many edits undo keeps. */
export const HISTORY_LIMIT = 200;

/**
 * What each project-bound slice becomes when a project is opened. The UI slice is the window's
 * (dialogs, the clipboard, the kinds the engine can carry) and the document is set from the file.
 */
export const PROJECT_RESETS: readonly Reset<object>[] = [resetSelection, resetDeploy, resetResults, resetConditions];

/** The project's slices: load() replaces the document and resets each of them (see loadDocument for the history). */
interface ProjectActions {
  /** A project as the engine read it: the document, a clean history, nothing selected, no runs or results of another project. */
  load(dir: string, topology: Topology | undefined, revision: string | undefined, fromVersion: number | undefined, diagnostics: readonly Diagnostic[]): void;
}

export function createOverlabStore() {
  return createStore<Store & ProjectActions>()(
    temporal(
      (...a) => {
        const [set, get] = a;
        return {
          ...createDocumentSlice(...a),
          ...createSelectionSlice(...a),
          ...createUiSlice(...a),
          ...createDeploySlice(...a),
          ...createResultsSlice(...a),
          ...createConditionsSlice(...a),
          load: (dir, topology, revision, fromVersion, diagnostics) => {
            const now = get();
            set(Object.assign({ dir, topology, saved: topology, revision, fromVersion, loadDiagnostics: diagnostics }, ...PROJECT_RESETS.map((r) => r(now))));
          },
        };
      },
      {
        // Undo records the document only, never the selection, the dialogs, the runs or what is in force.
        partialize: (s) => ({ topology: s.topology }),
        equality: (a, b) => a.topology === b.topology,
        limit: HISTORY_LIMIT,
      },
    ),
  );
}

export type OverlabStore = ReturnType<typeof createOverlabStore>;

/** Opens a document: the project's state, and a history that starts here (nothing to undo). */
export function loadDocument(store: OverlabStore, dir: string, topology: Topology | undefined, revision: string | undefined, fromVersion: number | undefined, diagnostics: readonly Diagnostic[]): void {
  store.getState().load(dir, topology, revision, fromVersion, diagnostics);
  store.temporal.getState().clear();
}
