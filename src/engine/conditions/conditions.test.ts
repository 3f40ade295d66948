/**
 * The pure parts of applying conditions: the capability probe read (on its real output here),
 * refusals (netem's fields on a kernel without netem name the fields, the host and where they can
 * run; rates alone pass), what is in force per direction from a real read-back (htb classes and
 * u32 filters captured on this kernel).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planConditions } from '../../shared/conditions-plan.js';
import { readTc } from '../../shared/conditions-tc.js';
import { plan } from '../../shared/plan.js';
import type { Topology } from '../../shared/schema.js';
import { makeTemplate } from '../../shared/templates.js';
import { defaultRegistry } from '../../shared/tunnels/index.js';
import { scopeOf, stateOf } from './apply.js';
import { parseCapability, refusal } from './host.js';

const fixture = (name: string): string => readFileSync(path.join(__dirname, '../../../tests/fixtures/tc', name), 'utf8');

function hubSpoke(edit: (t: Topology) => Topology = (t) => t): Topology {
  const t = makeTemplate({ template: 'hub-spoke', hosts: 3, kind: 'vxlan', name: 'c' }, defaultRegistry).value!;
  return edit(t);
}
const withLink = (t: Topology, b: string, conditions: NonNullable<Topology['links'][number]['conditions']>): Topology => ({ ...t, links: t.links.map((l) => (l.b === b || l.a === b ? { ...l, conditions } : l)) });
const shapingOf = (t: Topology, host: string) => planConditions(t, plan(t, defaultRegistry).value!, { all: true }).find((s) => s.host === host)!;

describe('the capability probe', () => {
  it('reads what it printed on this kernel: htb yes, netem no', () => {
    expect(parseCapability(fixture('capability-no-netem.txt'))).toEqual({ htb: 'yes', netem: 'no' });
  });
  it('says why it could not tell', () => {
    expect(parseCapability('tc-probe: no tc (install iproute2)\n')).toEqual({ htb: 'unknown', netem: 'unknown', reason: 'no tc (install iproute2)' });
  });
});

describe('refusals', () => {
  const noNetem = parseCapability(fixture('capability-no-netem.txt'));
  it('refuses delay and loss on a kernel without netem, naming the fields, the host and where they can run', () => {
    const t = hubSpoke((x) => withLink(x, 'spoke-1', { both: { delay: 20, loss: 1 } }));
    const why = refusal(shapingOf(t, 'hub'), noNetem);
    expect(why).toMatch(/^hub: this kernel has no netem \(sch_netem\): delay, loss \(towards spoke-1 \(20 ms, 1 % loss\)\) cannot be applied on hub; only rates \(htb\) can\. Run the lab in the full-kernel runner \(scripts\/fullkernel\/run\.sh\)/);
  });
  it('lets rates through where there is htb, and refuses them where there is none', () => {
    const t = hubSpoke((x) => withLink(x, 'spoke-1', { both: { rate: 50 } }));
    expect(refusal(shapingOf(t, 'hub'), noNetem)).toBeUndefined();
    expect(refusal(shapingOf(t, 'hub'), { htb: 'no', netem: 'no' })).toMatch(/no htb \(sch_htb\)/);
  });
  it('has nothing to refuse on a host that carries nothing', () => {
    expect(refusal(shapingOf(hubSpoke(), 'hub'), { htb: 'no', netem: 'no' })).toBeUndefined();
  });
});

describe('what is in force per direction, from a real read-back', () => {
  it('takes the leaf for the peer’s address, else the class for other traffic (the uplink), and leaves unread hosts unread', () => {
    // The capture: 1:1 and 1:ffff at 200 Mbit/s, 198.18.0.2 → 1:10 (50), fd00::3 → 1:11 (20).
    const t = hubSpoke((x) => ({ ...withLink(x, 'spoke-1', { aToB: { rate: 50 } }), hosts: x.hosts.map((h) => (h.name === 'hub' ? { ...h, uplink: { up: { rate: 200 } } } : h)) }));
    const p = plan(t, defaultRegistry).value!;
    expect(p.hosts.find((h) => h.name === 'spoke-1')!.underlay.address).toBe('198.18.0.2');
    const scope = scopeOf(t, p, undefined);
    // The spokes' egress and every WAN side read back with nothing on them (spoke-2 not read at all).
    const bare = readTc('[]');
    const s = stateOf(
      scope,
      new Map([
        ['hub', { egress: readTc(fixture('htb-rates-v4-v6.txt')), ingress: bare }],
        ['spoke-1', { egress: bare, ingress: bare }],
      ]),
    );
    const link = (b: string) => s.links.find((l) => t.links.find((x) => x.id === l.linkId)!.b === b)!;
    expect(link('spoke-1').aToB).toEqual({ asked: { rate: 50 }, inForce: { rate: 50 } });
    expect(link('spoke-1').bToA).toEqual({ asked: {}, inForce: {} });
    // hub → spoke-2 ends on spoke-2's WAN side, which was not read: not known, not "nothing".
    expect(link('spoke-2').aToB).toEqual({ asked: { rate: 200 } });
    expect(link('spoke-2').bToA.inForce).toBeUndefined();
    expect(s.uplinks[0]!.up).toEqual({ asked: { rate: 200 }, inForce: { rate: 200 } });
  });
});

