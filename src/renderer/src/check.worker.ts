/**
 * Checks large documents off the page's thread (see checker.ts): the validator and the plan of a
 * 200-host full mesh take 1–2 s, which on the page's thread would freeze the drawing each time.
 */
import './zod-config';
import type { Topology } from '../../shared/schema';
import { computeChecked } from './derived';

addEventListener('message', (e: MessageEvent<{ seq: number; topology: Topology }>) => {
  const { seq, topology } = e.data;
  try {
    postMessage({ seq, checked: computeChecked(topology) });
  } catch (err) {
    postMessage({ seq, failed: err instanceof Error ? err.message : String(err) });
  }
});
