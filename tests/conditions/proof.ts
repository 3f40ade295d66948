/**
 * Issue 21's full-kernel proof (Debian's kernel has netem): per kind (VXLAN, WireGuard), a
 * site-to-site on the embedded lab, deployed through the engine, then link conditions applied to
 * the deployed lab (`conditions.apply`, no redeploy) — 20 ms each way, 1 % loss, 50 Mbit/s — and
 * measured over the tunnel:
 *   - RTT (ping, 100 × 20 ms) ≈ 40 ms + the tunnel's own RTT measured before (within 5 %; minima,
 *     since an emulated CPU only adds delay — medians printed beside);
 *   - loss (UDP below the rate, iperf3's server count) ≈ 1 %: within 5 % relative, or the asked
 *     1 % inside the 99.9 % binomial (Wilson) interval of the packets sent — both printed, and
 *     which held;
 *   - the rate (50 Mbit/s where the tunnel carries twice that here, else 20/10/5/2, said): UDP
 *     offered above it, the goodput within 5 % of what the rate's frames leave for the payload
 *     (htb counts the outer headers); TCP under the 1 % loss printed beside Mathis' model (for
 *     scale: CUBIC is not Reno) and held below the rate; then the loss removed (`conditions.apply`
 *     again) and TCP within 5 % of the rate's TCP goodput. Under emulation (the VM) only the cap is
 *     asserted and the shortfall printed: TCG's late timers starve htb;
 *   - what is in force (`conditions.read`, read back with tc) is what was asked;
 *   - teardown leaves no htb or netem qdisc on the hosts or the lab's WAN side.
 * Called by tests/tunnels/prove.ts --conditions K1,K2 (in the VM stage's one boot); alone, after
 * the other cases, since its RTT figures would suffer from their load.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { conditionsCapability, conditionsLine } from '../../src/engine/capability.js';
import { createEngine, type Handlers } from '../../src/engine/engine.js';
import { labExecArgv, loadLab } from '../../src/engine/lab/lab.js';
import type { Condition } from '../../src/shared/conditions.js';
import type { Topology } from '../../src/shared/schema.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';
import { fig, iperf, lossAgrees, mathisMbit, ping, tcpGoodputMbit, udpGoodputMbit, within, type Exec } from './fidelity.js';

export interface ProofOut {
  ok(what: string): void;
  bad(what: string, detail?: string): void;
  readonly lines: string[];
}

const run: (argv: readonly string[], timeoutMs?: number) => ReturnType<Exec> = (argv, timeoutMs = 60_000) =>
  new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs, maxBuffer: 16 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });

export const PROOF_CONDITION = { delay: 20, loss: 1, rate: 50 } as const;
/** Rates the proof falls back to, largest first, when the (emulated) CPU cannot carry twice the asked one. */
const RATES = [50, 20, 10, 5, 2] as const;
const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * The proof for each kind, one after the other on one lab (brought up once: under emulation a lab
 * costs tens of seconds); figures go to `o.lines` as `--   …` lines.
 */
export async function proveConditions(kinds: readonly string[], o: ProofOut): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'olcond.'));
  const engine = createEngine({ registry: defaultRegistry });
  try {
    const made = (await engine['project.create']({ dir, template: 'site-to-site', hosts: 2, kind: kinds[0]! })).topology!;
    const base: Topology = { ...made, name: 'conditions proof', lab: { management: '198.18.230.0/24' } };
    await engine['project.save']({ dir, topology: base });
    await engine['lab.up']({ dir });
    for (const kind of kinds) await proveKind(engine, dir, base, kind, o);
  } catch (e) {
    o.bad('the conditions proof ran to its end', e instanceof Error ? (e.stack ?? e.message) : msg(e));
  } finally {
    await engine['lab.down']({ dir }).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function proveKind(engine: Handlers, dir: string, base0: Topology, kind: string, o: ProofOut): Promise<void> {
  const note = (l: string): void => void o.lines.push(`--   ${kind}: ${l}`);
  const base: Topology = { ...base0, links: base0.links.map((l) => ({ ...l, kind })) };
  const saved0 = await engine['project.save']({ dir, topology: base });
  if (!saved0.topology) return o.bad(`${kind}: a site-to-site of ${kind}`, saved0.diagnostics.map((d) => `${d.path}: ${d.message}`).join('\n'));
  const plan = (await engine['plan.compute']({ dir })).plan!;
  const L = (await loadLab(dir, base, plan))!;
  const link = plan.links[0]!;
  const a: Exec = (argv, t) => run(labExecArgv(L, link.a, [...argv]), t);
  const b: Exec = (argv, t) => run(labExecArgv(L, link.b, [...argv]), t);
  const dst = link.addresses.b.split('/')[0]!;
  const k = defaultRegistry.kinds.find((x) => x.id === kind)!;
  const overhead = k.overhead(k.options.parse({}), 4, 1500);
  let t0 = Date.now();
  const took = (): string => {
    const s = ((Date.now() - t0) / 1000).toFixed(0);
    t0 = Date.now();
    return `${s} s`;
  };
  try {
    const dep = await engine['deploy.apply']({ dir });
    if (!dep.ok) return o.bad(`${kind}: deploy`, dep.hosts.filter((h) => h.status === 'failed').map((h) => `${h.host}: ${h.failedStep}: ${h.error}`).join('\n'));
    let warm = false;
    for (let i = 0; i < 30 && !warm; i++) warm = (await a(['ping', '-c', '1', '-W', '1', dst])).code === 0;
    if (!warm) return o.bad(`${kind}: ${link.a} reaches ${dst} over the tunnel`);
    const own = await ping(a, dst, 30, 0.02);
    // What this CPU carries through the tunnel: the rate is proven at 50 Mbit/s when it carries twice
    // that, else at the largest of 20, 10, 5, 2 it does (under QEMU's emulation, with other work on
    // the machine, a tunnel may carry only tens of Mbit/s; a rate it cannot reach proves nothing).
    const cap = await iperf(a, b, dst, ['-u', '-b', '400M', '-l', '1200'], 3);
    const rate = RATES.find((r) => 2 * r <= cap.mbit) ?? RATES[RATES.length - 1]!;
    note(`deployed (${took()}); the tunnel's own RTT median ${fig(own.medianMs)} ms (min ${fig(own.minMs)}); it carries ${fig(cap.mbit)} Mbit/s of UDP here unshaped → rate proven at ${rate} Mbit/s${rate === PROOF_CONDITION.rate ? '' : ` (not ${PROOF_CONDITION.rate}: this CPU cannot carry twice that)`}`);
    const asked: Condition = { delay: PROOF_CONDITION.delay, loss: PROOF_CONDITION.loss, rate };

    // The conditions on the deployed lab: the tc part only.
    const withConditions = async (c: Condition): Promise<boolean> => {
      const t: Topology = { ...base, links: base.links.map((l) => ({ ...l, conditions: { both: c } })) };
      const saved = await engine['project.save']({ dir, topology: t });
      if (!saved.topology) {
        o.bad(`${kind}: the project takes conditions ${JSON.stringify(c)}`, saved.diagnostics.map((d) => `${d.path}: ${d.message}`).join('\n'));
        return false;
      }
      const r = await engine['conditions.apply']({ dir });
      if (!r.ok) {
        o.bad(`${kind}: conditions.apply ${JSON.stringify(c)} on the deployed lab`, r.hosts.map((h) => `${h.host}: ${h.status} ${h.error ?? ''} ${(h.mismatches ?? []).join('; ')}`).join('\n'));
        return false;
      }
      o.ok(`${kind}: conditions.apply ${JSON.stringify(c)} on the deployed lab (read back, compared: ${r.hosts.map((h) => `${h.host} ${h.status}`).join(', ')})`);
      return true;
    };
    if (!(await withConditions(asked))) return;
    const state = await engine['conditions.read']({ dir });
    const lf = state.links[0];
    const strip = (c?: Condition): string => JSON.stringify(Object.fromEntries(Object.entries(c ?? {}).filter(([, v]) => v !== undefined).sort()));
    const want = strip(asked);
    if (lf && strip(lf.aToB.inForce) === want && strip(lf.bToA.inForce) === want) o.ok(`${kind}: in force (read back) both ways: ${want}`);
    else o.bad(`${kind}: in force (read back) both ways is what was asked`, `asked ${want}; in force ${strip(lf?.aToB.inForce)} / ${strip(lf?.bToA.inForce)}`);
    note(`conditions applied and read (${took()})`);

    // RTT: netem's delay is a fixed floor, and an emulated CPU shared with other work only adds to
    // it (QEMU's TCG on a loaded 2-core host: medians 10–15 % high, a few packets by tens of ms),
    // so the minima are compared — the tunnel's own and the conditioned one; medians are printed.
    const p = await ping(a, dst, 100, 0.02);
    const expectRtt = 2 * PROOF_CONDITION.delay + own.minMs;
    const rttLine = `RTT min ${fig(p.minMs)} ms vs 40 + the tunnel's own min ${fig(own.minMs)} = ${fig(expectRtt)} ms asked (${fig((100 * (p.minMs - expectRtt)) / expectRtt)} %); median ${fig(p.medianMs)} vs ${fig(40 + own.medianMs)} (${fig((100 * (p.medianMs - 40 - own.medianMs)) / (40 + own.medianMs))} %), mean ${fig(p.avgMs)}`;
    if (within(p.minMs, expectRtt)) o.ok(`${kind}: ${rttLine}`);
    else o.bad(`${kind}: ${rttLine}: not within 5 %`);
    const pl = lossAgrees(p.sent - p.received, p.sent, 100 * (1 - (1 - PROOF_CONDITION.loss / 100) ** 2));
    note(`ping round-trip loss ${p.sent - p.received}/${p.sent} = ${fig(pl.measuredPct)} % (1.99 % expected both ways; 99.9 % interval ${fig(pl.interval.lo)}–${fig(pl.interval.hi)} %)`);

    // Loss, one way, far below the rate and what the CPU carries (so that no queue or socket drops).
    const lossMbit = Math.min(rate, cap.mbit) / 10;
    const u = await iperf(a, b, dst, ['-u', '-b', `${lossMbit.toFixed(2)}M`, '-l', '600'], 8);
    const la = lossAgrees(u.lost!, u.packets!, PROOF_CONDITION.loss);
    const lossLine = `loss (UDP at ${fig(lossMbit)} Mbit/s, 600 B) ${u.lost}/${u.packets} = ${fig(la.measuredPct)} % vs 1 % asked: 5 % relative ${Math.abs(la.measuredPct - 1) <= 0.05 ? 'holds' : 'does not hold'}${la.resolvable ? '' : ` (${u.packets} packets cannot resolve 5 %)`}; 99.9 % interval ${fig(la.interval.lo)}–${fig(la.interval.hi)} % ${la.interval.lo <= 1 && 1 <= la.interval.hi ? 'holds 1 %' : 'misses 1 %'} → held by: ${la.by}`;
    if (la.ok) o.ok(`${kind}: ${lossLine}`);
    else o.bad(`${kind}: ${lossLine}`);

    // The rate: UDP offered above it.
    const over = await iperf(a, b, dst, ['-u', '-b', `${Math.round(rate * 1.6)}M`, '-l', '1200'], 4);
    const udpModel = udpGoodputMbit(rate, 1200, overhead);
    // Asserted: the rate caps the tunnel (it carried at least twice the rate unshaped). Its shortfall
    // is printed, not asserted, under emulation: QEMU's TCG timers fire late on a loaded host, and
    // htb cannot spend tokens past its burst (1 ms at the rate), so it delivers less than asked —
    // bench/conditions.bench.ts on this machine's own kernel gives −0.1 to −0.9 %.
    const emulated = process.env.OVERLAB_FULLKERNEL === '1';
    const rateLine = `UDP goodput offered ${Math.round(rate * 1.6)} Mbit/s: ${fig(over.mbit)} Mbit/s vs ${fig(udpModel)} (${rate} Mbit/s of frames, ${overhead} B tunnel header) (${fig((100 * (over.mbit - udpModel)) / udpModel)} %)`;
    if (over.mbit <= udpModel * 1.05 && (emulated || within(over.mbit, udpModel))) o.ok(`${kind}: ${rateLine}${emulated ? ': the rate caps it (shortfall not asserted under emulation)' : ''}`);
    else o.bad(`${kind}: ${rateLine}: ${over.mbit > udpModel * 1.05 ? 'above the rate' : 'not within 5 %'}`);

    // TCP under the loss: for scale (Mathis' Reno model; CUBIC with SACK is not Reno), held below the rate.
    const tcpCap = tcpGoodputMbit(rate, link.mtu, overhead);
    const t1 = await iperf(a, b, dst, ['-O', '1'], 5);
    const mathis = mathisMbit(link.mtu - 52, expectRtt, PROOF_CONDITION.loss);
    const tcpLossLine = `TCP under 1 % loss ${fig(t1.mbit)} Mbit/s (Mathis/Reno ${fig(mathis)}, the rate's TCP goodput ${fig(tcpCap)})`;
    if (t1.mbit > 0 && t1.mbit <= tcpCap * 1.05) o.ok(`${kind}: ${tcpLossLine}`);
    else o.bad(`${kind}: ${tcpLossLine}: above the rate or nothing`);
    note(`measured (${took()})`);

    // TCP at the rate: the loss removed, the delay and rate kept.
    if (await withConditions({ delay: PROOF_CONDITION.delay, rate })) {
      const t2 = await iperf(a, b, dst, ['-O', '2'], 6);
      const tcpLine = `TCP at 20 ms each way, ${rate} Mbit/s, no loss: ${fig(t2.mbit)} Mbit/s vs ${fig(tcpCap)} (MSS ${link.mtu - 52} B of ${link.mtu + overhead + 14} B frames) (${fig((100 * (t2.mbit - tcpCap)) / tcpCap)} %)`;
      if (t2.mbit <= tcpCap * 1.05 && (emulated || within(t2.mbit, tcpCap))) o.ok(`${kind}: ${tcpLine}${emulated ? ': the rate caps it (shortfall not asserted under emulation)' : ''}`);
      else o.bad(`${kind}: ${tcpLine}: ${t2.mbit > tcpCap * 1.05 ? 'above the rate' : 'not within 5 %'}`);
    }
  } catch (e) {
    o.bad(`${kind}: the conditions proof ran to its end`, e instanceof Error ? (e.stack ?? e.message) : msg(e));
  } finally {
    // Teardown with the conditions in force: no qdisc of ours left anywhere.
    const down = await engine['deploy.teardown']({ dir });
    if (!down.ok) o.bad(`${kind}: teardown`, down.hosts.filter((h) => h.status === 'failed').map((h) => `${h.host}: ${h.error}`).join('\n'));
    const left: string[] = [];
    for (const h of plan.hosts) {
      const q = await run(labExecArgv(L, h.name, ['tc', 'qdisc', 'show']));
      left.push(...q.stdout.split('\n').filter((l) => /qdisc (htb|netem|tbf) /.test(l)).map((l) => `${h.name}: ${l}`));
    }
    const wan = await run(['ip', 'netns', 'exec', L.wanNetns, 'tc', 'qdisc', 'show']);
    left.push(...wan.stdout.split('\n').filter((l) => /qdisc (htb|netem|tbf) /.test(l)).map((l) => `WAN side: ${l}`));
    if (left.length === 0) o.ok(`${kind}: teardown leaves no htb/netem qdisc on ${plan.hosts.map((h) => h.name).join(', ')} or the WAN side`);
    else o.bad(`${kind}: teardown leaves no qdisc`, left.join('\n'));
    note(`torn down (${took()})`);
  }
}

/** The capability line of `overlab kinds` on this kernel (the VM's: netem yes). */
export async function proveCapability(o: ProofOut): Promise<void> {
  const c = await conditionsCapability();
  const line = conditionsLine(c);
  if (c.htb === 'yes' && c.netem === 'yes') o.ok(`overlab kinds on this kernel: ${line}`);
  else o.bad(`overlab kinds on this kernel says htb and netem yes`, line);
}
