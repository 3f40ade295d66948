/** What is selected on the drawing (hosts and links by id). Not recorded by undo. */
import type { Reset, Slice } from './types.js';

export interface SelectionState {
  selected: ReadonlySet<string>;
}
export interface SelectionSlice extends SelectionState {
  select(ids: Iterable<string>): void;
}

export const selectionInitial = (): SelectionState => ({ selected: new Set() });
export const resetSelection: Reset<SelectionState> = () => selectionInitial();

export const createSelectionSlice: Slice<SelectionSlice> = (set) => ({
  ...selectionInitial(),
  select: (ids) => set({ selected: new Set(ids) }),
});
