/** One zustand store in slices; components select narrowly. */
import { create } from 'zustand';
import type { KindInfo, ProjectSnapshot } from '../../../shared/api';
import type { Diagnostic } from '../../../shared/diagnostics';

/** What the UI shows of a planned link (the plan itself stays in the engine). */
export interface PlannedLink {
  /** The link's id. */
  readonly id: string;
  readonly mtu: number;
  readonly mss: number;
  readonly overheadBytes: number;
  readonly mtuSource: 'computed' | 'override';
}

interface ProjectSlice {
  project?: ProjectSnapshot;
  /** By link id; absent until `plan.compute` answers, or when the project does not plan. */
  planned?: ReadonlyMap<string, PlannedLink>;
  planDiagnostics: readonly Diagnostic[];
  kinds: readonly KindInfo[];
  busy: boolean;
  error?: string;
  setProject(p: ProjectSnapshot): void;
  setPlan(planned: ReadonlyMap<string, PlannedLink> | undefined, diagnostics: readonly Diagnostic[]): void;
  setKinds(kinds: readonly KindInfo[]): void;
  setBusy(b: boolean): void;
  setError(e?: string): void;
}

interface ActivitySlice {
  /** The last progress or log event from the engine, for the status line. */
  activity?: string;
  setActivity(line: string): void;
}

export const useStore = create<ProjectSlice & ActivitySlice>()((set) => ({
  busy: false,
  planDiagnostics: [],
  kinds: [],
  setProject: (project) => set({ project, planned: undefined, planDiagnostics: [], error: undefined }),
  setPlan: (planned, planDiagnostics) => set({ planned, planDiagnostics }),
  setKinds: (kinds) => set({ kinds }),
  setBusy: (busy) => set({ busy }),
  setError: (error) => set({ error }),
  setActivity: (activity) => set({ activity }),
}));
