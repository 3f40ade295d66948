/**
 * Link conditions on one host: its kernel probed (htb for rates, netem for the rest), its
 * underlay egress shaped, read back and compared, and cleared — over any way of running a shell
 * script there (an SSH connection of a deploy, a measurement or `conditions apply`). The lab's
 * WAN side (what a lab host receives) is shaped the same way, locally, in the lab's WAN
 * namespace. Everything here is per host; `apply.ts` runs it over a project.
 */
import { describe, type Condition } from '../../shared/conditions.js';
import { netemNeeds, type HostShaping } from '../../shared/conditions-plan.js';
import { compareTc, isShaped, readScript, readTc, shapeDevice, type ShapedDevice, type TcState } from '../../shared/conditions-tc.js';
import { q } from '../../shared/shell.js';
import { run } from '../exec.js';

/** Runs a POSIX sh script (given on stdin) with a deadline; resolves with its status and output. */
export type ShellExec = (script: string, seconds: number) => Promise<{ code: number; stdout: string; stderr: string }>;

/** Seconds each kind of tc command may take on a host (a handful of netlink calls; a loaded host takes longer). */
export const CONDITION_DEADLINES = { probe: 20, apply: 30, read: 20, clear: 20 } as const;

export interface TcCapability {
  readonly htb: 'yes' | 'no' | 'unknown';
  readonly netem: 'yes' | 'no' | 'unknown';
  /** Why it is unknown (no tc, no unshare). */
  readonly reason?: string;
}

const PROBE_PREFIX = 'tc-probe: ';

/**
 * The probe: htb and netem tried on a veth pair in a network namespace of its own (`unshare
 * --net`: it dies with the shell, so nothing is left behind, and the host's own devices are never
 * touched). Module lists lie (built-ins are invisible); a qdisc that can be added can be applied.
 * netem and htb are asked for by name first: Debian ships sch_netem as a module.
 */
export const CAPABILITY_SCRIPT = [
  'modprobe -q sch_netem 2>/dev/null || true',
  'modprobe -q sch_htb 2>/dev/null || true',
  `probe='ip link add olcp0 type veth peer name olcp1 || { echo "${PROBE_PREFIX}no veth pair could be made"; exit 0; }`,
  'if tc qdisc add dev olcp0 root handle 1: htb default 1 2>/dev/null; then echo "htb: yes"; else echo "htb: no"; fi',
  `if tc qdisc add dev olcp1 root handle 1: netem delay 1ms 2>/dev/null; then echo "netem: yes"; else echo "netem: no"; fi'`,
  'if ! command -v tc >/dev/null 2>&1; then',
  `  echo "${PROBE_PREFIX}no tc (install iproute2)"`,
  'elif command -v unshare >/dev/null 2>&1 && unshare --net true 2>/dev/null; then',
  '  unshare --net sh -c "$probe"',
  'else',
  `  echo "${PROBE_PREFIX}no unshare --net (util-linux) to probe in a scratch namespace"`,
  'fi',
].join('\n');

export function parseCapability(stdout: string): TcCapability {
  const lines = stdout.split('\n').map((l) => l.trim());
  const of = (name: string): 'yes' | 'no' | 'unknown' => {
    const l = lines.find((x) => x.startsWith(`${name}: `));
    return l?.endsWith('yes') ? 'yes' : l?.endsWith('no') ? 'no' : 'unknown';
  };
  const reason = lines.find((l) => l.startsWith(PROBE_PREFIX))?.slice(PROBE_PREFIX.length);
  return { htb: of('htb'), netem: of('netem'), ...(reason ? { reason } : {}) };
}

export async function probeHost(exec: ShellExec): Promise<TcCapability> {
  const r = await exec(CAPABILITY_SCRIPT, CONDITION_DEADLINES.probe);
  return parseCapability(r.stdout);
}

/** Where netem's conditions can run, for refusals. */
export const WHERE_NETEM =
  'run the lab in the full-kernel runner (scripts/fullkernel/run.sh), whose Debian kernel has netem, or measure on hosts whose kernel has netem (modprobe sch_netem)';

/** Every condition a host's shaping puts on its devices (link directions composed with the uplink's as tc gets them). */
function conditionsOf(s: HostShaping): { what: string; c: Condition }[] {
  const out = [{ what: 'its uplink', c: s.egress.all }, ...s.egress.peers.map((p) => ({ what: `towards ${p.peer}`, c: p.condition }))];
  if (s.ingress) out.push({ what: 'its uplink down (the lab WAN side)', c: s.ingress.all });
  return out;
}

/**
 * Why a host cannot take its shaping, or undefined when it can: netem's fields on a kernel without
 * netem name the fields, the host and where they can run; a rate needs htb. Never a silent perfect
 * wire.
 */
export function refusal(s: HostShaping, cap: TcCapability): string | undefined {
  const all = conditionsOf(s);
  const shaped = isShaped(s.egress) || !!s.ingress;
  if (!shaped) return undefined;
  if (cap.htb !== 'yes') {
    return cap.htb === 'no'
      ? `${s.host}: this kernel has no htb (sch_htb): link conditions cannot be applied on ${s.host}; ${WHERE_NETEM}`
      : `${s.host}: could not tell what this kernel can shape (${cap.reason ?? 'the probe printed nothing'}); install what is missing there`;
  }
  const netem = all.flatMap(({ what, c }) => {
    const f = netemNeeds(c);
    return f.length ? [`${what} (${describe(c)})`] : [];
  });
  if (netem.length === 0 || cap.netem === 'yes') return undefined;
  const fields = [...new Set(all.flatMap(({ c }) => netemNeeds(c)))].join(', ');
  if (cap.netem === 'unknown') return `${s.host}: could not tell whether this kernel has netem (${cap.reason ?? 'the probe printed nothing'}); ${fields} cannot be applied there`;
  return `${s.host}: this kernel has no netem (sch_netem): ${fields} (${netem.join('; ')}) cannot be applied on ${s.host}; only rates (htb) can. ${WHERE_NETEM[0]!.toUpperCase()}${WHERE_NETEM.slice(1)}`;
}

/** The shaping script of one device: `set -e`, then the tree (replacing what was there). */
export const applyScript = (d: ShapedDevice): string => ['set -e', ...shapeDevice(d).apply].join('\n');

/**
 * Removal, guarded: the root qdisc goes only when it is Overlab's (htb 1: with default class
 * ffff), so that clearing a host Overlab never shaped leaves its own qdiscs alone; the kernel then
 * gives the device back its default. Prints `cleared` when it removed something. Always exits 0
 * unless tc itself fails to delete.
 */
export const clearScript = (device: string): string =>
  [`if tc -j qdisc show dev ${q(device)} root 2>/dev/null | grep -q '"kind":"htb","handle":"1:".*"default":"0xffff"'; then`, `  tc qdisc del dev ${q(device)} root`, '  echo cleared', 'fi'].join('\n');

/** One device's state read back (`readScript` through `readTc`). */
export async function readDevice(exec: ShellExec, device: string): Promise<TcState> {
  const r = await exec(readScript(device), CONDITION_DEADLINES.read);
  if (r.code !== 0) throw new Error(`tc could not read ${device}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ')}`);
  return readTc(r.stdout);
}

/** Shapes one device, reads it back and compares: the differences, one line each (empty: what was asked is in force). */
export async function shapeAndCheck(exec: ShellExec, d: ShapedDevice, where: string): Promise<string[]> {
  const { expect } = shapeDevice(d);
  const r = await exec(applyScript(d), CONDITION_DEADLINES.apply);
  if (r.code !== 0) throw new Error(`tc failed on ${where}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ')}`);
  const state = await readDevice(exec, d.device);
  return compareTc(expect, state).map((l) => `${where}: ${l}`);
}

/** Clears one device (guarded); whether something was removed. */
export async function clearDevice(exec: ShellExec, device: string, where: string): Promise<boolean> {
  const r = await exec(clearScript(device), CONDITION_DEADLINES.clear);
  if (r.code !== 0) throw new Error(`tc could not clear ${device} on ${where}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ')}`);
  return /^cleared$/m.test(r.stdout);
}

/** A shell in the lab's WAN namespace, run by root on this machine (the lab shares its kernel). */
export const wanExec =
  (netns: string): ShellExec =>
  async (script, seconds) => {
    const r = await run(['ip', 'netns', 'exec', netns, 'sh', '-s'], { input: script, timeoutMs: seconds * 1000, okCodes: Array.from({ length: 255 }, (_, i) => i + 1) });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  };
