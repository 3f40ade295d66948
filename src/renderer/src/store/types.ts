/**
 * How the slices see the whole store: each slice's creator gets `set`/`get` over all of it (a
 * deploy's progress looks up host ids in the document), but owns only its own fields.
 */
import type { StateCreator } from 'zustand/vanilla';
import type { ConditionsSlice } from './conditions.js';
import type { DeploySlice } from './deploy.js';
import type { DocumentSlice } from './document.js';
import type { ResultsSlice } from './results.js';
import type { SelectionSlice } from './selection.js';
import type { UiSlice } from './ui.js';

export type Store = DocumentSlice & SelectionSlice & UiSlice & DeploySlice & ResultsSlice & ConditionsSlice;

/** A slice's creator (zustand's slices pattern: the middleware is applied once, where they are combined). */
export type Slice<T> = StateCreator<Store, [], [], T>;

/**
 * What a slice becomes when another project is opened, from the store as it was (the results
 * slice keeps the person's heatmap settings). Only state, never actions.
 */
export type Reset<T> = (s: Store) => T;
