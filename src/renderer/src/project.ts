/** Loading a project into the store: open it, then ask the engine for its plan. */
import type { OverlabClient } from '../../shared/api';
import type { Diagnostic } from '../../shared/diagnostics';
import type { Plan } from '../../shared/plan';
import { useStore, type PlannedLink } from './store';

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** What the canvas and the side panel show of each planned link, by link id. */
function plannedLinks(plan: Plan | undefined): Map<string, PlannedLink> | undefined {
  if (!plan) return undefined;
  return new Map(plan.links.map((l) => [l.id, { id: l.id, mtu: l.mtu, mss: l.mss, overheadBytes: l.overheadBytes, mtuSource: l.mtuSource }]));
}

export async function loadProject(client: OverlabClient, dir: string): Promise<void> {
  const { setBusy, setProject, setPlan, setError } = useStore.getState();
  setBusy(true);
  try {
    const snap = await client['project.open']({ dir });
    setProject(snap);
    if (snap.topology) {
      const p = await client['plan.compute']({ dir });
      // Validation problems are already in the snapshot; keep only what planning adds.
      const seen = new Set(snap.diagnostics.map((d) => `${d.code} ${d.path} ${d.message}`));
      const extra: Diagnostic[] = p.diagnostics.filter((d) => !seen.has(`${d.code} ${d.path} ${d.message}`));
      setPlan(plannedLinks(p.plan), extra);
    }
  } catch (e) {
    setError(message(e));
  } finally {
    setBusy(false);
  }
}

export async function loadKinds(client: OverlabClient): Promise<void> {
  try {
    useStore.getState().setKinds(await client['kinds.list']({}));
  } catch {
    // Kind labels are a nicety (tooltips); the ids are shown regardless.
  }
}
