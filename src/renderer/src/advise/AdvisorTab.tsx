/**
 * The Advisor tab of the results panel: the needs as form controls (every one reachable by
 * keyboard, labelled). They are the document's `advice` section: changing one is an edit of the
 * document (one undo step, saved with the project), and the engine (`advise.get`) is asked again
 * with the needs the document now states; the answer as AdviceTable shows it, or why there is none.
 */
import { useEffect, useState } from 'react';
import { neededFor, type Advice } from '../../../shared/advise/index';
import { setNeeds } from '../../../shared/edit';
import type { StatedNeeds } from '../../../shared/schema';
import { message, type Env } from '../actions';
import { TextInput } from '../panels/fields';
import { store, useStore } from '../store/hooks';
import { AdviceTable } from './AdviceTable';

/** A number field's text as a need: empty is "any" (the need removed), anything else is checked by the schema. */
const optionalNumber = (v: string): number | string | undefined => (v.trim() === '' ? undefined : Number.isFinite(Number(v)) ? Number(v) : v);

const change = (patch: { readonly [K in keyof StatedNeeds]?: unknown }): void => void store.getState().edit((t) => setNeeds(t, patch));

export function AdvisorTab({ env }: { env: Env }) {
  const dir = useStore((s) => s.dir);
  const stated = useStore((s) => s.topology?.advice);
  // A new run or campaign asks again.
  const runs = useStore((s) => s.runs.length + s.campaigns.length);
  const { needs } = neededFor(stated, undefined);
  // The answer names the question it answers: while it is not the current one, a new answer is on its way.
  const [answer, setAnswer] = useState<{ for: string; advice?: Advice; error?: string }>({ for: '' });
  const question = JSON.stringify({ dir, stated: stated ?? {}, runs });
  useEffect(() => {
    if (!env.client || !dir) return;
    let live = true;
    env.client['advise.get']({ dir, stated: stated ?? {}, probe: true }).then(
      (advice) => live && setAnswer({ for: question, advice }),
      (e: unknown) => live && setAnswer({ for: question, error: message(e) }),
    );
    return () => {
      live = false;
    };
  }, [env, dir, stated, question]);
  const loading = answer.for !== question;
  return (
    <div className="advisor-tab">
      <form className="advisor-needs" aria-label="Needs" onSubmit={(e) => e.preventDefault()}>
        <label><input type="checkbox" checked={needs.encrypted} onChange={(e) => change({ encrypted: e.target.checked })} /> Encryption required</label>
        <label>Layer <select value={needs.layer} onChange={(e) => change({ layer: e.target.value })}><option value="any">L2 or L3</option><option value="L2">L2</option><option value="L3">L3</option></select></label>
        <label><input type="checkbox" checked={needs.nat} onChange={(e) => change({ nat: e.target.checked })} /> Crosses a NAT</label>
        <label>Min inner MTU <TextInput label="Min inner MTU" type="number" placeholder="any" value={needs.minMtu === undefined ? '' : String(needs.minMtu)} onCommit={(v) => change({ minMtu: optionalNumber(v) })} /></label>
        <label>Priority <select value={needs.priority} onChange={(e) => change({ priority: e.target.value })}><option value="balanced">balanced</option><option value="latency">latency-sensitive</option><option value="bulk">bulk</option></select></label>
        <label>CPU budget % <TextInput label="CPU budget %" type="number" placeholder="any" value={needs.cpuBudget === undefined ? '' : String(needs.cpuBudget)} onCommit={(v) => change({ cpuBudget: optionalNumber(v) })} /></label>
        {loading ? <span className="muted" role="status">Ranking…</span> : null}
      </form>
      <p className="muted small">The needs are the project&apos;s (the advice section of overlab.yaml): a change is an edit of the document — undo with Ctrl+Z, keep with Ctrl+S.</p>
      {answer.error ? <p role="alert" className="error">The advisor could not answer: {answer.error}</p> : answer.advice ? <AdviceTable advice={answer.advice} /> : null}
    </div>
  );
}
