/**
 * The renderer's store is combined from slices, each with its own initial state: opening a
 * project resets every project-bound slice (selection, runs, results, conditions in force) to
 * what a fresh store has — no field forgotten in a hand-written list — and undo records the
 * document alone, whatever else changes.
 */
import { describe, expect, it } from 'vitest';
import { addHost, updateLink } from '../../src/shared/edit.js';
import type { ConditionsApplyResult, ConditionsState } from '../../src/shared/api.js';
import type { RunResults } from '../../src/shared/measure/results.js';
import { makeTemplate } from '../../src/shared/templates.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';
import { createOverlabStore, loadDocument, type Store } from '../../src/renderer/src/store/index.js';
import { conditionsInitial } from '../../src/renderer/src/store/conditions.js';
import { deployInitial } from '../../src/renderer/src/store/deploy.js';
import { resultsInitial } from '../../src/renderer/src/store/results.js';
import { selectionInitial } from '../../src/renderer/src/store/selection.js';

const topo = () => makeTemplate({ template: 'site-to-site', hosts: 2, kind: 'wireguard' }, defaultRegistry).value!;
const run = { runId: 'r1', lean: false } as unknown as RunResults;
const inForce: ConditionsState = { links: [], uplinks: [], capability: [{ host: 'a', netem: 'no', htb: 'yes' }], unread: [] };
const applied: ConditionsApplyResult = { ok: false, hosts: [{ host: 'a', status: 'failed', error: 'no netem' }], durationMs: 5 };

/** Every state field of a slice (functions are its actions), as a plain record. */
const fields = (s: Store, keys: readonly string[]): Record<string, unknown> => Object.fromEntries(keys.map((k) => [k, (s as unknown as Record<string, unknown>)[k]]));

/** Sets something in every field of every project-bound slice. */
function dirtyEverything(s: ReturnType<typeof createOverlabStore>): void {
  const st = s.getState();
  st.select(['x', 'y']);
  st.startRun('r9', 'measure', 'Measure');
  st.endRun(true, 'done', { ok: true } as never);
  st.setHostStates({ h1: 'up' }, new Set(['l1']));
  s.setState({ preflightMissing: { a: ['wireguard-tools'] } });
  st.setRuns([{ runId: 'r1' } as never], [{ id: 'c1' } as never]);
  st.paint(run);
  st.setCompare(run);
  s.setState({ campaign: { file: {} as never, analysis: {} as never, runs: {} } });
  st.setHeat({ metric: 'throughput-tcp' as never, at: 5 });
  st.setHighlight(['l1']);
  st.showResults('charts', { type: 'run' });
  st.setInForce(inForce, 'host b did not answer');
  st.setApplied(applied);
}

describe('store slices', () => {
  it('load() resets every project-bound slice to its initial state (a run in progress keeps its panel)', () => {
    const s = createOverlabStore();
    loadDocument(s, '/p1', topo(), 'r0', 4, []);
    dirtyEverything(s);
    // Each of these checks can fail: every field differs from its initial value now.
    for (const [initial, except] of [[selectionInitial(), []], [deployInitial(), ['run']], [resultsInitial(), ['heat']], [conditionsInitial(), []]] as const) {
      const keys = Object.keys(initial).filter((k) => !(except as readonly string[]).includes(k));
      for (const k of keys) expect(fields(s.getState(), [k]), `${k} was set before load`).not.toEqual({ [k]: (initial as Record<string, unknown>)[k] });
    }
    const t2 = topo();
    loadDocument(s, '/p2', t2, 'r1', 4, []);
    const now = s.getState();
    expect(fields(now, Object.keys(selectionInitial()))).toEqual(selectionInitial());
    expect(fields(now, Object.keys(deployInitial()).filter((k) => k !== 'run'))).toEqual(Object.fromEntries(Object.entries(deployInitial()).filter(([k]) => k !== 'run')));
    expect(now.run?.runId).toBe('r9');
    expect(fields(now, Object.keys(conditionsInitial()))).toEqual(conditionsInitial());
    const { heat: _h, ...restInitial } = resultsInitial();
    expect(fields(now, Object.keys(restInitial))).toEqual(restInitial);
    // The heatmap's settings are the person's; only "painted" and the replay moment are the project's.
    expect(now.heat).toMatchObject({ on: false, at: undefined, metric: 'throughput-tcp' });
    expect(now).toMatchObject({ dir: '/p2', topology: t2, saved: t2, revision: 'r1' });
  });

  it('records the document only: conditions in force, results, runs and selection are not undo steps', () => {
    const s = createOverlabStore();
    loadDocument(s, '/p', topo(), 'r0', 4, []);
    const before = s.getState().topology!;
    s.getState().edit((t) => updateLink(t, t.links[0]!.id, { conditions: { preset: 'constrained-uplink' } } as never));
    const after = s.getState().topology!;
    expect(after.links[0]!.conditions).toEqual({ preset: 'constrained-uplink' });
    dirtyEverything(s);
    s.getState().edit((t) => addHost(t, { role: 'peer', position: { x: 0, y: 0 } }).topology);
    const past = s.temporal.getState().pastStates;
    expect(past).toHaveLength(2);
    for (const p of past) expect(Object.keys(p)).toEqual(['topology']);
    s.temporal.getState().undo();
    s.temporal.getState().undo();
    expect(s.getState().topology).toBe(before);
    // What the hosts said stays: undo rewinds the file, not the world.
    expect(s.getState().inForce).toBe(inForce);
    expect(s.getState().lastApply).toBe(applied);
    expect(s.getState().results).toBe(run);
    expect(s.getState().selected.has('x')).toBe(true);
  });
});
