/** One zustand store in slices; components select narrowly. */
import { create } from 'zustand';
import type { ProjectSnapshot } from '../../../shared/api';

interface ProjectSlice {
  project?: ProjectSnapshot;
  busy: boolean;
  error?: string;
  setProject(p: ProjectSnapshot): void;
  setBusy(b: boolean): void;
  setError(e?: string): void;
}

export const useStore = create<ProjectSlice>()((set) => ({
  busy: false,
  setProject: (project) => set({ project, error: undefined }),
  setBusy: (busy) => set({ busy }),
  setError: (error) => set({ error }),
}));
