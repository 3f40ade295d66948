/**
 * The conditions model and its checks: how a link's {preset, both, aToB, bToA} and a host's
 * uplink become one condition per direction, how two legs compose, CORE's queue limit, what
 * validation says (with the path of the field to fix), and where planConditions places each
 * direction. The tc scripts and their read-back are in tests/golden/conditions.test.ts and
 * tests/unit/conditions-tc-netem.test.ts; the lab and VM proofs apply them for real.
 */
import { describe as group, expect, it } from 'vitest';
import { compose, describe, isEmpty, linkDirections, needsNetem, PRESETS, queueLimit, uplinkDirections } from './conditions.js';
import { planConditions, validateConditions } from './conditions-plan.js';
import type { Diagnostic } from './diagnostics.js';
import { plan } from './plan.js';
import type { Topology } from './schema.js';
import { makeTemplate } from './templates.js';
import { defaultRegistry } from './tunnels/index.js';
import { validateTopology } from './validate.js';

function hubSpoke(hosts = 3): Topology {
  const t = makeTemplate({ template: 'hub-spoke', hosts, kind: 'vxlan', name: 'conditions' }, defaultRegistry);
  if (!t.value) throw new Error(JSON.stringify(t.diagnostics));
  return t.value;
}
const withLink = (t: Topology, i: number, c: Topology['links'][number]['conditions']): Topology => ({ ...t, links: t.links.map((l, j) => (j === i ? { ...l, conditions: c } : l)) });
const withUplink = (t: Topology, i: number, u: Topology['hosts'][number]['uplink']): Topology => ({ ...t, hosts: t.hosts.map((h, j) => (j === i ? { ...h, uplink: u } : h)) });
const problems = (t: Topology): Pick<Diagnostic, 'severity' | 'code' | 'path'>[] =>
  validateTopology(t, defaultRegistry).diagnostics.map(({ severity, code, path }) => ({ severity, code, path }));
const errorsOf = (t: Topology) => problems(t).filter((d) => d.severity === 'error');

group('a link direction', () => {
  it('is the preset, then both, then its own fields, each overriding the one before', () => {
    const d = linkDirections({ preset: 'isp-wan', both: { loss: 1 }, aToB: { delay: 5, rate: 50 } });
    expect(d.aToB).toEqual({ delay: 5, jitter: 1, distribution: 'normal', loss: 1, rate: 50 });
    expect(d.bToA).toEqual({ delay: 20, jitter: 1, distribution: 'normal', loss: 1 });
  });
  it('is empty without conditions, and for the wired LAN preset', () => {
    expect(isEmpty(linkDirections(undefined).aToB)).toBe(true);
    expect(isEmpty(linkDirections({ preset: 'lan' }).bToA)).toBe(true);
  });
  it('takes an uplink preset its own way up and down, and a link-only preset the same both ways', () => {
    expect(uplinkDirections({ preset: 'constrained-uplink' })).toEqual({ up: { delay: 10, rate: 10 }, down: { delay: 10, rate: 50 } });
    expect(uplinkDirections({ preset: 'isp-wan' }).up).toEqual(uplinkDirections({ preset: 'isp-wan' }).down);
    expect(uplinkDirections({ preset: 'constrained-uplink', down: { rate: 100 } }).down).toEqual({ delay: 10, rate: 100 });
  });
});

group('two legs composed (an uplink, then the link)', () => {
  it('adds delays, adds jitters in quadrature, combines losses as independent events, keeps the smaller rate', () => {
    const c = compose({ delay: 10, jitter: 3, loss: 1, rate: 20 }, { delay: 20, jitter: 4, loss: 2, rate: 50 });
    expect(c.delay).toBe(30);
    expect(c.jitter).toBe(5);
    expect(c.loss).toBeCloseTo(100 * (1 - 0.99 * 0.98), 10);
    expect(c.rate).toBe(20);
  });
  it('passes one side alone unchanged (no floating-point noise in what is asked)', () => {
    expect(compose({}, { loss: 2, duplicate: 0.3 })).toEqual({ loss: 2, duplicate: 0.3 });
    expect(compose({ rate: 10 }, {})).toEqual({ rate: 10 });
  });
});

group("netem's queue limit (CORE's bandwidth-delay product)", () => {
  it('is max(2, ceil(2 · rate · delay / (8 · MTU))) packets', () => {
    // 50 Mbit/s × 20 ms = 125,000 bytes; twice over, in 1500-byte packets: 166.7 → 167.
    expect(queueLimit({ rate: 50, delay: 20 }, 1500)).toBe(167);
    expect(queueLimit({ rate: 50, delay: 20 }, 9000)).toBe(28);
    expect(queueLimit({ rate: 0.1, delay: 1 }, 1500)).toBe(2);
  });
  it("is netem's own 1000 without a rate or a delay to size it, and the stated limit when there is one", () => {
    expect(queueLimit({ delay: 20 }, 1500)).toBe(1000);
    expect(queueLimit({ rate: 50 }, 1500)).toBe(1000);
    expect(queueLimit({ rate: 50, delay: 20, limit: 10 }, 1500)).toBe(10);
  });
});

group('presets', () => {
  it('each has figures to show, and only the wired LAN and rate-only ones avoid netem', () => {
    for (const p of PRESETS) expect(p.description.length, p.id).toBeGreaterThan(10);
    const noNetem = PRESETS.filter((p) => !needsNetem(p.link ?? {}) && !needsNetem(p.uplink?.up ?? {}) && !needsNetem(p.uplink?.down ?? {})).map((p) => p.id);
    expect(noNetem).toEqual(['lan', 'fast-ethernet']);
  });
  it('describes a condition the way tables and messages show it', () => {
    expect(describe(linkDirections({ preset: 'isp-wan' }).aToB)).toBe('20 ms ± 1 ms normal, 0.1 % loss');
    expect(describe({ rate: 50, loss: 1, lossCorrelation: 25 })).toBe('1 % loss (25 % correlated), 50 Mbit/s');
    expect(describe({})).toBe('none');
  });
});

group('validation, with the path of the field to fix', () => {
  it('accepts a hub-spoke with per-direction conditions and an uplink', () => {
    const t = withUplink(withLink(hubSpoke(), 0, { preset: 'isp-wan', aToB: { rate: 200 } }), 1, { up: { rate: 200 } });
    expect(errorsOf(t)).toEqual([]);
  });
  it('refuses a negative delay and an unknown preset at their fields (the schema)', () => {
    expect(errorsOf(withLink(hubSpoke(), 0, { aToB: { delay: -1 } })).map((d) => d.path)).toContain('links[0].conditions.aToB.delay');
    expect(errorsOf(withLink(hubSpoke(), 1, { preset: 'moon' } as never)).map((d) => d.path)).toContain('links[1].conditions.preset');
  });
  it('refuses jitter above the delay unless a reason is stated, and reorder without a delay', () => {
    expect(errorsOf(withLink(hubSpoke(), 0, { both: { delay: 2, jitter: 5 } }))).toContainEqual({ severity: 'error', code: 'jitter-above-delay', path: 'links[0].conditions.both.jitter' });
    expect(errorsOf(withLink(hubSpoke(), 0, { both: { delay: 2, jitter: 5, jitterReason: 'radio contention' } }))).toEqual([]);
    expect(errorsOf(withLink(hubSpoke(), 0, { bToA: { reorder: 5 } }))).toContainEqual({ severity: 'error', code: 'reorder-without-delay', path: 'links[0].conditions.bToA.reorder' });
  });
  it("warns when a rate is below the UDP rate a suite sends, at the rate's field", () => {
    expect(problems(withLink(hubSpoke(), 0, { aToB: { rate: 20 } })).filter((d) => d.code === 'rate-below-suite')).toEqual([{ severity: 'warning', code: 'rate-below-suite', path: 'links[0].conditions.aToB.rate' }]);
    expect(problems(withLink(hubSpoke(), 0, { aToB: { rate: 5000 } })).filter((d) => d.code === 'rate-below-suite')).toEqual([]);
  });
  it("refuses conditions on a real host unless it opts in, and shaping what a real host receives", () => {
    const base = hubSpoke();
    // A host reached over SSH states its underlay address: the one the lab would have given it.
    const address = plan(base, defaultRegistry).value!.hosts[0]!.underlay.address;
    const ssh = (t: Topology, opt?: boolean): Topology => ({
      ...t,
      hosts: t.hosts.map((h, i) => (i === 0 ? { ...h, underlay: { ...h.underlay, address }, target: { type: 'ssh', address: '198.18.0.10', user: 'root', port: 22, ...(opt ? { applyConditions: true } : {}) } as never } : h)),
    });
    const hub = base.hosts[0]!.name;
    const i = base.links.findIndex((l) => l.a === hub);
    const t = withLink(ssh(base), i, { aToB: { rate: 200 } });
    expect(errorsOf(t)).toContainEqual({ severity: 'error', code: 'conditions-not-allowed', path: `links[${i}].conditions.aToB` });
    expect(errorsOf(withLink(ssh(base, true), i, { aToB: { rate: 200 } }))).toEqual([]);
    // What the hub receives from the spoke is shaped on the spoke (a lab host): no opt-in needed.
    expect(errorsOf(withLink(ssh(base), i, { bToA: { rate: 200 } }))).toEqual([]);
    expect(errorsOf(withUplink(ssh(base, true), 0, { down: { rate: 200 } }))).toContainEqual({ severity: 'error', code: 'uplink-down-on-ssh-host', path: 'hosts[0].uplink.down' });
  });
  it("refuses a duplicating netem beside another netem on one sender's device (the kernel's rule), at the duplicate", () => {
    const t = hubSpoke(3);
    const hub = t.hosts[0]!.name;
    const [i, j] = t.links.flatMap((l, k) => (l.a === hub ? [k] : []));
    const two = withLink(withLink(t, i!, { aToB: { duplicate: 1 } }), j!, { aToB: { delay: 10 } });
    expect(errorsOf(two)).toContainEqual({ severity: 'error', code: 'duplicate-beside-netem', path: `links[${i}].conditions.aToB.duplicate` });
    // The same duplicate alone on the hub's device, or with a rate-only neighbour, is a tree the kernel takes.
    expect(errorsOf(withLink(t, i!, { aToB: { duplicate: 1, delay: 5 } }))).toEqual([]);
    expect(errorsOf(withLink(withLink(t, i!, { aToB: { duplicate: 1 } }), j!, { aToB: { rate: 200 } }))).toEqual([]);
    // An uplink's netem sits on every class of the device: a duplicate there with any shaped peer is two netems.
    expect(errorsOf(withLink(withUplink(t, 0, { up: { duplicate: 1 } }), i!, { aToB: { rate: 200 } }))).toContainEqual({ severity: 'error', code: 'duplicate-beside-netem', path: 'hosts[0].uplink.up.duplicate' });
  });
});

group('placement', () => {
  it("shapes a→b on a's underlay egress in a class for b's address, and a lab host's uplink down on the WAN side", () => {
    const t0 = hubSpoke(3);
    const hub = t0.hosts[0]!.name;
    const i = t0.links.findIndex((l) => l.a === hub);
    const spoke = t0.links[i]!.b;
    const t = withUplink(withLink(t0, i, { aToB: { rate: 50 }, bToA: { rate: 20 } }), 0, { down: { rate: 30 } });
    const p = plan(t, defaultRegistry);
    if (!p.value) throw new Error(JSON.stringify(p.diagnostics));
    const shaping = planConditions(t, p.value);
    const byHost = new Map(shaping.map((s) => [s.host, s]));
    const spokeAddress = p.value.hosts.find((h) => h.name === spoke)!.underlay.address;
    const hubAddress = p.value.hosts.find((h) => h.name === hub)!.underlay.address;
    expect(byHost.get(hub)!.egress.peers).toEqual([expect.objectContaining({ peer: spoke, address: spokeAddress, condition: { rate: 50 } })]);
    expect(byHost.get(spoke)!.egress.peers).toEqual([expect.objectContaining({ peer: hub, address: hubAddress, condition: { rate: 20 } })]);
    expect(byHost.get(hub)!.ingress?.all).toEqual({ rate: 30 });
    expect(byHost.get(spoke)!.ingress).toBeUndefined();
    // The other spoke has nothing to shape: left out, unless every host is asked for (to clear).
    expect(shaping).toHaveLength(2);
    expect(planConditions(t, p.value, { all: true })).toHaveLength(3);
  });
});

it('validateConditions on a project without conditions says nothing', () => {
  expect(validateConditions(hubSpoke(4))).toEqual([]);
});
