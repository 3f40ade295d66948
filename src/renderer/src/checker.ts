/**
 * The check (problems, plan, severities) of the document as the UI shows it. Small documents are
 * checked on the page's thread when asked (a few milliseconds). Large ones go to a worker: the UI
 * keeps showing the last finished check (of an earlier version, or none yet) and re-renders when
 * the newer one lands, so a 1,000-host drawing appears before its plan, and typing in the
 * inspector of a 200-host mesh does not freeze the page for a second per keystroke. Where
 * workers cannot start (or one fails), the check runs on the page's thread, as for small ones.
 */
import { useSyncExternalStore } from 'react';
import type { Topology } from '../../shared/schema';
import { check, onlyMoved, type Checked } from './derived';

/** Hosts + links above which a document is checked in the worker. */
export const WORKER_CHECK = 400;

type Reply = { seq: number; checked: Checked } | { seq: number; failed: string };

let worker: Worker | undefined;
let broken = typeof Worker === 'undefined';
/** The newest finished check of a large document, and the version it is of. */
let done: { topology: Topology; checked: Checked } | undefined;
/** The version the worker is checking, and the newest one asked for meanwhile. */
let running: { seq: number; topology: Topology } | undefined;
let queued: Topology | undefined;
let seq = 0;
let version = 0;
const listeners = new Set<() => void>();

function changed(): void {
  version++;
  for (const l of listeners) l();
}

function giveUp(): void {
  broken = true;
  worker?.terminate();
  worker = undefined;
  running = undefined;
  queued = undefined;
  changed();
}

function start(topology: Topology): void {
  if (!worker) {
    try {
      worker = new Worker(new URL('./check.worker.ts', import.meta.url), { type: 'module', name: 'check' });
    } catch {
      giveUp();
      return;
    }
    worker.addEventListener('message', (e: MessageEvent<Reply>) => {
      if (!running || e.data.seq !== running.seq) return;
      if ('failed' in e.data) {
        giveUp();
        return;
      }
      done = { topology: running.topology, checked: e.data.checked };
      running = undefined;
      const next = queued;
      queued = undefined;
      if (next && next !== done.topology) start(next);
      changed();
    });
    worker.addEventListener('error', giveUp);
    worker.addEventListener('messageerror', giveUp);
  }
  running = { seq: ++seq, topology };
  worker.postMessage({ seq: running.seq, topology });
}

/** The check to show for `t` now: its own, or the last finished one while its own is on the way. */
export function checkedNow(t: Topology): Checked | undefined {
  if (broken || t.hosts.length + t.links.length <= WORKER_CHECK) return check(t);
  if (done && done.topology !== t && onlyMoved(done.topology, t)) done = { topology: t, checked: done.checked };
  if (done?.topology === t) return done.checked;
  if (running?.topology === t || queued === t) return done?.checked;
  if (running) queued = t;
  else start(t);
  return done?.checked;
}

const subscribe = (l: () => void): (() => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};

/** checkedNow, re-rendering the component when a newer check lands. */
export function useChecked(t: Topology | undefined): Checked | undefined {
  useSyncExternalStore(subscribe, () => version);
  return t ? checkedNow(t) : undefined;
}
