/**
 * The link conditions a run was measured under, as the views show them: a short badge for the
 * edge ("20 ms ±1 · 0.1 % · 50M"), a sentence for tables, tooltips and the report, where what tc
 * held differs from what was asked, and what changed between two runs. Always from the run's
 * `conditions` record (read back from tc: in force is the truth; asked is shown beside it only
 * where they differ) — never from the project as it stands now, which may have changed since.
 *
 * A link direction's record is what its sender's egress class held (a host uplink's `up` is
 * composed into that class by tc, so it is in the record already); the receiving host's uplink
 * `down` (a lab host's WAN side) is a device of its own and is composed in here.
 */
import { compose, describe, isEmpty, type Condition } from '../conditions.js';
import type { ConditionPair, ConditionsRecord, RunResults } from '../measure/results.js';

const n = (x: number): string => String(Number(x.toPrecision(3)));

/** A rate for a badge: 50M, 500k, 1.5G. */
function rateShort(mbit: number): string {
  if (mbit >= 1000) return `${n(mbit / 1000)}G`;
  if (mbit < 1) return `${n(mbit * 1000)}k`;
  return `${n(mbit)}M`;
}

/**
 * One direction in a few characters, for a badge on an edge: delay (± jitter), loss, the rarer
 * netem figures with a word, rate. '' for none (a perfect wire: no badge).
 */
export function conditionsBadge(c: Condition | undefined): string {
  if (!c || isEmpty(c)) return '';
  const parts: string[] = [];
  if (c.delay || c.jitter) parts.push(`${n(c.delay ?? 0)} ms${c.jitter ? ` ±${n(c.jitter)}` : ''}`);
  if (c.loss) parts.push(`${n(c.loss)} %`);
  if (c.duplicate) parts.push(`dup ${n(c.duplicate)} %`);
  if (c.reorder) parts.push(`reord ${n(c.reorder)} %`);
  if (c.corrupt) parts.push(`corr ${n(c.corrupt)} %`);
  if (c.rate !== undefined) parts.push(rateShort(c.rate));
  return parts.join(' · ');
}

/** Fields that tc holds and reads back (the distribution, the reason and a default queue are not compared). */
const COMPARED = ['delay', 'jitter', 'loss', 'lossCorrelation', 'duplicate', 'reorder', 'corrupt', 'rate'] as const;

/** Whether two directions do the same to packets (to what tc stores: µs, a millionth of a percent or Mbit/s). */
export function sameCondition(a: Condition | undefined, b: Condition | undefined): boolean {
  return COMPARED.every((f) => Math.abs((a?.[f] ?? 0) - (b?.[f] ?? 0)) <= 1e-6 * Math.max(1, Math.abs(a?.[f] ?? 0)));
}

/** Where tc held something else than was asked: "rate 40 Mbit/s asked, 39.9 in force". */
export function conditionMismatch(p: ConditionPair): string[] {
  const unit = { delay: 'ms', jitter: 'ms', loss: '%', lossCorrelation: '%', duplicate: '%', reorder: '%', corrupt: '%', rate: 'Mbit/s' } as const;
  return COMPARED.filter((f) => !sameCondition({ [f]: p.asked[f] }, { [f]: p.inForce[f] })).map((f) => `${f} ${p.asked[f] ?? 0} ${unit[f]} asked, ${p.inForce[f] ?? 0} ${unit[f]} in force`);
}

/** One link of a run as the views show it. */
export interface LinkConditionsPaint {
  readonly linkId: string;
  /** What the a→b and b→a packets met, in force (the receiver's uplink down composed in). */
  readonly aToB: Condition;
  readonly bToA: Condition;
  /** As recorded (the link's own class), asked and in force. */
  readonly record: { readonly aToB: ConditionPair; readonly bToA: ConditionPair };
  /** The edge's badge: one text when both directions agree, else `a→b | b→a`. */
  readonly badge: string;
  /** Per direction, for the two halves of an edge: [a→b, b→a]. */
  readonly halves: readonly [string, string];
  /** For tables and the report: "40 Mbit/s each way", or each direction named. */
  readonly text: string;
  /** The same, with the hosts' names ("a → b: …; b → a: …"). */
  readonly details: readonly string[];
  /** Where tc held other figures than asked (each a sentence); empty when they agree. */
  readonly mismatch: readonly string[];
}

const NONE: ConditionPair = { asked: {}, inForce: {} };

/** A run's conditions per link id (links measured under none are absent). */
export function runConditions(r: RunResults): ReadonlyMap<string, LinkConditionsPaint> {
  const out = new Map<string, LinkConditionsPaint>();
  const rec: ConditionsRecord | undefined = r.conditions;
  if (!rec) return out;
  const down = new Map(rec.uplinks.map((u) => [u.hostId, u.down]));
  const byId = new Map(rec.links.map((l) => [l.linkId, l]));
  for (const l of r.links) {
    const x = byId.get(l.id);
    const toB = down.get(l.hostIds.b);
    const toA = down.get(l.hostIds.a);
    if (!x && !toA && !toB) continue;
    const record = { aToB: x?.aToB ?? NONE, bToA: x?.bToA ?? NONE };
    const aToB = toB ? compose(record.aToB.inForce, toB.inForce) : record.aToB.inForce;
    const bToA = toA ? compose(record.bToA.inForce, toA.inForce) : record.bToA.inForce;
    if (isEmpty(aToB) && isEmpty(bToA) && !conditionMismatch(record.aToB).length && !conditionMismatch(record.bToA).length) continue;
    const same = sameCondition(aToB, bToA);
    const halves = [conditionsBadge(aToB) || 'none', conditionsBadge(bToA) || 'none'] as const;
    const mismatch = [...conditionMismatch(record.aToB).map((m) => `${l.a} → ${l.b}: ${m}`), ...conditionMismatch(record.bToA).map((m) => `${l.b} → ${l.a}: ${m}`), ...[toB, toA].flatMap((u, i) => (u ? conditionMismatch(u).map((m) => `${i === 0 ? l.b : l.a}'s uplink down: ${m}`) : []))];
    out.set(l.id, {
      linkId: l.id,
      aToB,
      bToA,
      record,
      badge: same ? halves[0] : `${halves[0]} | ${halves[1]}`,
      halves,
      text: same ? (isEmpty(aToB) ? 'none' : `${describe(aToB)} each way`) : `a → b ${describe(aToB)}; b → a ${describe(bToA)}`,
      details: [`${l.a} → ${l.b}: ${describe(aToB)}`, `${l.b} → ${l.a}: ${describe(bToA)}`],
      mismatch,
    });
  }
  return out;
}

/** What a link's conditions were, for a comparison: "none", "40 Mbit/s" (each way), or both directions. */
export function linkConditionsText(p: LinkConditionsPaint | undefined): string {
  if (!p) return 'none';
  return sameCondition(p.aToB, p.bToA) ? describe(p.aToB) : `${describe(p.aToB)} a→b, ${describe(p.bToA)} b→a`;
}

/** What changed in a link's conditions between two runs (`conditions none → 20 ms, 1 % loss`), or undefined. */
export function conditionsChange(before: LinkConditionsPaint | undefined, after: LinkConditionsPaint | undefined): string | undefined {
  const same = sameCondition(before?.aToB, after?.aToB) && sameCondition(before?.bToA, after?.bToA);
  return same ? undefined : `conditions ${linkConditionsText(before)} → ${linkConditionsText(after)}`;
}

/**
 * A run's conditions in one phrase (run lists, chart series, the comparison's header): "none",
 * the one text every link shares, or "per link (N of M links)".
 */
export function runConditionsText(r: RunResults): string {
  const all = runConditions(r);
  if (all.size === 0) return 'none';
  const texts = new Set(r.links.map((l) => linkConditionsText(all.get(l.id))));
  return texts.size === 1 ? [...texts][0]! : `per link (${all.size} of ${r.links.length} links)`;
}
