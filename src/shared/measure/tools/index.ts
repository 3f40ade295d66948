/**
 * The measurement tools Overlab runs: the only list. A suite test's `tool:` names one of them;
 * the suite schema, the runner, the analysis and the views read this list (see ./tool.ts for
 * how to add one). Nothing registers itself on import, so a test can build its own list.
 * (CPU is not a test of its own: ./cpu.ts reads both ends around every `pair` test.)
 */
import type { z } from 'zod';
import { handshake } from './handshake.js';
import { iperf2 } from './iperf2.js';
import { bulk } from './iperf3-bidir.js';
import { iperf3 } from './iperf3.js';
import { rr } from './netperf-rr.js';
import { netperf } from './netperf.js';
import { ping } from './ping.js';
import { rrul } from './rrul.js';
import type { AnyTool, Metric } from './tool.js';

export type { AnyTool, ClientRequest, EndCommands, EndOutputs, Feed, MeasureTool, Metric, Parsed, ServerSpec, ToolOutput } from './tool.js';

/** In the order suites list them and the views show their figures (iperf3 before iperf 2). */
export const TOOLS = [
  ping,
  iperf3,
  iperf2,
  netperf,
  rrul,
  bulk,
  rr,
  handshake,
] as const;

type SchemasOf<T extends readonly unknown[]> = { -readonly [K in keyof T]: T[K] extends { readonly schema: infer S } ? S : never };
type Schemas = SchemasOf<typeof TOOLS>;
/** Each tool's suite-test schema, in registry order (the suite schema's discriminated union). */
export const TOOL_SCHEMAS = TOOLS.map((t) => t.schema) as unknown as Schemas;

/** A test of any registered tool, as a suite holds it. */
export type SuiteTest = z.output<(typeof TOOLS)[number]['schema']>;

export const TOOL_IDS: readonly string[] = TOOLS.map((t) => t.id);

/** The tool of a test (or of a tool name); an unknown one is a bug here: suites are validated against this list. */
export function toolOf(id: string | { readonly tool: string }): AnyTool {
  const name = typeof id === 'string' ? id : id.tool;
  const t = (TOOLS as readonly AnyTool[]).find((x) => x.id === name);
  if (!t) throw new Error(`unknown measurement tool "${name}"; supported: ${TOOL_IDS.join(', ')}`);
  return t;
}

/**
 * The tool whose tests carry this name (`rrul`, `iperf3-tcp`, `iperf3-bidir-tcp` …): the one
 * with the longest id the name starts with (a test name is its tool's id, or that and a dash).
 */
export function toolOfTest(test: string): AnyTool | undefined {
  return (TOOLS as readonly AnyTool[]).filter((x) => test === x.id || test.startsWith(`${x.id}-`)).sort((a, b) => b.id.length - a.id.length)[0];
}

/** The metrics a test's tool declares (none for an unknown test name). */
export const metricsOfTest = (test: string): readonly Metric[] => toolOfTest(test)?.metrics ?? [];
