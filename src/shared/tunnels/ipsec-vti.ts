import { z } from 'zod';
import { cmd } from '../shell.js';
import { configureLink, deleteLink, guardLink } from './common.js';
import { espOverhead, ipsecPart, ipsecPlan, ipsecRequirements, ipsecShape, type IpsecParams } from './libreswan.js';
import { perLink, bothFamilies } from './capabilities.js';
import { defineKind } from './types.js';

const Options = z.strictObject({
  ...ipsecShape,
  /** The VTI key, which is also the SA and policy mark; by default 0x4f4c0000 + the link's position among VTI links. */
  key: z.number().int().min(1).max(4294967295).optional(),
});
type Options = z.output<typeof Options>;

/** IPsec's, plus the VTI key (= the SA mark), the device type and the sysctl tree of the inner family. */
type VtiParams = IpsecParams & { readonly key: number; readonly link: 'vti' | 'vti6'; readonly sysctl: 'net.ipv4.conf' | 'net.ipv6.conf' };

/** Marks in a block of their own, away from the small numbers firewalls and routing rules use. */
const KEY_BASE = 0x4f4c0000;

/**
 * IPsec tunnel mode, route-based through a VTI device (`vti`, `vti6` on an IPv6 underlay).
 * The SA selects everything (0/0 both ways) but only packets carrying the mark, and the VTI
 * marks what is routed into it: its `key` equals the SA marks (Libreswan's `mark=`). The
 * decrypted packets come out of the VTI with the mark gone, so the VTI has
 * `disable_policy=1` or the inbound policy check would drop them.
 * The device follows the underlay MTU on its own (1480 on 1500); it is set to the planned one.
 *
 * Proven in Debian's 6.1 kernel (scripts/fullkernel): see the table in ipsec-transport.ts.
 */
export const ipsecVti = defineKind<Options, VtiParams>({
  id: 'ipsec-vti',
  label: 'IPsec tunnel mode (Libreswan, route-based VTI)',
  layer: 'L3',
  encrypted: true,
  natTraversal: 'IKE NAT-T: ESP in UDP 4500 once IKE sees a NAT (libreswan\'s default encapsulation=auto)',
  model: 'p2p',
  capabilities: { shapes: perLink('VTI device with its tunnel-mode SAs'), underlay: bothFamilies('vti, ESP over IPv4', 'vti6, ESP over IPv6') },
  ifPrefix: 'vti',
  options: Options,
  transport: (o) => `ESP (IP proto 50) tunnel mode, ${o.esp}; IKE${o.ike === 'ikev1' ? 'v1' : 'v2'} on UDP 500`,
  requirements: (o) =>
    ipsecRequirements(o, 'tunnel', { modules: ['ip_vti', 'ip6_vti'], probe: 'ip link add olprobe2 type vti local 198.18.255.1 remote 198.18.255.2 key 1' }),
  overhead: (o, family, mtu) => espOverhead(o, 'tunnel', family, mtu),
  plan: (d) => {
    const ipsec = ipsecPlan(d);
    const inner = d.members[0]!.address.includes(':') ? 6 : 4;
    return {
      params: { ...ipsec.params, key: d.options.key ?? KEY_BASE + d.ordinal, link: d.family === 4 ? 'vti' : 'vti6', sysctl: inner === 4 ? 'net.ipv4.conf' : 'net.ipv6.conf' },
      secrets: ipsec.secrets,
    };
  },
  render: (ctx) => {
    const { net, self } = ctx;
    const me = net.members[self]!;
    const peer = net.members[1 - self]!;
    const key = net.params.key;
    const any = me.address.includes(':') ? '::/0' : '0.0.0.0/0';
    const ipsec = ipsecPart(ctx, [{ name: net.params.ipsecConn, type: 'tunnel', leftsubnet: any, rightsubnet: any, mark: key }]);
    return {
      files: ipsec.files,
      up: [
        guardLink(me.ifname, 'ip', 'link', 'add', me.ifname, 'type', net.params.link, 'local', me.underlay, 'remote', peer.underlay, 'key', key),
        cmd('sysctl', '-qw', `${net.params.sysctl}.${me.ifname}.disable_policy=1`),
        ...configureLink(me, net.mtu),
        ...ipsec.up,
      ],
      down: [...ipsec.down, deleteLink(me.ifname)],
      routeDev: me.ifname,
    };
  },
});
