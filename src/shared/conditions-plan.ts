/**
 * Conditions of a topology: checked (with the path of each field) and placed — which egress
 * device of which host shapes which direction. Pure: the engine applies the result (tc over SSH,
 * and on the lab's WAN side), the views read it.
 *
 * Placement: a link's a→b is shaped on a's underlay egress (class per peer, filter on b's
 * underlay address); a host's uplink `up` on its own underlay egress (every class), its `down`
 * on what sends to it — for a lab host the WAN bridge's side of its underlay veth, which Overlab
 * owns; a real host's incoming traffic would need an ifb device on it, so there `down` is refused
 * and the peers' link directions say it instead.
 */
import { compose, describe, isEmpty, linkDirections, needsNetem, uplinkDirections, type Condition } from './conditions.js';
import type { ShapedDevice } from './conditions-tc.js';
import { error, warning, type Diagnostic } from './diagnostics.js';
import type { Plan } from './plan.js';
import type { Topology } from './schema.js';

/** One host's shaping: its underlay egress, and (lab hosts) the WAN side of its underlay link. */
export interface HostShaping {
  readonly host: string;
  readonly hostId: string;
  readonly lab: boolean;
  /** On the host, its underlay device: every direction it sends. */
  readonly egress: ShapedDevice;
  /** Lab hosts: the WAN bridge's end of the host's underlay veth (its name is the lab's) — what it receives. */
  readonly ingress?: Omit<ShapedDevice, 'device'>;
}

/** The effective conditions of every direction, by link id: what tables and badges show. */
export interface LinkConditionsView {
  readonly linkId: string;
  readonly aToB: Condition;
  readonly bToA: Condition;
}

export function linkConditionViews(t: Topology): LinkConditionsView[] {
  return t.links.filter((l) => l.conditions).map((l) => ({ linkId: l.id, ...linkDirections(l.conditions) }));
}

/**
 * The shaping of every host that has any: directions grouped by sender, uplinks composed in by
 * `shapeDevice`. Hosts with nothing to shape are left out, but a host with an empty shaping is
 * kept when `all` is asked (to remove what an earlier apply left).
 */
export function planConditions(t: Topology, plan: Plan, opts: { all?: boolean } = {}): HostShaping[] {
  const byName = new Map(plan.hosts.map((h) => [h.name, h]));
  const out: HostShaping[] = [];
  for (const h of t.hosts) {
    const ph = byName.get(h.name);
    if (!ph) continue;
    const uplink = uplinkDirections(h.uplink);
    const peers = t.links.flatMap((l) => {
      if (l.a !== h.name && l.b !== h.name) return [];
      const dirs = linkDirections(l.conditions);
      const peer = byName.get(l.a === h.name ? l.b : l.a);
      const condition = l.a === h.name ? dirs.aToB : dirs.bToA;
      if (!peer || isEmpty(condition)) return [];
      return [{ peer: peer.name, address: peer.underlay.address, family: peer.underlay.family, condition }];
    });
    const lab = h.target.type === 'lab';
    const egress: ShapedDevice = { device: h.underlay.interface, all: uplink.up, peers, mtu: plan.underlayMtu };
    const ingress = lab && !isEmpty(uplink.down) ? { all: uplink.down, peers: [], mtu: plan.underlayMtu } : undefined;
    if (opts.all || !isEmpty(uplink.up) || peers.length > 0 || ingress) out.push({ host: h.name, hostId: h.id, lab, egress, ...(ingress ? { ingress } : {}) });
  }
  return out;
}

/** The fields of a condition that netem needs (for refusals where netem is missing). */
export const netemNeeds = (c: Condition): string[] => (['delay', 'jitter', 'loss', 'duplicate', 'reorder', 'corrupt'] as const).filter((f) => (c[f] ?? 0) > 0);

/** UDP rates the built-in quick suite and the project's own plan send, Mbit/s (what a rate limit below them would turn into loss). */
function suiteUdpMbit(t: Topology): { name: string; mbit: number }[] {
  const parse = (s: string): number => {
    const m = /^([0-9.]+)([KMG]?)$/.exec(s);
    return m ? Number(m[1]) * { '': 1e-6, K: 1e-3, M: 1, G: 1e3 }[m[2] as '' | 'K' | 'M' | 'G'] : NaN;
  };
  const out = [{ name: 'the quick suite', mbit: 100 }];
  if (t.measurement.tools.includes('iperf3-udp') || t.measurement.tools.includes('iperf2-udp')) out.push({ name: "the project's measurement plan", mbit: parse(t.measurement.udpBandwidth) });
  return out;
}

/** One condition's own rules, at its path. */
function checkCondition(c: Condition, path: (string | number)[], out: Diagnostic[], t: Topology): void {
  if (c.jitter !== undefined && c.jitter > (c.delay ?? 0) && !c.jitterReason) {
    out.push(
      error(
        'jitter-above-delay',
        [...path, 'jitter'],
        `${c.jitter} ms of jitter is more than the ${c.delay ?? 0} ms delay: netem would reorder packets and clip delays at zero. Lower it, raise the delay, or say why in jitterReason`,
      ),
    );
  }
  if ((c.reorder ?? 0) > 0 && !c.delay) out.push(error('reorder-without-delay', [...path, 'reorder'], 'netem reorders by sending some packets without the delay the others wait: give a delay too'));
  if (c.lossCorrelation !== undefined && !c.loss) out.push(warning('correlation-without-loss', [...path, 'lossCorrelation'], 'has no effect without a loss'));
  if (c.distribution !== undefined && !c.jitter) out.push(warning('distribution-without-jitter', [...path, 'distribution'], 'has no effect without a jitter'));
  if (c.rate !== undefined) {
    // One warning per field, naming every UDP sender above the rate (the inspector shows it under the field).
    const over = suiteUdpMbit(t).filter((s) => Number.isFinite(s.mbit) && s.mbit > c.rate!);
    if (over.length > 0) {
      out.push(warning('rate-below-suite', [...path, 'rate'], `UDP is sent at ${over.map((s) => `${s.mbit} Mbit/s (${s.name})`).join(' and ')}, above this ${c.rate} Mbit/s: UDP figures will show the limit's loss, not the tunnel's; measure with a suite whose UDP rate fits`));
    }
  }
}

/** Every condition of the document checked, with the path of the field to fix. */
export function validateConditions(t: Topology): Diagnostic[] {
  const out: Diagnostic[] = [];
  const hostIndex = new Map(t.hosts.map((h, i) => [h.name, i]));
  const mayShape = (name: string): boolean => {
    const h = t.hosts[hostIndex.get(name) ?? -1];
    return !h || h.target.type === 'lab' || h.target.applyConditions === true;
  };
  t.links.forEach((l, i) => {
    if (!l.conditions) return;
    const base: (string | number)[] = ['links', i, 'conditions'];
    for (const part of ['both', 'aToB', 'bToA'] as const) if (l.conditions[part]) checkCondition(l.conditions[part], [...base, part], out, t);
    const dirs = linkDirections(l.conditions);
    for (const [dir, sender] of [['aToB', l.a], ['bToA', l.b]] as const) {
      if (isEmpty(dirs[dir]) || mayShape(sender)) continue;
      const j = hostIndex.get(sender)!;
      out.push(
        error(
          'conditions-not-allowed',
          [...base, dir === 'aToB' && l.conditions.aToB ? 'aToB' : dir === 'bToA' && l.conditions.bToA ? 'bToA' : l.conditions.both ? 'both' : 'preset'],
          `${dir === 'aToB' ? `${l.a} → ${l.b}` : `${l.b} → ${l.a}`} (${describe(dirs[dir])}) would be applied with tc on ${sender}, a machine of yours: that changes its network. Set hosts[${j}].target.applyConditions: true to allow it, or remove these conditions`,
        ),
      );
    }
  });
  t.hosts.forEach((h, i) => {
    if (!h.uplink) return;
    const base: (string | number)[] = ['hosts', i, 'uplink'];
    for (const part of ['both', 'up', 'down'] as const) if (h.uplink[part]) checkCondition(h.uplink[part], [...base, part], out, t);
    const dirs = uplinkDirections(h.uplink);
    if (h.target.type !== 'lab') {
      if (!h.target.applyConditions && !(isEmpty(dirs.up) && isEmpty(dirs.down))) {
        out.push(error('conditions-not-allowed', base, `an uplink is applied with tc on ${h.name}, a machine of yours: that changes its network. Set hosts[${i}].target.applyConditions: true to allow it, or remove the uplink`));
      } else if (!isEmpty(dirs.down)) {
        out.push(
          error(
            'uplink-down-on-ssh-host',
            [...base, h.uplink.down ? 'down' : h.uplink.both ? 'both' : 'preset'],
            `shaping what ${h.name} receives would need an ifb device on it; Overlab shapes on senders: give its peers' links the conditions towards ${h.name} (links[…].conditions.aToB or bToA) instead, and keep only up here`,
          ),
        );
      }
    }
  });
  checkDuplicateNetem(t, out);
  return out;
}

/**
 * The kernel refuses a duplicating netem beside any other netem in one qdisc tree ("netem: cannot
 * mix duplicating netems with other netems in tree", Debian's 6.1, seen in the full-kernel
 * runner). A sender's egress tree holds one netem per shaped class (each peer's direction with
 * the uplink's `up` composed in, and the uplink's own for other traffic), so a duplicate there is
 * refused here, at the field, rather than by tc halfway through an apply.
 */
function checkDuplicateNetem(t: Topology, out: Diagnostic[]): void {
  t.hosts.forEach((h, i) => {
    const up = uplinkDirections(h.uplink).up;
    const leaves: { condition: Condition; path: (string | number)[]; what: string }[] = [];
    const upPart = h.uplink?.up ? 'up' : h.uplink?.both ? 'both' : 'preset';
    if (needsNetem(up)) leaves.push({ condition: up, path: ['hosts', i, 'uplink', upPart], what: `${h.name}'s uplink` });
    t.links.forEach((l, j) => {
      if (l.a !== h.name && l.b !== h.name) return;
      const dir = l.a === h.name ? 'aToB' : 'bToA';
      const own = linkDirections(l.conditions)[dir];
      if (isEmpty(own)) return;
      const leaf = compose(up, own);
      const part = l.conditions?.[dir] ? dir : l.conditions?.both ? 'both' : 'preset';
      if (needsNetem(leaf)) leaves.push({ condition: leaf, path: ['links', j, 'conditions', part], what: `${l.a === h.name ? `${l.a} → ${l.b}` : `${l.b} → ${l.a}`}` });
    });
    if (leaves.length < 2) return;
    const dup = leaves.find((x) => (x.condition.duplicate ?? 0) > 0);
    if (!dup) return;
    const others = leaves.filter((x) => x !== dup).map((x) => x.what);
    const own = dup.path[0] === 'hosts' ? `${h.name}'s uplink` : dup.what;
    out.push(
      error(
        'duplicate-beside-netem',
        [...dup.path, 'duplicate'],
        `${own} duplicates packets, and ${h.name} also sends with netem on ${others.join(', ')}: the kernel refuses a duplicating netem beside other netems on one device. Keep duplicate on a host whose other directions have no delay, loss or the like, or remove it`,
      ),
    );
  });
}
