/** The app's one store, and hooks that read it narrowly (a component re-renders only when its slice changes). */
import type { TemporalState } from 'zundo';
import { useStore as useZustand } from 'zustand';
import type { Topology } from '../../../shared/schema';
import { createOverlabStore, type Store } from './index.js';

export const store = createOverlabStore();

export function useStore<T>(selector: (s: Store) => T): T {
  return useZustand(store, selector);
}

export function useHistory<T>(selector: (s: TemporalState<{ topology?: Topology }>) => T): T {
  return useZustand(store.temporal, selector);
}
