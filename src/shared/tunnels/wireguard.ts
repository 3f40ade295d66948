import { z } from 'zod';
import { bare, configureLink, deleteLink, endpoint, guardLink, ipHeader, neighbours, peersInLinkOrder, routesVia, UDP_HEADER } from './common.js';
import { cmd, q } from '../shell.js';
import { bothFamilies } from './capabilities.js';
import { defineKind } from './types.js';

const Options = z.strictObject({
  /** `kernel`: the in-kernel module; `go`: wireguard-go over TUN (for kernels without it). */
  implementation: z.enum(['kernel', 'go']).default('kernel'),
  port: z.number().int().min(1).max(65535).default(51820),
  /** Seconds between keepalives; 0 turns them off (all lab peers are reachable). */
  persistentKeepalive: z.number().int().min(0).max(65535).default(0),
  /** Add a pre-shared key per peer pair (post-quantum hedge, as `wg genpsk`). */
  presharedKey: z.boolean().default(false),
});
type Options = z.output<typeof Options>;

/** The UDP port every member listens on. */
type WireguardParams = { readonly port: number };

const keyRef = (net: string, host: string): string => `wireguard/${net}/${host}`;
const pskRef = (net: string, a: string, b: string): string => `wireguard/${net}/psk-${[a, b].sort().join('-')}`;

/**
 * For every member, the neighbour of `self` through which the network's links reach it first
 * (breadth-first, lower member index first); -1 for `self` and for members it cannot reach.
 * A spoke reaches the other spokes' tunnel addresses through the hub.
 */
export function firstHops(members: number, edges: readonly (readonly [number, number])[], self: number): number[] {
  const adj = neighbours(members, edges);
  const hop = Array.from({ length: members }, () => -1);
  const seen = new Uint8Array(members);
  seen[self] = 1;
  const queue = [self];
  let unseen = members - 1;
  // Stops once every member is reached: in a full mesh that is after self's own neighbours.
  for (let qi = 0; qi < queue.length && unseen > 0; qi++) {
    const cur = queue[qi]!;
    for (const n of adj[cur]!) {
      if (seen[n]) continue;
      seen[n] = 1;
      unseen--;
      hop[n] = cur === self ? n : hop[cur]!;
      queue.push(n);
    }
  }
  return hop;
}

/** WireGuard: one interface per host, every linked host a peer. */
export const wireguard = defineKind<Options, WireguardParams>({
  id: 'wireguard',
  label: 'WireGuard',
  layer: 'L3',
  encrypted: true,
  natTraversal: 'UDP; the end behind the NAT sends first and keeps the mapping open (PersistentKeepalive)',
  model: 'mesh',
  capabilities: {
    shapes: {
      'site-to-site': { how: 'one WireGuard interface on each host, with the other as its peer' },
      'multi-site': { how: 'one interface per host: the main site has every site as a peer, each site the main site only (its AllowedIPs cover the other sites); site to site crosses the main site, which forwards' },
      'hub-spoke': { how: 'one interface per host: the hub has every spoke as a peer, each spoke the hub only, whose AllowedIPs cover the other spokes\' addresses and LANs; spoke to spoke crosses the hub, which forwards' },
      mesh: { how: 'one interface per host with every other host as a peer; every pair talks directly' },
    },
    underlay: bothFamilies('UDP to the peers\' IPv4 endpoints', 'UDP to the peers\' IPv6 endpoints ([address]:port)'),
  },
  ifPrefix: 'wg',
  options: Options,
  transport: (o) => `UDP ${o.port}`,
  requirements: (o) =>
    o.implementation === 'kernel'
      ? { modules: ['wireguard'], packages: ['wireguard-tools'], binaries: ['wg', 'ip'], probe: 'ip link add olprobe2 type wireguard', ports: [{ proto: 'udp', port: o.port }] }
      : { modules: ['tun'], packages: ['wireguard-tools', 'wireguard-go'], binaries: ['wg', 'wireguard-go', 'ip'], probe: 'test -c /dev/net/tun', ports: [{ proto: 'udp', port: o.port }] },
  // outer IP + UDP + message header (type, receiver, counter: 16) + Poly1305 tag (16).
  // Padding to 16 bytes never pushes a packet past the interface MTU, so it costs nothing here.
  overhead: (_o, family) => ipHeader(family) + UDP_HEADER + 16 + 16,
  plan: (d) => ({
    params: { port: d.options.port },
    secrets: [
      ...d.members.map((m) => ({ ref: keyRef(d.id, m.host), kind: { type: 'x25519' as const } })),
      ...(d.options.presharedKey
        ? d.edges.map(([a, b]) => ({ ref: pskRef(d.id, d.members[a]!.host, d.members[b]!.host), kind: { type: 'random' as const, bytes: 32, encoding: 'base64' as const } }))
        : []),
    ],
  }),
  render: ({ net, self, secret, runDir }) => {
    const me = net.members[self]!;
    const o = net.options;
    const conf = `/etc/wireguard/${me.ifname}.conf`;
    const peerIdx = peersInLinkOrder(net.members.length, net.edges)[self]!;
    const hops = firstHops(net.members.length, net.edges, self);
    // Members not linked to this one are reached through the peer that leads to them.
    const isPeer = new Set(peerIdx);
    const beyondOf = new Map<number, number[]>();
    net.members.forEach((_m, i) => {
      const via = hops[i]!;
      if (i === self || isPeer.has(i) || via < 0) return;
      const list = beyondOf.get(via);
      if (list) list.push(i);
      else beyondOf.set(via, [i]);
    });
    const lines = ['[Interface]', `PrivateKey = ${secret(keyRef(net.id, me.host), 'private')}`, `ListenPort = ${net.params.port}`];
    for (const pi of peerIdx) {
      const p = net.members[pi]!;
      const lans = routesVia(net, me.host, p.host).map((r) => r.dst);
      const hostBits = p.address.includes(':') ? 128 : 32;
      const beyond = (beyondOf.get(pi) ?? []).map((i) => `${bare(net.members[i]!.address)}/${hostBits}`);
      lines.push('', `# ${p.host}`, '[Peer]', `PublicKey = ${secret(keyRef(net.id, p.host), 'public')}`);
      if (o.presharedKey) lines.push(`PresharedKey = ${secret(pskRef(net.id, me.host, p.host), 'value')}`);
      lines.push(`Endpoint = ${endpoint(p.underlay, net.params.port)}`, `AllowedIPs = ${[`${bare(p.address)}/${hostBits}`, ...beyond, ...lans].join(', ')}`);
      if (o.persistentKeepalive > 0) lines.push(`PersistentKeepalive = ${o.persistentKeepalive}`);
    }
    const pid = `${runDir}/${me.ifname}.pid`;
    const create =
      o.implementation === 'kernel'
        ? [guardLink(me.ifname, 'ip', 'link', 'add', me.ifname, 'type', 'wireguard')]
        : [
            // wireguard-go puts its control socket in /run/wireguard and leaves the directory
            // behind; made here, it is recorded and removed by down.sh.
            cmd('ol_mkdir', '/run/wireguard'),
            // Foreground mode keeps the real pid, so down.sh stops exactly this process.
            `ol_running ${q(pid)} wireguard-go || { WG_PROCESS_FOREGROUND=1 wireguard-go -f ${q(me.ifname)} >/dev/null 2>&1 & echo $! > ${q(pid)}; }`,
            cmd('ol_wait_link', me.ifname),
            // It opens its control socket after it made the TUN device: wg setconf in between
            // finds no socket, falls back to the kernel's netlink and fails.
            cmd('ol_wait_sock', `/run/wireguard/${me.ifname}.sock`),
          ];
    return {
      files: [{ path: conf, mode: 0o600, content: `${lines.join('\n')}\n`, secret: true }],
      up: [...create, cmd('wg', 'setconf', me.ifname, conf), ...configureLink(me, net.mtu)],
      down: o.implementation === 'kernel' ? [deleteLink(me.ifname)] : [`ol_stop ${q(pid)} wireguard-go`, deleteLink(me.ifname)],
      routeDev: me.ifname,
    };
  },
});
