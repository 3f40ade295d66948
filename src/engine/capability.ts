/**
 * Can this machine carry a kind? Binaries are looked up on PATH, packages asked of dpkg,
 * and the kernel is asked directly: the kind's probe runs in a scratch network namespace,
 * since module lists lie (built-ins are invisible, and some kernels cannot load modules).
 */
import { execFile } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { probeScript } from '../shared/preflight.js';
import type { Requirements } from '../shared/tunnels/types.js';
import { CAPABILITY_SCRIPT, CONDITION_DEADLINES, parseCapability, type TcCapability } from './conditions/host.js';

const run = promisify(execFile);

export interface Capability {
  /** `yes`: everything present; `no`: something is missing; `unknown`: could not probe (not root). */
  readonly verdict: 'yes' | 'no' | 'unknown';
  readonly missing: readonly string[];
}

async function onPath(bin: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (!dir) continue;
    try {
      await fs.access(path.join(dir, bin), constants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

/**
 * The kind's probe in a network namespace of its own: `unshare --net` makes one that dies with
 * the shell, so nothing is left behind even when this process is killed mid-probe (a named
 * `ip netns` namespace was, when `overlab serve` stopped during the UI's first kinds request).
 */
async function probeKernel(snippet: string): Promise<boolean> {
  const script = probeScript(snippet);
  try {
    await run('unshare', ['--net', 'sh', '-c', script], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Probe results are cached per snippet for the life of the process. */
const kernelCache = new Map<string, Promise<boolean>>();

export async function checkRequirements(req: Requirements): Promise<Capability> {
  const missing: string[] = [];
  for (const b of req.binaries) if (!(await onPath(b))) missing.push(`binary ${b} (Debian: ${req.packages.join(' ')})`);
  let verdict: Capability['verdict'] = 'yes';
  if (req.probe) {
    if (process.getuid?.() !== 0) verdict = 'unknown';
    else {
      let p = kernelCache.get(req.probe);
      if (!p) kernelCache.set(req.probe, (p = probeKernel(req.probe)));
      if (!(await p)) missing.push(`kernel support (${req.modules.join(', ') || 'see the kind'}): this kernel cannot create the device`);
    }
  }
  if (missing.length > 0) verdict = 'no';
  return { verdict, missing };
}

let conditionsCache: Promise<TcCapability> | undefined;

/**
 * Which link conditions this machine can apply: the same probe the conditions' apply runs on a
 * host (htb and netem tried on a veth in a namespace of its own), run here, once per process.
 * Not root: unknown (the probe makes a namespace).
 */
export function conditionsCapability(): Promise<TcCapability> {
  if (process.getuid?.() !== 0) return Promise.resolve({ htb: 'unknown', netem: 'unknown', reason: 'the probe needs root' });
  conditionsCache ??= run('sh', ['-c', CAPABILITY_SCRIPT], { timeout: CONDITION_DEADLINES.probe * 1000 }).then(
    (r) => parseCapability(r.stdout),
    (e: unknown) => ({ htb: 'unknown', netem: 'unknown', reason: `the probe failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` }),
  );
  return conditionsCache;
}

/** The line `overlab kinds` prints under its table: what can be applied here, and where the rest can run. */
export function conditionsLine(c: TcCapability): string {
  const yn = (v: string): string => (v === 'yes' ? 'yes' : v === 'no' ? 'no' : 'unknown');
  const where = c.netem === 'yes' ? '' : '; delay/loss/… run in the full-kernel runner (scripts/fullkernel/run.sh) or on a host with netem';
  return `conditions here: rate (htb) ${yn(c.htb)}; delay, jitter, loss, duplicate, reorder, corrupt (netem) ${yn(c.netem)}${where}${c.reason ? ` (${c.reason})` : ''}`;
}
