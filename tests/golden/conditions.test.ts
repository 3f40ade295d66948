/**
 * Golden tc scripts of link conditions: for each case (a topology built below), what each host's
 * underlay egress gets (`<host>/egress.sh`), what the lab's WAN side gets for it
 * (`<host>/wan-ingress.sh`), what the read-back is compared with (`<host>/expect.json`) and the
 * guarded removal (`<host>/clear.sh`), compared byte for byte with tests/golden/conditions-<case>/.
 * Every script passes `sh -n` and shellcheck. Then, for real on this kernel (root; rates only, it
 * has no netem): each rate case's egress applied on a veth in a scratch namespace, twice (the same
 * read-back), compared, and removed (the very `tc qdisc show` of before).
 *
 * After an intended change: `UPDATE_GOLDEN=1 npx vitest run --project unit tests/golden/conditions.test.ts`.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectTree } from './tree.js';
import { needsNetem } from '../../src/shared/conditions.js';
import { planConditions, type HostShaping } from '../../src/shared/conditions-plan.js';
import { compareTc, inForce, readScript, readTc, shapeDevice } from '../../src/shared/conditions-tc.js';
import { applyScript, clearScript } from '../../src/engine/conditions/host.js';
import { plan } from '../../src/shared/plan.js';
import type { Topology } from '../../src/shared/schema.js';
import { makeTemplate } from '../../src/shared/templates.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.getuid?.() === 0;
/** The WAN side's device name in the goldens (the lab names it from its id and the host's slot). */
const WAN_DEVICE = 'olwlab0';

function template(shape: 'hub-spoke' | 'site-to-site', hosts: number, edit: (t: Topology) => Topology): Topology {
  const t = makeTemplate({ template: shape, hosts, kind: 'vxlan', name: 'golden-conditions' }, defaultRegistry);
  if (!t.value) throw new Error(JSON.stringify(t.diagnostics));
  return edit(t.value);
}
const onLink = (t: Topology, a: string, b: string, c: NonNullable<Topology['links'][number]['conditions']>): Topology => ({
  ...t,
  links: t.links.map((l) => ((l.a === a && l.b === b) || (l.a === b && l.b === a) ? { ...l, conditions: l.a === a ? c : { ...c, ...(c.aToB ? { bToA: c.aToB, aToB: undefined } : {}) } } : l)),
});
const uplink = (t: Topology, host: string, u: NonNullable<Topology['hosts'][number]['uplink']>): Topology => ({ ...t, hosts: t.hosts.map((h) => (h.name === host ? { ...h, uplink: u } : h)) });

/** The cases: per-peer rates on a hub, an uplink (up on the host, down on the WAN side), IPv6 peers, netem composed with an uplink. */
const CASES: Record<string, Topology> = {
  'hub-spoke-rates': template('hub-spoke', 4, (t) => uplink(onLink(onLink(t, 'hub', 'spoke-1', { aToB: { rate: 50 } }), 'hub', 'spoke-2', { aToB: { rate: 20 } }), 'hub', { up: { rate: 200 } })),
  uplink: template('site-to-site', 2, (t) => uplink(t, t.hosts[0]!.name, { preset: 'constrained-uplink' })),
  'ipv6-peers': template('hub-spoke', 3, (t) => onLink(onLink({ ...t, underlay: { ...t.underlay, subnet: 'fd00::/64' } }, 'hub', 'spoke-1', { aToB: { rate: 50 } }), 'hub', 'spoke-2', { both: { rate: 20 } })),
  'netem-composition': template('site-to-site', 2, (t) => uplink(onLink(t, t.hosts[0]!.name, t.hosts[1]!.name, { preset: 'isp-wan', aToB: { rate: 50 } }), t.hosts[0]!.name, { up: { delay: 5, loss: 1 } })),
};

function shapingsOf(t: Topology): HostShaping[] {
  const p = plan(t, defaultRegistry);
  if (!p.value) throw new Error(JSON.stringify(p.diagnostics));
  return planConditions(t, p.value, { all: true });
}

function renderCase(t: Topology): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of shapingsOf(t)) {
    out.set(`${s.host}/egress.sh`, `${applyScript(s.egress)}\n`);
    out.set(`${s.host}/expect.json`, `${JSON.stringify({ egress: shapeDevice(s.egress).expect, ...(s.ingress ? { wanIngress: shapeDevice({ device: WAN_DEVICE, ...s.ingress }).expect } : {}) }, null, 2)}\n`);
    if (s.ingress) out.set(`${s.host}/wan-ingress.sh`, `${applyScript({ device: WAN_DEVICE, ...s.ingress })}\n`);
    out.set(`${s.host}/clear.sh`, `${clearScript(s.egress.device)}\n`);
  }
  return out;
}

const sh = (script: string): string => execFileSync('unshare', ['--net', 'sh', '-c', script], { encoding: 'utf8', timeout: 20_000 });

describe('link conditions as tc scripts', () => {
  for (const [name, t] of Object.entries(CASES)) {
    it(`conditions-${name}: the scripts are exactly tests/golden/conditions-${name}/`, () => {
      const dir = path.join(here, `conditions-${name}`);
      const actual = renderCase(t);
      expectTree(actual, dir);
    });
  }

  it('every script passes sh -n and shellcheck (POSIX sh)', () => {
    const scripts = Object.values(CASES).flatMap((t) => [...renderCase(t)].filter(([k]) => k.endsWith('.sh')).map(([, v]) => v));
    expect(scripts.length).toBeGreaterThan(10);
    const all = scripts.map((s, i) => `f${i}() {\n${s}\n}`).join('\n');
    execFileSync('sh', ['-n'], { input: all });
    const sc = (() => {
      try {
        execFileSync('shellcheck', ['-s', 'sh', '-'], { input: `#!/bin/sh\n${all}\n`, encoding: 'utf8' });
        return '';
      } catch (e) {
        return String((e as { stdout?: string }).stdout ?? e);
      }
    })();
    expect(sc).toBe('');
  });

  it('the IPv6 case filters on ip6 dst /128 and the netem case composes the uplink into the peer leaf (delays add, losses combine)', () => {
    const v6 = shapingsOf(CASES['ipv6-peers']!).find((s) => s.host === 'hub')!;
    expect(applyScript(v6.egress)).toMatch(/protocol ipv6 prio 2 u32 match ip6 dst fd00::[0-9a-f]+\/128 flowid 1:10/);
    const n = shapingsOf(CASES['netem-composition']!).find((s) => s.egress.peers.length > 0)!;
    const leaf = shapeDevice(n.egress).expect.netems.find((x) => x.peer)!;
    expect(leaf.condition.delay).toBe(25);
    expect(leaf.condition.loss).toBeCloseTo(100 * (1 - 0.99 * 0.999), 9);
    expect(needsNetem(leaf.condition)).toBe(true);
  });

  describe.skipIf(!root)('for real on this kernel (htb, u32; rates only)', () => {
    for (const name of ['hub-spoke-rates', 'ipv6-peers']) {
      it(`conditions-${name}: applied twice reads back the same and as asked; removal leaves tc qdisc show as before`, () => {
        for (const s of shapingsOf(CASES[name]!).filter((x) => x.egress.peers.length > 0 || x.ingress)) {
          const d = { ...s.egress, device: 'olc0' };
          expect(shapeDevice(d).expect.netems).toEqual([]);
          const script = [
            'set -e',
            'ip link add olc0 type veth peer name olc1',
            'ip link set olc0 up',
            'tc qdisc show dev olc0',
            'echo ==before==',
            applyScript(d),
            readScript('olc0'),
            'echo ==again==',
            applyScript(d),
            readScript('olc0'),
            'echo ==cleared==',
            clearScript('olc0'),
            'tc qdisc show dev olc0',
            'echo ==second-clear==',
            clearScript('olc0'),
          ].join('\n');
          const out = sh(script);
          const [before, first, again, cleared, second] = out.split(/^==[a-z-]+==$/m);
          expect(first).toBe(again);
          const state = readTc(first!);
          expect(compareTc(shapeDevice(d).expect, state), s.host).toEqual([]);
          for (const p of s.egress.peers) expect(inForce(state)[p.address]?.rate, `${s.host} → ${p.peer}`).toBe(p.condition.rate);
          expect(cleared!.replace(/^cleared$/m, '').trim()).toBe(before!.trim());
          expect(second!.trim()).toBe('');
        }
      });
    }
    it('clear leaves a root qdisc that is not Overlab’s alone', () => {
      const out = sh(['set -e', 'ip link add olc0 type veth peer name olc1', 'tc qdisc add dev olc0 root handle 1: htb default 10', clearScript('olc0'), 'tc qdisc show dev olc0'].join('\n'));
      expect(out).not.toMatch(/^cleared$/m);
      expect(out).toMatch(/qdisc htb 1: root .*default 0x10/);
    });
  });
});
