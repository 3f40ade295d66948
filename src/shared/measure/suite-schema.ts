/**
 * The schema of a measurement suite as overlab.yaml declares one under `measurement.suites`
 * (a file of its own: the document's schema imports it, and it imports nothing of the document).
 */
import { z } from 'zod';
import { DESCRIPTION_RE, DESCRIPTION_RULE } from '../names.js';

export const PingTest = z.strictObject({
  tool: z.literal('ping'),
  count: z.number().int().min(1).max(1_000_000),
  /** Seconds between requests; below 0.2 needs root on the measuring host. */
  interval: z.number().min(0.001).max(60),
  size: z.number().int().min(0).max(65507).default(56),
});
export const Iperf3Test = z.strictObject({
  tool: z.literal('iperf3'),
  protocol: z.enum(['tcp', 'udp']),
  /** Seconds, unless `bytes` is given. */
  duration: z.number().min(1).max(3600).default(10),
  bytes: z.string().regex(/^[0-9]+[KMG]?$/, { error: 'write an amount like "100M"' }).optional(),
  bitrate: z.string().regex(/^[0-9]+(\.[0-9]+)?[KMG]?$/, { error: 'write a rate like "100M" or "1G"' }).default('1G'),
  parallel: z.number().int().min(1).max(128).default(1),
  /** Also the other way (iperf3 -R from the same client): each direction gets its own figure. */
  bothDirections: z.boolean().default(true),
});
export const Iperf2Test = z.strictObject({
  tool: z.literal('iperf2'),
  protocol: z.enum(['tcp', 'udp']),
  duration: z.number().min(1).max(3600).default(10),
  bytes: z.string().regex(/^[0-9]+[KMG]?$/, { error: 'write an amount like "100M"' }).optional(),
  bitrate: z.string().regex(/^[0-9]+(\.[0-9]+)?[KMG]?$/, { error: 'write a rate like "100M"' }).default('100M'),
});
export const NetperfTestSchema = z.strictObject({
  tool: z.literal('netperf'),
  test: z.enum(['TCP_STREAM', 'UDP_STREAM', 'TCP_RR']),
  duration: z.number().min(1).max(3600).default(10),
});
export const SuiteTest = z.discriminatedUnion('tool', [PingTest, Iperf3Test, Iperf2Test, NetperfTestSchema], {
  error: 'must be a test with tool: ping, iperf3, iperf2 or netperf',
});
export type SuiteTest = z.output<typeof SuiteTest>;

export const SuiteSchema = z.strictObject({
  description: z.string().regex(DESCRIPTION_RE, { error: DESCRIPTION_RULE }).optional(),
  tests: z.array(SuiteTest).min(1, { error: 'needs at least one test' }),
  /** Measure the underlay between the same hosts too (the baseline each tunnel is compared with). */
  baseline: z.boolean().default(true),
  /** LAN to LAN (and spoke to spoke through the hub) where the plan routes LANs: RTT tests. */
  lan: z.boolean().default(true),
  repeat: z.number().int().min(1).max(100).default(1),
});
export type Suite = z.output<typeof SuiteSchema> & { readonly name: string };

