/**
 * Measure (or Deploy & measure) with a suite picked: quick, the paper's, the project's plan or a
 * suite declared in overlab.yaml, with its description and tests, a duration and repetitions
 * that override the suite's, and the time it should take on this drawing.
 */
import { useMemo, useState } from 'react';
import { BUILTIN_SUITES, resolveSuite, testName, testSeconds } from '../../../shared/measure/suites';
import { toolOf } from '../../../shared/measure/tools';
import type { Env } from '../actions';
import { useChecked } from '../checker';
import { Modal } from '../panels/Modal';
import { store, useStore } from '../store/hooks';
import { deployAndMeasure, measure } from './actions';

const close = (): void => store.getState().setDialog(undefined);

export function MeasureDialog({ env, deploy }: { env: Env; deploy: boolean }) {
  const topology = useStore((s) => s.topology);
  const [suite, setSuite] = useState('quick');
  const [duration, setDuration] = useState('');
  const [repeat, setRepeat] = useState('');
  const names = useMemo(() => [...BUILTIN_SUITES, ...Object.keys(topology?.measurement.suites ?? {})], [topology]);
  const checked = useChecked(topology);
  if (!topology) return null;
  const d = duration ? Number(duration) : undefined;
  const r = repeat ? Number(repeat) : undefined;
  const badDuration = d !== undefined && !(Number.isInteger(d) && d >= 1 && d <= 3600);
  const badRepeat = r !== undefined && !(Number.isInteger(r) && r >= 1 && r <= 100);
  const resolved = resolveSuite(suite, topology.measurement, { ...(d && !badDuration ? { duration: d } : {}), ...(r && !badRepeat ? { repeat: r } : {}) });
  const links = checked?.plan?.links.length ?? topology.links.length;
  // Each link's tunnel and its underlay baseline, every test, every repetition (rounds overlap on meshes: an upper bound).
  const seconds = typeof resolved === 'string' ? 0 : resolved.tests.reduce((n, t) => n + testSeconds(t) * (toolOf(t).mode === 'pair' ? 2 : 1), 0) * resolved.repeat * links * (resolved.baseline ? 2 : 1);
  const go = (): void => {
    close();
    const choice = { suite, ...(d ? { duration: d } : {}), ...(r ? { repeat: r } : {}) };
    void (deploy ? deployAndMeasure(env, choice) : measure(env, choice));
  };
  const invalid = typeof resolved === 'string' || badDuration || badRepeat;
  return (
    <Modal
      title={deploy ? 'Deploy & measure' : 'Measure'}
      onClose={close}
      footer={<div className="buttons"><button type="button" onClick={close}>Cancel</button><button type="button" className="primary" disabled={invalid} onClick={go}>{deploy ? 'Deploy & measure' : 'Measure'}</button></div>}
    >
      <form className="form" onSubmit={(e) => { e.preventDefault(); if (!invalid) go(); }}>
        <label>Suite
          <select aria-label="Suite" value={suite} onChange={(e) => setSuite(e.target.value)}>
            {names.map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
        </label>
        {typeof resolved === 'string' ? <p className="field-error" role="alert">{resolved}</p> : (
          <div className="suite-info">
            {resolved.description ? <p>{resolved.description}</p> : null}
            <p className="muted">Tests: {resolved.tests.map(testName).join(', ')}{resolved.baseline ? '; each link also across the underlay (the baseline)' : ''}{resolved.lan ? '; LAN to LAN where routed' : ''}.</p>
          </div>
        )}
        <label>Duration of each test, s <span className="muted">(blank: the suite&apos;s)</span>
          <input aria-label="Duration" inputMode="numeric" value={duration} placeholder="suite's" onChange={(e) => setDuration(e.target.value.trim())} aria-invalid={badDuration} />
        </label>
        {badDuration ? <p className="field-error">Duration: a whole number of seconds from 1 to 3600.</p> : null}
        <label>Repetitions <span className="muted">(blank: the suite&apos;s)</span>
          <input aria-label="Repetitions" inputMode="numeric" value={repeat} placeholder="suite's" onChange={(e) => setRepeat(e.target.value.trim())} aria-invalid={badRepeat} />
        </label>
        {badRepeat ? <p className="field-error">Repetitions: a whole number from 1 to 100.</p> : null}
        {seconds ? <p className="muted">About {seconds < 90 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`} of tests on {links} link{links === 1 ? '' : 's'} at most (a mesh runs tests of disjoint hosts side by side).</p> : null}
      </form>
    </Modal>
  );
}
