import { z } from 'zod';
import { configureLink, deleteLink, guardLink } from './common.js';
import { perLink, anyFamily } from './capabilities.js';
import { defineKind } from './types.js';

/** The macvlan mode, always `bridge` (see below). */
type MacvlanParams = { readonly mode: 'bridge' };

/**
 * MACVLAN in bridge mode: a sub-interface of the underlay device with its own MAC address.
 * No encapsulation at all: frames cross the underlay segment as they are, so it only joins
 * hosts on ONE Ethernet segment (the embedded lab's WAN bridge is one; a routed underlay
 * between real sites is not). The parent device cannot reach its own macvlans, which does
 * not matter here: the peers are other hosts. `mode bridge` lets two macvlans of one parent
 * (a hub's links) reach each other without a hairpinning switch.
 *
 * Proven in Debian's 6.1 kernel (scripts/fullkernel) and on this machine's kernel, two
 * namespaces on a bridge running the rendered up.sh/down.sh: a DF ping filling the planned MTU
 * crosses, one byte more does not, the sender's Ip FragCreates stays put, and the device
 * refuses an MTU one byte larger than its parent's. IPv4 underlay:
 *   1500 → 1500   9000 → 9000   (overhead 0 whatever the family)
 */
export const macvlan = defineKind<Record<string, never>, MacvlanParams>({
  id: 'macvlan',
  label: 'MACVLAN (bridge mode; hosts on one L2 segment)',
  layer: 'L2',
  encrypted: false,
  model: 'p2p',
  capabilities: { shapes: perLink('macvlan sub-interface (bridge mode) of the underlay device'), underlay: anyFamily('frames cross the underlay Ethernet segment as they are') },
  ifPrefix: 'mv',
  options: z.strictObject({}),
  transport: () => 'the underlay Ethernet segment, no encapsulation',
  requirements: () => ({ modules: ['macvlan'], packages: ['iproute2'], binaries: ['ip'], probe: 'ip link add link olprobe0 name olprobe2 type macvlan mode bridge' }),
  overhead: () => 0,
  plan: () => ({ params: { mode: 'bridge' }, secrets: [] }),
  render: ({ net, self }) => {
    const me = net.members[self]!;
    return {
      files: [],
      up: [guardLink(me.ifname, 'ip', 'link', 'add', 'link', me.underlayDev, 'name', me.ifname, 'type', 'macvlan', 'mode', net.params.mode), ...configureLink(me, net.mtu)],
      down: [deleteLink(me.ifname)],
      routeDev: me.ifname,
    };
  },
});
