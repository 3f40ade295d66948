/**
 * CPU use of a host from two reads of /proc/stat (the aggregate `cpu` line: user nice system
 * idle iowait irq softirq steal …, in clock ticks). In the embedded lab every host is a
 * namespace of one machine: /proc/stat is the machine's, so this is the machine's CPU, which
 * the results say rather than pretend it is one host's.
 */
import type { CpuUsage } from '../types.js';

export const CPU_READ = 'cat /proc/stat';

interface Ticks {
  readonly user: number;
  readonly nice: number;
  readonly system: number;
  readonly idle: number;
  readonly iowait: number;
  readonly irq: number;
  readonly softirq: number;
  readonly steal: number;
  readonly cpus: number;
}

export function parseProcStat(text: string): Ticks | undefined {
  const lines = text.split('\n');
  const agg = lines.find((l) => /^cpu\s/.test(l));
  if (!agg) return undefined;
  const f = agg.trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 4 || f.some((x) => !Number.isFinite(x))) return undefined;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  return { user, nice, system, idle, iowait, irq, softirq, steal, cpus: lines.filter((l) => /^cpu\d+\s/.test(l)).length || 1 };
}

/** Shares of the CPUs' time between two reads; `seconds` is the wall time between them. */
export function cpuUsage(before: string, after: string, seconds: number): CpuUsage | undefined {
  const a = parseProcStat(before);
  const b = parseProcStat(after);
  if (!a || !b) return undefined;
  const d = (k: keyof Ticks): number => Math.max(0, b[k] - a[k]);
  const busy = d('user') + d('nice') + d('system') + d('irq') + d('softirq') + d('steal');
  const all = busy + d('idle') + d('iowait');
  if (all <= 0) return undefined;
  const pct = (x: number): number => (100 * x) / all;
  return { busyPercent: pct(busy), userPercent: pct(d('user') + d('nice')), systemPercent: pct(d('system')), softirqPercent: pct(d('softirq') + d('irq')), cpus: b.cpus, seconds };
}
