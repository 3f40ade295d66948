/**
 * The schema of a measurement suite as overlab.yaml declares one under `measurement.suites`
 * (a file of its own: the document's schema imports it, and it imports nothing of the document).
 * Each test's schema is its tool's (tools/index.ts).
 */
import { z } from 'zod';
import { DESCRIPTION_RE, DESCRIPTION_RULE } from '../names.js';
import { TOOL_IDS, TOOL_SCHEMAS } from './tools/index.js';

export const SuiteTest = z.discriminatedUnion('tool', TOOL_SCHEMAS, {
  error: `must be a test with tool: ${TOOL_IDS.slice(0, -1).join(', ')} or ${TOOL_IDS.at(-1)!}`,
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

