/**
 * Link conditions for real on this machine's kernel (htb and u32, no netem): a VXLAN hub-spoke
 * on the embedded lab with 50 Mbit/s on one link direction and a rate-limited uplink on a spoke
 * (up on the spoke itself, down on the lab's WAN side), applied without redeploying, read back,
 * measured (iperf3 TCP: the conditioned directions within 5 % of what the rate allows, the others
 * not limited), refused with the reason when netem is asked for (nothing changed), cleared back to
 * the very `tc qdisc show` of before, and gone after teardown. Needs root; skipped otherwise.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { createEngine } from '../../src/engine/engine.js';
import { run } from '../../src/engine/exec.js';
import { loadLab, wanSideOf, type LabLayout } from '../../src/engine/lab/lab.js';
import type { RunResults } from '../../src/shared/measure/results.js';
import type { Topology } from '../../src/shared/schema.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const root = process.getuid?.() === 0;
const engine = createEngine({ registry: defaultRegistry });
const RATE = 50;
const UP = 20;
const DOWN = 30;

/** Every namespace of the lab (hosts and WAN) → its `tc qdisc show`, without the counters. */
async function qdiscs(L: LabLayout): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const ns of [...L.hosts.map((h) => h.netns), L.wanNetns]) out[ns] = (await run(['ip', '-n', ns, 'link', 'show']).then(() => run(['tc', '-n', ns, 'qdisc', 'show']))).stdout;
  return out;
}

/** The shaped devices' classes and filters as tc prints them (what "apply twice" must leave the same). */
async function tree(L: LabLayout): Promise<string> {
  const parts: string[] = [];
  for (const h of L.hosts) {
    const w = wanSideOf(L, h.name)!;
    for (const [ns, dev] of [[h.netns, h.underlayDev], [w.netns, w.device]] as const) {
      // (htb's direct_packets_stat is a counter, not configuration: a packet sent while the tree
      // is replaced lands there, so a second apply may read 1 where the first read 0.)
      for (const what of ['qdisc', 'class', 'filter']) parts.push(`${ns} ${dev} ${what}\n${(await run(['tc', '-n', ns, what, 'show', 'dev', dev])).stdout.replace(/ direct_packets_stat \d+/g, '')}`);
    }
  }
  return parts.join('\n');
}

describe.skipIf(!root)('link conditions on the embedded lab (rates: htb; netem refused)', () => {
  let dir = '';
  let base: Topology;
  let L: LabLayout;
  let before: Record<string, string>;
  let conditioned: Topology;
  let r: RunResults;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-conditions-'));
    const t = (await engine['project.create']({ dir, template: 'hub-spoke', hosts: 3, kind: 'vxlan' })).topology!;
    base = {
      ...t,
      lab: { management: '198.18.213.0/24' },
      measurement: {
        ...t.measurement,
        tools: t.measurement.tools.filter((x) => x !== 'iperf3-udp' && x !== 'iperf2-udp'),
        suites: { rates: { tests: [{ tool: 'ping', count: 5, interval: 0.05, size: 56 }, { tool: 'iperf3', protocol: 'tcp', duration: 3, bitrate: '1G', parallel: 1, bothDirections: true }], baseline: true, lan: false, repeat: 1 } },
      },
    };
    await engine['project.save']({ dir, topology: base });
    await engine['lab.up']({ dir });
    const d = await engine['deploy.apply']({ dir });
    expect(d.ok, JSON.stringify(d.hosts.filter((h) => h.status === 'failed'))).toBe(true);
    L = (await loadLab(dir, base, (await engine['plan.compute']({ dir })).plan!))!;
    before = await qdiscs(L);
    const [l1] = base.links.filter((l) => l.a === 'hub' || l.b === 'hub');
    expect(l1).toBeDefined();
    conditioned = {
      ...base,
      links: base.links.map((l) => (l.id === l1!.id ? { ...l, conditions: l.a === 'hub' ? { aToB: { rate: RATE } } : { bToA: { rate: RATE } } } : l)),
      hosts: base.hosts.map((h) => (h.name === 'spoke-2' ? { ...h, uplink: { up: { rate: UP }, down: { rate: DOWN } } } : h)),
    };
    await engine['project.save']({ dir, topology: conditioned, force: true });
  }, 120_000);

  afterAll(async () => {
    if (!dir) return;
    await engine['deploy.teardown']({ dir }).catch(() => undefined);
    await engine['lab.down']({ dir }).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('applies on a deployed lab without redeploying, reads back what was asked, and applying twice changes nothing', async () => {
    const a = await engine['conditions.apply']({ dir });
    expect(a.ok, JSON.stringify(a.hosts)).toBe(true);
    // spoke-1 sends nothing conditioned (the limit is on hub → spoke-1): it is only cleared.
    expect(Object.fromEntries(a.hosts.map((h) => [h.host, h.status]))).toEqual({ hub: 'applied', 'spoke-1': 'cleared', 'spoke-2': 'applied' });
    const first = await tree(L);
    expect(first).toMatch(/class htb 1:10 parent 1:1 .*rate 50Mbit/);
    const again = await engine['conditions.apply']({ dir });
    expect(again.ok).toBe(true);
    expect(await tree(L)).toBe(first);

    const s = await engine['conditions.read']({ dir });
    expect(s.unread).toEqual([]);
    for (const c of s.capability) expect(c).toMatchObject({ htb: 'yes', netem: 'no' });
    for (const l of s.links) {
      expect(l.aToB.inForce).toEqual(l.aToB.asked);
      expect(l.bToA.inForce).toEqual(l.bToA.asked);
    }
    const up = s.uplinks.find((u) => u.hostId === conditioned.hosts.find((h) => h.name === 'spoke-2')!.id)!;
    expect(up.up.inForce).toEqual({ rate: UP });
    expect(up.down.inForce).toEqual({ rate: DOWN });
  }, 60_000);

  it('measures under the conditions: the run records them, each limited direction within 5 % of what its rate allows, the others not limited', async () => {
    const m = await engine['measure.run']({ dir, suite: 'rates' });
    r = await engine['runs.get']({ dir, runId: m.runId });
    expect(r.status, r.problems.join('; ')).toBe('complete');
    expect(r.conditions).toBeDefined();
    const hubLink = r.conditions!.links.find((l) => l.aToB.asked.rate === RATE || l.bToA.asked.rate === RATE)!;
    expect(hubLink.aToB.inForce).toEqual(hubLink.aToB.asked);
    expect(hubLink.bToA.inForce).toEqual(hubLink.bToA.asked);

    // What a rate R allows TCP over VXLAN: htb counts each frame the underlay veth sends — the
    // tunnel's packet (the link's MTU) plus VXLAN's overhead (inner Ethernet 14 + VXLAN 8 + UDP 8
    // + outer IPv4 20 = the link's overheadBytes) plus the outer Ethernet header (14) — and each
    // carries MTU − 20 (IP) − 20 (TCP) − 12 (timestamps) bytes of data:
    //   goodput = R · (MTU − 52) / (MTU + overhead + 14)
    const limitOf = (src: string, dst: string): number | undefined => {
      const link = r.links.find((l) => (l.a === src && l.b === dst) || (l.a === dst && l.b === src))!;
      const c = r.conditions!.links.find((x) => x.linkId === link.id)!;
      const dirn = link.a === src ? c.aToB : c.bToA;
      return dirn.inForce.rate;
    };
    const seen: string[] = [];
    for (const p of r.paths.filter((x) => x.type === 'tunnel')) {
      const link = r.links.find((l) => l.id === p.linkId)!;
      for (const [direction, src, dst] of [['forward', p.src.host, p.dst.host], ['reverse', p.dst.host, p.src.host]] as const) {
        const mbps = r.summary.paths[p.id]!.throughput[`iperf3-tcp:${direction}`]!.mbps.mean;
        const rate = limitOf(src, dst);
        seen.push(`${src}→${dst}: ${mbps.toFixed(1)} Mbit/s (limit ${rate ?? 'none'})`);
        if (rate !== undefined) {
          const expected = (rate * (link.mtu - 52)) / (link.mtu + link.overheadBytes + 14);
          expect(Math.abs(mbps - expected) / expected, `${src}→${dst}: ${mbps} Mbit/s measured, ${expected.toFixed(2)} expected at ${rate} Mbit/s`).toBeLessThan(0.05);
        } else expect(mbps, `${src}→${dst} has no limit`).toBeGreaterThan(1.5 * RATE);
      }
    }
    console.log(`conditions lab: ${seen.join('; ')}`);
    // The underlay baseline rides the same shaped devices: limited the same way.
    const under = r.paths.find((x) => x.type === 'underlay' && [x.src.host, x.dst.host].sort().join() === ['hub', 'spoke-2'].sort().join())!;
    const tp = r.summary.paths[under.id]!.throughput;
    expect(Math.max(tp['iperf3-tcp:forward']!.mbps.mean, tp['iperf3-tcp:reverse']!.mbps.mean)).toBeLessThan(DOWN * 1.05);
  }, 120_000);

  it('overlab conditions edits the file and applies at once to the lab that is up; its listing shows what is in force', async () => {
    const io = { text: '', out(t: string) { this.text += t; }, err(t: string) { this.text += t; } };
    expect(await runCli(['conditions', dir, 'spoke-2--hub', '--from', 'spoke-2', '--rate', '15'], io), io.text).toBe(0);
    expect(io.text).toMatch(/spoke-2 → hub: saved in/);
    expect(io.text).toMatch(/spoke-2 +applied/);
    const listed = { text: '', out(t: string) { this.text += t; }, err(t: string) { this.text += t; } };
    expect(await runCli(['conditions', dir], listed), listed.text).toBe(0);
    // The link's own 15 under the uplink's 20: the smaller is in force, read back.
    expect(listed.text).toMatch(/^spoke-2 → hub +15 Mbit\/s +15 Mbit\/s$/m);
    expect(listed.text).toMatch(/^hub → spoke-2 +30 Mbit\/s +30 Mbit\/s$/m);
    expect(listed.text).toMatch(/this machine \(the lab's kernel\): htb \(rates\) yes, netem .* no/);
    await engine['project.save']({ dir, topology: conditioned, force: true });
  }, 60_000);

  it('a measurement whose read-back differs from the project fails its preflight with the difference, and measures nothing', async () => {
    const hub = L.hosts.find((h) => h.name === 'hub')!;
    await run(['tc', '-n', hub.netns, 'qdisc', 'del', 'dev', hub.underlayDev, 'root']);
    const before = (await engine['runs.list']({ dir })).length;
    await expect(engine['measure.run']({ dir, suite: 'rates' })).rejects.toThrow(/the link conditions in force are not what the project asks \(hub: eth0: no htb root qdisc 1: .*overlab conditions .* --apply/);
    expect((await engine['runs.list']({ dir })).filter((x) => x.tests > 0).length).toBe(before);
    expect((await engine['conditions.apply']({ dir })).ok).toBe(true);
  }, 60_000);

  it('refuses netem conditions on this kernel with where they can run, and changes nothing', async () => {
    const shaped = await qdiscs(L);
    const withDelay: Topology = { ...conditioned, links: conditioned.links.map((l, i) => (i === 1 ? { ...l, conditions: { both: { delay: 20, loss: 1 } } } : l)) };
    await engine['project.save']({ dir, topology: withDelay, force: true });
    const a = await engine['conditions.apply']({ dir });
    expect(a.ok).toBe(false);
    const refused = a.hosts.filter((h) => h.status === 'failed');
    expect(refused.length).toBeGreaterThan(0);
    for (const h of refused) expect(h.error).toMatch(/this kernel has no netem \(sch_netem\): delay, loss .*cannot be applied on .*full-kernel runner \(scripts\/fullkernel\/run\.sh\)/);
    const d = await engine['deploy.apply']({ dir });
    expect(d.ok).toBe(false);
    expect(d.hosts.find((h) => h.failedStep === 'conditions')?.error).toMatch(/this kernel has no netem/);
    expect(await qdiscs(L)).toEqual(shaped);
    await engine['project.save']({ dir, topology: conditioned, force: true });
  }, 60_000);

  it('clear leaves `tc qdisc show` as it was before any condition, so does a deploy without conditions; a deploy applies them, teardown leaves no qdisc of ours', async () => {
    const c = await engine['conditions.apply']({ dir, clear: true });
    expect(c.ok, JSON.stringify(c.hosts)).toBe(true);
    expect(await qdiscs(L)).toEqual(before);
    // A deploy of the project without conditions clears what an earlier apply left.
    expect((await engine['conditions.apply']({ dir })).ok).toBe(true);
    await engine['project.save']({ dir, topology: base, force: true });
    const d = await engine['deploy.apply']({ dir });
    expect(d.ok, JSON.stringify(d.hosts)).toBe(true);
    expect(await qdiscs(L)).toEqual(before);
    // The deploy of the conditioned project applies them; teardown removes them.
    await engine['project.save']({ dir, topology: conditioned, force: true });
    expect((await engine['deploy.apply']({ dir })).ok).toBe(true);
    expect(await tree(L)).toMatch(/class htb 1:10 parent 1:1 .*rate 50Mbit/);
    const t = await engine['deploy.teardown']({ dir });
    expect(t.ok, JSON.stringify(t.hosts)).toBe(true);
    for (const [ns, text] of Object.entries(await qdiscs(L))) expect(text, ns).not.toMatch(/htb|netem/);
  }, 60_000);
});
