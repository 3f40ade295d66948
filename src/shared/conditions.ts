/**
 * Link conditions: what the underlay does to packets between two hosts — delay, jitter, loss,
 * duplication, reordering, corruption (netem) and rate (htb) — per direction, so that every
 * tunnel kind is measured over the same impaired path, encapsulation and crypto included.
 *
 * In the project file (schema version 4):
 *
 *   links[i].conditions: { preset?, both?, aToB?, bToA? }   a→b is applied on a's underlay egress
 *   hosts[i].uplink:     { preset?, both?, up?, down? }     all of the host's traffic: up is what
 *                                                         it sends, down what it receives
 *
 * A direction's figures are the preset's, then `both`'s, then the direction's own, field by field
 * (later wins). Units: milliseconds, percent, Mbit/s, packets. This module is the model and its
 * arithmetic; `conditions-tc.ts` turns the result into `tc` commands and reads them back.
 */
import { z } from 'zod';
import { DESCRIPTION_RE, DESCRIPTION_RULE } from './names.js';

/** netem's delay distributions (iproute2's tables); absent: netem's own (uniform). */
export const DISTRIBUTIONS = ['uniform', 'normal', 'pareto', 'paretonormal'] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

const ms = (what: string) =>
  z
    .number({ error: `must be a number of milliseconds (${what})` })
    .min(0, { error: `cannot be negative: ${what} is a number of milliseconds, 0 or more` })
    .max(60_000, { error: `is more than a minute: ${what} takes milliseconds, up to 60000` });
const pct = (what: string) =>
  z
    .number({ error: `must be a percentage (${what})` })
    .min(0, { error: `cannot be negative: ${what} is a percentage from 0 to 100` })
    .max(100, { error: `is more than 100: ${what} is a percentage from 0 to 100` });

/** One direction: what netem and htb do to its packets. Every field optional; none = a perfect wire. */
export const ConditionSchema = z.strictObject({
  /** One-way delay, ms. */
  delay: ms('delay').optional(),
  /** Delay variation, ms (netem jitter). */
  jitter: ms('jitter').optional(),
  /** How the jitter is distributed (netem's tables); default uniform. */
  distribution: z.enum(DISTRIBUTIONS, { error: `must be one of ${DISTRIBUTIONS.join(', ')}` }).optional(),
  /**
   * Why jitter may exceed delay (netem then reorders packets and clips delays at zero): a
   * deliberate choice must be said, else it is taken for a typo.
   */
  jitterReason: z.string().regex(DESCRIPTION_RE, { error: DESCRIPTION_RULE }).min(1).optional(),
  /** Random loss, %. */
  loss: pct('loss').optional(),
  /** How much each loss depends on the previous one, % (bursty loss). */
  lossCorrelation: pct('lossCorrelation').optional(),
  /** Duplicated packets, %. */
  duplicate: pct('duplicate').optional(),
  /** Packets sent at once instead of delayed, %: they overtake the others (needs a delay). */
  reorder: pct('reorder').optional(),
  /** Packets with one bit flipped, %. */
  corrupt: pct('corrupt').optional(),
  /** Rate limit, Mbit/s. */
  rate: z
    .number({ error: 'must be a number of Mbit/s' })
    .gt(0, { error: 'must be more than 0 Mbit/s (leave it out for no limit)' })
    .max(100_000, { error: 'is more than 100000 Mbit/s (100 Gbit/s); leave it out for no limit' })
    .optional(),
  /** Queue limit, packets (netem's limit); default from the bandwidth-delay product. */
  limit: z.number().int({ error: 'must be a whole number of packets' }).min(1).max(1_000_000).optional(),
});
export type Condition = z.output<typeof ConditionSchema>;

export const NETEM_FIELDS = ['delay', 'jitter', 'loss', 'duplicate', 'reorder', 'corrupt'] as const satisfies readonly (keyof Condition)[];
export type NetemField = (typeof NETEM_FIELDS)[number];

export interface Preset {
  readonly id: string;
  readonly label: string;
  /** What it stands for, and where its figures come from. */
  readonly description: string;
  /** On a link: both directions. Absent: an uplink-only preset. */
  readonly link?: Condition;
  /** On a host's uplink. */
  readonly uplink?: { readonly up: Condition; readonly down: Condition };
}

/**
 * Named settings: the paper's dummy WAN between ISP sites, and common cases. Their figures are
 * shown wherever a preset is picked, and any field can be overridden beside it.
 */
export const PRESETS: readonly Preset[] = [
  { id: 'lan', label: 'Wired LAN', description: 'a switched LAN: nothing added (the lab link as it is)', link: {}, uplink: { up: {}, down: {} } },
  {
    id: 'fast-ethernet',
    label: 'Fast Ethernet',
    description: 'a 100 Mbit/s wired link: the rate only, no delay or loss (htb alone: applies on kernels without netem)',
    link: { rate: 100 },
    uplink: { up: { rate: 100 }, down: { rate: 100 } },
  },
  {
    id: 'isp-wan',
    label: 'WAN between ISP sites',
    description: "the paper's dummy WAN of ISP sites: 20 ms each way (40 ms RTT), 1 ms normal jitter, 0.1 % loss",
    link: { delay: 20, jitter: 1, distribution: 'normal', loss: 0.1 },
  },
  {
    id: 'wifi',
    label: 'Wi-Fi client',
    description: 'a busy Wi-Fi hop: 3 ms each way with 6 ms jitter (contention varies more than the base delay), 1 % loss in bursts (25 % correlation), 50 Mbit/s',
    link: { delay: 3, jitter: 6, distribution: 'paretonormal', jitterReason: 'Wi-Fi contention varies more than its base delay', loss: 1, lossCorrelation: 25, rate: 50 },
  },
  {
    id: 'transcontinental',
    label: 'Transcontinental path',
    description: 'a long-haul path: 75 ms each way (150 ms RTT), 2 ms normal jitter, 0.05 % loss',
    link: { delay: 75, jitter: 2, distribution: 'normal', loss: 0.05 },
  },
  {
    id: 'constrained-uplink',
    label: 'Constrained uplink',
    description: 'an access line: 10 Mbit/s up, 50 Mbit/s down, 10 ms each way',
    link: { delay: 10, rate: 20 },
    uplink: { up: { delay: 10, rate: 10 }, down: { delay: 10, rate: 50 } },
  },
];
export const PRESET_IDS = PRESETS.map((p) => p.id) as [string, ...string[]];

const preset = z.enum(PRESET_IDS, { error: `must be one of ${PRESET_IDS.join(', ')} (overlab conditions --presets shows their figures)` });

/** `links[i].conditions`. */
export const LinkConditionsSchema = z.strictObject({
  preset: preset.optional(),
  both: ConditionSchema.optional(),
  /** From the link's `a` to its `b` (on a's underlay egress). */
  aToB: ConditionSchema.optional(),
  bToA: ConditionSchema.optional(),
});
export type LinkConditions = z.output<typeof LinkConditionsSchema>;

/** `hosts[i].uplink`: every packet the host sends (`up`) or receives (`down`) on its underlay. */
export const UplinkSchema = z.strictObject({
  preset: preset.optional(),
  both: ConditionSchema.optional(),
  up: ConditionSchema.optional(),
  down: ConditionSchema.optional(),
});
export type Uplink = z.output<typeof UplinkSchema>;

export const presetOf = (id: string | undefined): Preset | undefined => (id === undefined ? undefined : PRESETS.find((p) => p.id === id));

/** Field by field, later wins; fields absent everywhere stay absent. */
export function merge(...cs: readonly (Condition | undefined)[]): Condition {
  const out: Record<string, unknown> = {};
  for (const c of cs) if (c) for (const [k, v] of Object.entries(c)) if (v !== undefined) out[k] = v;
  return out as Condition;
}

/** The two directions of a link's conditions. */
export function linkDirections(c: LinkConditions | undefined): { aToB: Condition; bToA: Condition } {
  const p = presetOf(c?.preset)?.link;
  return { aToB: merge(p, c?.both, c?.aToB), bToA: merge(p, c?.both, c?.bToA) };
}

/** A host's uplink, both ways. */
export function uplinkDirections(u: Uplink | undefined): { up: Condition; down: Condition } {
  const p = presetOf(u?.preset);
  const base = p?.uplink;
  const sym = p && !base ? p.link : undefined;
  return { up: merge(sym, base?.up, u?.both, u?.up), down: merge(sym, base?.down, u?.both, u?.down) };
}

export const isEmpty = (c: Condition | undefined): boolean => !c || Object.values(c).every((v) => v === undefined);
export const needsNetem = (c: Condition): boolean => NETEM_FIELDS.some((f) => (c[f] ?? 0) > 0);

/**
 * Two conditions one after the other (a host's uplink, then the link's own leg): delays add,
 * jitters add in quadrature (independent variations), each loss-like percentage combines as
 * independent events (1 − (1 − p)(1 − q)), the rate is the smaller, correlations and the
 * distribution are the link's where it has them. An approximation for jitter and correlation,
 * exact for delay, loss and rate — said wherever composed figures are shown.
 */
export function compose(first: Condition, second: Condition): Condition {
  const add = (a?: number, b?: number): number | undefined => (a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0));
  const quad = (a?: number, b?: number): number | undefined => (a === undefined && b === undefined ? undefined : Math.sqrt((a ?? 0) ** 2 + (b ?? 0) ** 2));
  // (One side alone passes unchanged, and the product is rounded to 12 digits: 1 − (1 − 0)(1 − 0.02)
  // is 2.0000000000000018 in floating point, which would be "asked" in messages and records.)
  const either = (a?: number, b?: number): number | undefined =>
    a === undefined ? b : b === undefined ? a : Number((100 * (1 - (1 - a / 100) * (1 - b / 100))).toPrecision(12));
  const min = (a?: number, b?: number): number | undefined => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
  return merge({
    delay: add(first.delay, second.delay),
    jitter: quad(first.jitter, second.jitter),
    distribution: second.distribution ?? first.distribution,
    jitterReason: second.jitterReason ?? first.jitterReason,
    loss: either(first.loss, second.loss),
    lossCorrelation: second.lossCorrelation ?? first.lossCorrelation,
    duplicate: either(first.duplicate, second.duplicate),
    reorder: either(first.reorder, second.reorder),
    corrupt: either(first.corrupt, second.corrupt),
    rate: min(first.rate, second.rate),
    limit: min(first.limit, second.limit),
  });
}

/**
 * netem's queue for a rate-limited delay line: CORE's `max(2, ceil(2 · rate · delay / (8 · MTU)))`
 * packets — the bandwidth-delay product twice over, so that queued packets are not dropped as
 * loss; netem's own default (1000) when there is no rate to size it by.
 */
export function queueLimit(c: Condition, mtu: number): number {
  if (c.limit !== undefined) return c.limit;
  if (c.rate === undefined || !c.delay) return 1000;
  return Math.max(2, Math.ceil((2 * c.rate * 1e6 * (c.delay / 1000)) / (8 * mtu)));
}

/** "20 ms ± 1 ms normal, 0.1 % loss, 50 Mbit/s": for labels, tables and messages. */
export function describe(c: Condition): string {
  if (isEmpty(c)) return 'none';
  const n = (x: number): string => String(Number(x.toPrecision(4)));
  const parts: string[] = [];
  if (c.delay !== undefined || c.jitter !== undefined) parts.push(`${n(c.delay ?? 0)} ms${c.jitter ? ` ± ${n(c.jitter)} ms${c.distribution ? ` ${c.distribution}` : ''}` : ''}`);
  if (c.loss) parts.push(`${n(c.loss)} % loss${c.lossCorrelation ? ` (${n(c.lossCorrelation)} % correlated)` : ''}`);
  if (c.duplicate) parts.push(`${n(c.duplicate)} % duplicated`);
  if (c.reorder) parts.push(`${n(c.reorder)} % reordered`);
  if (c.corrupt) parts.push(`${n(c.corrupt)} % corrupted`);
  if (c.rate !== undefined) parts.push(`${n(c.rate)} Mbit/s`);
  if (c.limit !== undefined) parts.push(`queue ${c.limit} packets`);
  return parts.join(', ');
}
