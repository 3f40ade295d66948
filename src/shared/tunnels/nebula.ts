import { z } from 'zod';
import { cmd, q } from '../shell.js';
import { bare, configureLink, deleteLink, endpoint, ipHeader, routesOf, UDP_HEADER } from './common.js';
import { lanOwnerIndex } from './tinc.js';
import { bothFamilies } from './capabilities.js';
import { defineKind, type Member } from './types.js';

const Options = z.strictObject({
  /** UDP port of every node; the lighthouse must have a fixed one, and the others keep it simple. */
  port: z.number().int().min(1).max(65535).default(4242),
  /** Data cipher, identical on all nodes (Nebula refuses mixed ones): AES-256-GCM or ChaCha20-Poly1305. */
  cipher: z.enum(['aes', 'chachapoly']).default('aes'),
});
type Options = z.output<typeof Options>;

/** The network's name (its directory, pid and log files), port, cipher, and the lighthouse's member index. */
type NebulaParams = { readonly netname: string; readonly port: number; readonly cipher: Options['cipher']; readonly lighthouse: number };

/** Nebula's header in front of every data packet: version/type, subtype, reserved, remote index, counter. */
const NEBULA_HEADER = 16;
/** AES-GCM and ChaCha20-Poly1305 both append a 16-byte tag; neither pads. */
const AEAD_TAG = 16;

const caRef = (net: string): string => `nebula/${net}/ca`;
const certRef = (net: string, host: string): string => `nebula/${net}/${host}`;

/**
 * The LAN behind a member, if the plan hands it to kinds. The `Member` contract does not carry
 * LANs yet; until it does, certificates list no subnets and Nebula drops traffic to and from
 * LANs (its firewall only accepts addresses in the peers' certificates).
 */
const lanOf = (m: Member): string[] => ('lan' in m && typeof m.lan === 'string' ? [m.lan] : []);

/**
 * Nebula 1.6 (Slack's overlay, Noise handshakes, certificates from one CA): one daemon per host.
 * One member is the lighthouse: the best-linked one (the hub of a hub-spoke or multi-site), the
 * first one when all are alike. The others know only the lighthouse's underlay address and learn
 * each other's from it; data then flows directly between the two hosts of a pair.
 *
 * Overhead: outer IP + UDP + Nebula header (16) + AEAD tag (16), no padding. Proven with
 * don't-fragment pings on this machine's kernel (nebula 1.6.1, both ciphers): IPv4 underlay
 * 1500 → inner MTU 1440, 9000 → 8940 cross without the sender fragmenting, one byte more does
 * not; IPv6 underlay: 1420 and 8920 by the same arithmetic. Nebula's own default (1300) would
 * waste 140 bytes a packet, so `tun.mtu` is always set.
 */
export const nebula = defineKind<Options, NebulaParams>({
  id: 'nebula',
  label: 'Nebula',
  layer: 'L3',
  encrypted: true,
  natTraversal: 'UDP with the lighthouse\'s hole punching',
  model: 'mesh',
  capabilities: {
    shapes: {
      'site-to-site': { how: 'one nebula daemon and interface per host; the first is the lighthouse' },
      'multi-site': { how: 'one daemon and interface per host; the main site is the lighthouse, the sites learn each other\'s underlay addresses from it and then talk directly' },
      'hub-spoke': { how: 'one daemon and interface per host; the hub is the lighthouse, the spokes learn each other\'s underlay addresses from it and then talk directly (a LAN\'s unsafe_route points at its own host, not the hub)' },
      mesh: { how: 'one daemon and interface per host; the first host is the lighthouse, every pair talks directly' },
    },
    underlay: bothFamilies('the lighthouse and the peers at their IPv4 underlay addresses', 'the lighthouse and the peers at their IPv6 underlay addresses'),
  },
  ifPrefix: 'neb',
  options: Options,
  transport: (o) => `UDP ${o.port}`,
  requirements: (o) => ({ modules: ['tun'], packages: ['nebula'], binaries: ['nebula', 'ip'], probe: 'test -c /dev/net/tun', ports: [{ proto: 'udp', port: o.port }] }),
  overhead: (_o, family) => ipHeader(family) + UDP_HEADER + NEBULA_HEADER + AEAD_TAG,
  plan: (d) => {
    const degree = d.members.map((_, i) => d.edges.filter(([a, b]) => a === i || b === i).length);
    const lighthouse = degree.indexOf(Math.max(...degree));
    return {
      params: { netname: `overlab-${d.id}`, port: d.options.port, cipher: d.options.cipher, lighthouse },
      secrets: [
        { ref: caRef(d.id), kind: { type: 'nebula-ca' as const, name: `overlab ${d.id}` } },
        ...d.members.map((m) => ({ ref: certRef(d.id, m.host), kind: { type: 'nebula-cert' as const, ca: caRef(d.id), name: m.host, ip: m.address, subnets: lanOf(m) } })),
      ],
    };
  },
  render: ({ net, self, secret, runDir }) => {
    const me = net.members[self]!;
    const p = net.params;
    const dir = `/etc/nebula/${p.netname}`;
    const lh = net.members[p.lighthouse]!;
    const amLighthouse = self === p.lighthouse;
    const owners = lanOwnerIndex(net);
    // Traffic for a LAN goes straight to the member that owns it: only its certificate lists
    // that LAN, and Nebula checks both ends of every packet against the certificates.
    const unsafeRoutes = routesOf(net, me.host).map((r) => ({ route: r.dst, via: bare(net.members[owners.get(r.dst)!]!.address) }));
    const s = JSON.stringify;
    const hostBits = me.underlay.includes(':') ? 128 : 32;
    const config = [
      `# Nebula 1.6 for ${me.host}, network ${net.id} (Overlab). Generated: change the project, not this file.`,
      'pki:',
      `  ca: ${dir}/ca.crt`,
      `  cert: ${dir}/host.crt`,
      `  key: ${dir}/host.key`,
      ...(amLighthouse ? ['static_host_map: {}'] : ['static_host_map:', `  ${s(bare(lh.address))}: [${s(endpoint(lh.underlay, p.port))}]`]),
      'lighthouse:',
      `  am_lighthouse: ${String(amLighthouse)}`,
      '  interval: 60',
      ...(amLighthouse ? ['  hosts: []'] : ['  hosts:', `    - ${s(bare(lh.address))}`]),
      // Advertise the planned underlay address only (not the management or LAN addresses), so
      // that peers reach each other where the plan says.
      '  local_allow_list:',
      `    ${s(`${me.underlay}/${hostBits}`)}: true`,
      'listen:',
      `  host: ${s(me.underlay.includes(':') ? '[::]' : '0.0.0.0')}`,
      `  port: ${p.port}`,
      'punchy:',
      '  punch: true',
      `cipher: ${p.cipher}`,
      'tun:',
      '  disabled: false',
      `  dev: ${me.ifname}`,
      '  drop_local_broadcast: false',
      '  drop_multicast: false',
      '  tx_queue: 500',
      `  mtu: ${net.mtu}`,
      '  routes: []',
      ...(unsafeRoutes.length === 0 ? ['  unsafe_routes: []'] : ['  unsafe_routes:', ...unsafeRoutes.flatMap((r) => [`    - route: ${r.route}`, `      via: ${r.via}`])]),
      'logging:',
      '  level: info',
      '  format: text',
      // The lab trusts every member of its own CA: any protocol, any port, both ways.
      'firewall:',
      '  conntrack:',
      '    tcp_timeout: 12m',
      '    udp_timeout: 3m',
      '    default_timeout: 10m',
      '  outbound:',
      '    - port: any',
      '      proto: any',
      '      host: any',
      '  inbound:',
      '    - port: any',
      '      proto: any',
      '      host: any',
      '',
    ].join('\n');

    const conf = `${dir}/config.yml`;
    const pid = `${runDir}/nebula-${p.netname}.pid`;
    const log = `${runDir}/nebula-${p.netname}.log`;
    return {
      files: [
        { path: conf, mode: 0o644, content: config },
        { path: `${dir}/ca.crt`, mode: 0o644, content: secret(caRef(net.id), 'cert') },
        { path: `${dir}/host.crt`, mode: 0o644, content: secret(certRef(net.id, me.host), 'cert') },
        { path: `${dir}/host.key`, mode: 0o600, content: secret(certRef(net.id, me.host), 'key'), secret: true },
      ],
      up: [
        `ol_running ${q(pid)} nebula || { ${cmd('nebula', '-config', conf)} >> ${q(log)} 2>&1 & echo $! > ${q(pid)}; }`,
        cmd('ol_wait_link', me.ifname),
        // Nebula sets the same address and MTU itself; doing it here too means routes can be
        // added as soon as this line is done.
        ...configureLink(me, net.mtu),
      ],
      down: [`ol_stop ${q(pid)} nebula`, deleteLink(me.ifname), `rm -f ${q(log)}`],
      routeDev: me.ifname,
    };
  },
});
