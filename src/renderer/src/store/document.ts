/** The document: the only slice undo records (zundo's `partialize` keeps `topology` alone). */
import type { Diagnostic } from '../../../shared/diagnostics.js';
import type { Topology } from '../../../shared/schema.js';
import { lockReason } from './deploy.js';
import type { Slice } from './types.js';

export interface DocumentState {
  dir?: string;
  topology?: Topology;
  /** The file's revision when it was opened or saved (a save checks the file still has it). */
  revision?: string;
  /** The topology as last opened or saved: the document is dirty when it is another object. */
  saved?: Topology;
  fromVersion?: number;
  /** Why the file did not load, when it did not. */
  loadDiagnostics: readonly Diagnostic[];
}

export interface DocumentActions {
  /** Marks the current document as saved (at `revision`, maybe in another folder). */
  markSaved(dir: string, topology: Topology, revision: string | undefined): void;
  /** One undoable step; refused (with a notice) while a run holds the hosts. */
  edit(fn: (t: Topology) => Topology | string): boolean;
}

export type DocumentSlice = DocumentState & DocumentActions;

export const documentInitial = (): DocumentState => ({ dir: undefined, topology: undefined, revision: undefined, saved: undefined, fromVersion: undefined, loadDiagnostics: [] });

export const isDirty = (s: Pick<DocumentState, 'topology' | 'saved'>): boolean => !!s.topology && s.topology !== s.saved;

export const createDocumentSlice: Slice<DocumentSlice> = (set, get) => ({
  ...documentInitial(),
  markSaved: (dir, topology, revision) => set({ dir, saved: topology, topology, revision }),
  edit: (fn) => {
    const s = get();
    const why = lockReason(s);
    if (why) {
      set({ notice: { kind: 'info', text: why } });
      return false;
    }
    if (!s.topology) return false;
    const next = fn(s.topology);
    if (typeof next === 'string') {
      set({ notice: { kind: 'error', text: next } });
      return false;
    }
    if (next === s.topology) return true;
    set({ topology: next });
    return true;
  },
});
