import { z } from 'zod';
import { cmd, q } from '../shell.js';
import { configureLink, deleteLink, guardLink } from './common.js';
import { espOverhead, ipsecPart, ipsecPlan, ipsecRequirements, ipsecShape, type IpsecParams } from './libreswan.js';
import { perLink, bothFamilies } from './capabilities.js';
import { defineKind } from './types.js';

const Options = z.strictObject({
  ...ipsecShape,
  /** XFRM interface id (the device is `ipsec<id>`); by default 100 + the link's position among XFRMi links. */
  ifId: z.number().int().min(1).max(65535).optional(),
});
type Options = z.output<typeof Options>;

/** IPsec's, plus the XFRM interface's if_id and its device name (`ipsec<if_id>`). */
type XfrmiParams = IpsecParams & { readonly ifId: number; readonly device: string };

/**
 * IPsec tunnel mode, route-based through an XFRM interface: the SA selects everything (0/0
 * both ways) for the interface's `if_id` only, so what is routed into the interface is
 * encrypted and what the SA decrypts comes out of it.
 *
 * Libreswan (`ipsec-interface=N`) drives only an interface named `ipsecN` whose if_id is N, so
 * that is the device's name; up.sh creates it (pluto then uses it and leaves it alone) and
 * gives it the planned name as an altname, so that the plan's interface name finds it too.
 * An XFRM interface does not follow the underlay MTU (it stays 1500 on a 9000 underlay): the
 * planned MTU is set on it.
 *
 * Proven in Debian's 6.1 kernel (scripts/fullkernel): see the table in ipsec-transport.ts.
 */
export const ipsecXfrmi = defineKind<Options, XfrmiParams>({
  id: 'ipsec-xfrmi',
  label: 'IPsec tunnel mode (Libreswan, route-based XFRM interface)',
  layer: 'L3',
  encrypted: true,
  natTraversal: 'IKE NAT-T: ESP in UDP 4500 once IKE sees a NAT (libreswan\'s default encapsulation=auto)',
  model: 'p2p',
  capabilities: { shapes: perLink('XFRM interface with its tunnel-mode SAs'), underlay: bothFamilies('xfrm interface, ESP over IPv4', 'xfrm interface, ESP over IPv6') },
  ifPrefix: 'xfi',
  options: Options,
  transport: (o) => `ESP (IP proto 50) tunnel mode, ${o.esp}; IKE${o.ike === 'ikev1' ? 'v1' : 'v2'} on UDP 500`,
  requirements: (o) => ipsecRequirements(o, 'tunnel', { modules: ['xfrm_interface'], probe: 'ip link add olprobe2 type xfrm dev olprobe0 if_id 1' }),
  overhead: (o, family, mtu) => espOverhead(o, 'tunnel', family, mtu),
  plan: (d) => {
    const ipsec = ipsecPlan(d);
    const ifId = d.options.ifId ?? 100 + d.ordinal;
    return { params: { ...ipsec.params, ifId, device: `ipsec${ifId}` }, secrets: ipsec.secrets };
  },
  render: (ctx) => {
    const { net, self } = ctx;
    const me = net.members[self]!;
    const { ifId, device: dev } = net.params;
    const any = me.address.includes(':') ? '::/0' : '0.0.0.0/0';
    const ipsec = ipsecPart(ctx, [{ name: net.params.ipsecConn, type: 'tunnel', leftsubnet: any, rightsubnet: any, ipsecInterface: ifId }]);
    return {
      files: ipsec.files,
      up: [
        // Before the connection is added: pluto would otherwise create ipsecN itself, and delete it with the connection.
        guardLink(dev, 'ip', 'link', 'add', dev, 'type', 'xfrm', 'dev', me.underlayDev, 'if_id', ifId),
        `ip link show dev ${q(me.ifname)} >/dev/null 2>&1 || ${cmd('ip', 'link', 'property', 'add', 'dev', dev, 'altname', me.ifname)}`,
        ...configureLink({ ...me, ifname: dev }, net.mtu),
        ...ipsec.up,
      ],
      down: [...ipsec.down, deleteLink(dev)],
      routeDev: dev,
    };
  },
});
