/**
 * The Advisor tab of the results panel: the needs as form controls (every one reachable by
 * keyboard, labelled), asked again of the engine (`advise.get`) on each change; the answer as
 * AdviceTable shows it, or why there is none.
 */
import { useEffect, useState } from 'react';
import { DEFAULT_NEEDS, type Advice, type Needs } from '../../../shared/advise/index';
import { message, type Env } from '../actions';
import { useStore } from '../store/hooks';
import { AdviceTable } from './AdviceTable';

const optionalInt = (v: string): number | undefined => (v.trim() === '' ? undefined : Number(v));

export function AdvisorTab({ env }: { env: Env }) {
  const dir = useStore((s) => s.dir);
  // A new run or campaign asks again.
  const runs = useStore((s) => s.runs.length + s.campaigns.length);
  const [needs, setNeeds] = useState<Needs>(DEFAULT_NEEDS);
  // The answer names the question it answers: while it is not the current one, a new answer is on its way.
  const [answer, setAnswer] = useState<{ for: string; advice?: Advice; error?: string }>({ for: '' });
  const question = JSON.stringify({ dir, needs, runs });
  useEffect(() => {
    if (!env.client || !dir) return;
    let live = true;
    env.client['advise.get']({ dir, needs, probe: true }).then(
      (advice) => live && setAnswer({ for: question, advice }),
      (e: unknown) => live && setAnswer({ for: question, error: message(e) }),
    );
    return () => {
      live = false;
    };
  }, [env, dir, needs, question]);
  const loading = answer.for !== question;
  const set = (patch: Partial<Needs>): void => setNeeds((n) => {
    const next: Record<string, unknown> = { ...n, ...patch };
    for (const k of Object.keys(next)) if (next[k] === undefined || Number.isNaN(next[k])) delete next[k];
    return next as unknown as Needs;
  });
  return (
    <div className="advisor-tab">
      <form className="advisor-needs" aria-label="Needs" onSubmit={(e) => e.preventDefault()}>
        <label><input type="checkbox" checked={needs.encrypted} onChange={(e) => set({ encrypted: e.target.checked })} /> Encryption required</label>
        <label>Layer <select value={needs.layer} onChange={(e) => set({ layer: e.target.value as Needs['layer'] })}><option value="any">L2 or L3</option><option value="L2">L2</option><option value="L3">L3</option></select></label>
        <label><input type="checkbox" checked={needs.nat} onChange={(e) => set({ nat: e.target.checked })} /> Crosses a NAT</label>
        <label>Min inner MTU <input type="number" min={68} max={65535} placeholder="any" value={needs.minMtu ?? ''} onChange={(e) => set({ minMtu: optionalInt(e.target.value) })} /></label>
        <label>Priority <select value={needs.priority} onChange={(e) => set({ priority: e.target.value as Needs['priority'] })}><option value="balanced">balanced</option><option value="latency">latency-sensitive</option><option value="bulk">bulk</option></select></label>
        <label>CPU budget % <input type="number" min={0} max={100} placeholder="any" value={needs.cpuBudget ?? ''} onChange={(e) => set({ cpuBudget: optionalInt(e.target.value) })} /></label>
        {loading ? <span className="muted" role="status">Ranking…</span> : null}
      </form>
      {answer.error ? <p role="alert" className="error">The advisor could not answer: {answer.error}</p> : answer.advice ? <AdviceTable advice={answer.advice} /> : null}
    </div>
  );
}
