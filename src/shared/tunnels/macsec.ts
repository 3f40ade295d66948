import { z } from 'zod';
import { cmd, q } from '../shell.js';
import { configureLink, deleteLink } from './common.js';
import { perLink, anyFamily } from './capabilities.js';
import { defineKind } from './types.js';

/** SecTAG with the SCI (EtherType 2 + TCI/AN 1 + SL 1 + PN 4 + SCI 8) and the GCM ICV. */
const SECTAG = 16;
const ICV = 16;
/** The port of every SCI: one secure channel per device. */
const PORT = 1;

const txKeyRef = (net: string, host: string): string => `macsec/${net}/${host}-tx`;
const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** The SCI port, and per member its planned MAC and the key id of its TX SA (by member index). */
type MacsecParams = { readonly port: number; readonly macs: readonly string[]; readonly keyIds: readonly string[] };

/**
 * A locally administered unicast MAC (02:…) per member, from the network's position among
 * MACsec networks and the member's index. The receiver names the peer's channel by its SCI,
 * which is the peer device's MAC + port; the underlay's own MAC is random in the lab and
 * unknowable at plan time, so each MACsec device gets this planned MAC instead.
 */
const planMac = (ordinal: number, member: number): string => ['02', '6f', hex2((ordinal >> 16) & 255), hex2((ordinal >> 8) & 255), hex2(ordinal & 255), hex2(member + 1)].join(':');

/**
 * MACsec (IEEE 802.1AE) with static keys: a sub-interface of the underlay device that
 * encrypts and authenticates every frame with GCM-AES-128, one TX secure association with
 * this end's key and one RX channel (the peer's SCI) with the peer's TX key. Like MACVLAN
 * it does not leave the Ethernet segment: only hosts on ONE L2 segment (the embedded lab's
 * WAN bridge is one). No key agreement (MKA) runs: the 32-bit packet number of a static SA
 * runs out after 2^32 frames, ample for a lab.
 *
 * Proven in Debian's 6.1 kernel (scripts/fullkernel; two namespaces on a bridge, the rendered
 * up.sh/down.sh): a DF ping filling the planned MTU crosses, one byte more does not, the sender's
 * Ip FragCreates stays put, and with the device set one byte larger that packet is dropped or
 * fragmented, so the figure is exact, not merely safe. IPv4 underlay:
 *   1500 → 1468   9000 → 8968   (SecTAG with SCI 16 + ICV 16, whatever the family; 4-host mesh too)
 */
export const macsec = defineKind<Record<string, never>, MacsecParams>({
  id: 'macsec',
  label: 'MACsec (static keys, GCM-AES-128; hosts on one L2 segment)',
  layer: 'L2',
  encrypted: true,
  model: 'p2p',
  capabilities: { shapes: perLink('MACsec sub-interface of the underlay device (one secure channel per peer)'), underlay: anyFamily('MACsec frames on the underlay Ethernet segment') },
  ifPrefix: 'ms',
  // Nothing to choose: static SAs, encryption on, GCM-AES-128, as the paper measured.
  options: z.strictObject({}),
  transport: () => 'the underlay Ethernet segment, EtherType 0x88e5',
  requirements: () => ({
    modules: ['macsec'],
    packages: ['iproute2'],
    binaries: ['ip'],
    // Adding an SA proves the kernel has the cipher, not only the device.
    probe: 'ip link add link olprobe0 name olprobe2 type macsec port 1 encrypt on cipher gcm-aes-128 && ip macsec add olprobe2 tx sa 0 pn 1 on key 01 000102030405060708090a0b0c0d0e0f',
  }),
  overhead: () => SECTAG + ICV,
  plan: (d) => ({
    params: { port: PORT, macs: d.members.map((_m, i) => planMac(d.ordinal, i)), keyIds: d.members.map((_m, i) => hex2(i + 1)) },
    secrets: d.members.map((m) => ({ ref: txKeyRef(d.id, m.host), kind: { type: 'random' as const, bytes: 16, encoding: 'hex' as const } })),
  }),
  render: ({ net, self, secret }) => {
    const me = net.members[self]!;
    const peer = 1 - self;
    const { macs, keyIds, port } = net.params;
    const dev = me.ifname;
    // The SAs carry keys, so they go in a 0600 file read by `ip -batch`, never in argv or up.sh.
    const sa = `/etc/overlab/macsec/${dev}.batch`;
    const rx = ['rx', 'port', port, 'address', macs[peer]!];
    const lines = [
      cmd('macsec', 'add', dev, 'tx', 'sa', 0, 'pn', 1, 'on', 'key', keyIds[self]!, secret(txKeyRef(net.id, me.host), 'value')),
      cmd('macsec', 'add', dev, ...rx),
      cmd('macsec', 'add', dev, ...rx, 'sa', 0, 'pn', 1, 'on', 'key', keyIds[peer]!, secret(txKeyRef(net.id, net.members[peer]!.host), 'value')),
    ];
    const create = cmd('ip', 'link', 'add', 'link', me.underlayDev, 'name', dev, 'address', macs[self]!, 'type', 'macsec', 'port', port, 'encrypt', 'on', 'cipher', 'gcm-aes-128');
    return {
      files: [{ path: sa, mode: 0o600, content: `${lines.join('\n')}\n`, secret: true }],
      up: [
        // Device and SAs are made together: a device left without its SAs by a failure is removed, so a rerun starts afresh.
        `if ! ip link show dev ${q(dev)} >/dev/null 2>&1; then ${create}; ip -batch ${q(sa)} || { ${deleteLink(dev)}; exit 1; }; fi`,
        ...configureLink(me, net.mtu),
      ],
      down: [deleteLink(dev)],
      routeDev: dev,
    };
  },
});
