import { z } from 'zod';
import type { Family } from '../net.js';
import { cmd, q } from '../shell.js';
import { bare, configureLink, deleteLink, ipHeader, routeTo, UDP_HEADER } from './common.js';
import { bothFamilies } from './capabilities.js';
import { defineKind, type NetRoute, type Network, type SecretLookup } from './types.js';

/** Digest output sizes: tinc's MACLength may be anything from 0 up to these. */
const DIGEST_BYTES = { sha256: 32, sha512: 64, sha1: 20 } as const;

const Options = z
  .strictObject({
    /** TCP (meta connections) and UDP (packets) port of every daemon. */
    port: z.number().int().min(1).max(65535).default(655),
    /**
     * Packet cipher. Only CBC ciphers: tinc 1.0 restarts the cipher with the same IV for every
     * packet and relies on the encrypted sequence number in front, which is safe for CBC and
     * not for stream modes. Never tinc 1.0's built-in default (Blowfish): OpenSSL 3 has it only
     * in the legacy provider, and tinc then silently carries every packet over TCP.
     */
    cipher: z.enum(['aes-256-cbc', 'aes-128-cbc']).default('aes-256-cbc'),
    /** HMAC digest of UDP packets. */
    digest: z.enum(['sha256', 'sha512', 'sha1']).default('sha256'),
    /** Bytes of the HMAC kept on each packet (tinc's default, 4). */
    macLength: z.number().int().min(0).max(64).default(4),
    /** RSA key size of each daemon. */
    rsaBits: z.union([z.literal(2048), z.literal(3072), z.literal(4096)]).default(2048),
  })
  .superRefine((o, ctx) => {
    const max = DIGEST_BYTES[o.digest];
    if (o.macLength > max) ctx.addIssue({ code: 'custom', path: ['macLength'], message: `must be at most ${max}, the length of a ${o.digest} digest` });
  });
type Options = z.output<typeof Options>;

/** What every member's tinc configuration is made from; lists are by member index. */
type TincParams = {
  readonly netname: string;
  readonly port: number;
  /** tinc's name of each member. */
  readonly names: readonly string[];
  /** `from>to`: member `from` dials member `to` (one per link). */
  readonly connectTo: readonly string[];
  /** Members reached through the links (IndirectData). */
  readonly indirect: readonly number[];
  readonly pmtu: number;
};

/** Cipher block: CBC pads every packet up to a multiple of it (PKCS#7: 1 to 16 bytes, never 0). */
const BLOCK = 16;
/** tinc 1.0 carries the inner packet behind a 14-byte Ethernet header, also in router mode. */
const ETH_IN_PACKET = 14;
const SEQNO = 4;
/**
 * Debian's tincd 1.0.36 is built without `--enable-jumbograms`: its packet buffer is 1518
 * bytes with the Ethernet header, so no inner packet larger than 1504 bytes ever crosses,
 * whatever the underlay.
 */
export const TINC_MAX_INNER = 1518 - ETH_IN_PACKET;

/**
 * The largest inner packet that fits: UDP payload = CBC(seqno 4 + Ethernet 14 + packet) + MAC.
 * CBC always adds 1–16 bytes of padding, so the plaintext must stay one byte short of a whole
 * number of blocks.
 *
 * Proven with don't-fragment pings between network namespaces (this machine's kernel, tinc
 * 1.0.36, aes-256-cbc, sha256, MACLength 4, PMTUDiscovery off so that nothing clamps behind
 * our back): underlay 1500 → 1437 crosses without fragmenting the outer packet, 1438 makes the
 * sender fragment (FragCreates +2); underlay 9000 → 1504 crosses, 1505 is dropped by tincd.
 *   IPv4 underlay 1500: inner MTU 1437 (overhead 63); 9000: 1504 (tinc's own cap).
 *   IPv6 underlay 1500: inner MTU 1421 (overhead 79); 9000: 1504.
 * MACLength 17 was proven too (1421 fits, 1422 fragments). Every ping was one UDP datagram on
 * the sender (Udp OutDatagrams +1, Tcp OutSegs +0), also spoke to spoke through the hub.
 */
export function tincInnerMtu(o: Pick<Options, 'macLength'>, family: Family, underlayMtu: number): number {
  const payload = underlayMtu - ipHeader(family) - UDP_HEADER - o.macLength;
  const fits = Math.floor(payload / BLOCK) * BLOCK - 1 - SEQNO - ETH_IN_PACKET;
  return Math.min(fits, TINC_MAX_INNER);
}

/** tinc names allow letters, digits and `_` only; host names are lowercase letters, digits and `-`. */
const tincName = (host: string): string => host.replace(/-/g, '_');
const keyRef = (net: string, host: string): string => `tinc/${net}/${host}`;

/**
 * The LANs each member must announce as its own `Subnet`: a route's LAN belongs to the member at
 * the end of its chain of next hops inside this network (a LAN reached through another network
 * is announced by the member that leads there).
 */
export function lanOwners(net: Pick<Network, 'members' | 'routes'>): readonly (readonly string[])[] {
  const cached = owners.get(net.routes);
  if (cached && cached.length === net.members.length) return cached;
  const owned = net.members.map((): string[] => []);
  const seen = net.members.map(() => new Set<string>());
  const index = new Map(net.members.map((m, i) => [m.host, i]));
  for (const r of net.routes) {
    let owner = r.viaHost;
    for (let hops = 0; hops < net.members.length; hops++) {
      const next = routeTo(net, owner, r.dst);
      if (!next) break;
      owner = next.viaHost;
    }
    const o = index.get(owner)!;
    if (!seen[o]!.has(r.dst)) {
      seen[o]!.add(r.dst);
      owned[o]!.push(r.dst);
    }
  }
  owners.set(net.routes, owned);
  return owned;
}
/**
 * `connectTo` ("a>b": a dials b) read once per network: each member's peers (either end) and
 * the members it dials, in link order.
 */
function connectionsOf(connectTo: readonly string[], members: number): { peers: number[][]; dials: number[][] } {
  let c = connections.get(connectTo);
  if (!c) {
    c = { peers: Array.from({ length: members }, (): number[] => []), dials: Array.from({ length: members }, (): number[] => []) };
    for (const link of connectTo) {
      const [a, b] = link.split('>').map(Number) as [number, number];
      c.peers[a]!.push(b);
      c.peers[b]!.push(a);
      c.dials[a]!.push(b);
    }
    connections.set(connectTo, c);
  }
  return c;
}
const connections = new WeakMap<readonly string[], { peers: number[][]; dials: number[][] }>();

/** Host files per network and secret lookup: every member holds the same copies. */
const hostFiles = new WeakMap<object, WeakMap<SecretLookup, Map<number, string>>>();
function hostFilesOf(net: object, secret: SecretLookup): Map<number, string> {
  let bySecret = hostFiles.get(net);
  if (!bySecret) hostFiles.set(net, (bySecret = new WeakMap()));
  let files = bySecret.get(secret);
  if (!files) bySecret.set(secret, (files = new Map()));
  return files;
}

/** lanOwners per network (every member's render asks for the same answer). */
const owners = new WeakMap<readonly NetRoute[], string[][]>();

/** LAN → index of the member that announces it (lanOwners, the other way round). */
export function lanOwnerIndex(net: Pick<Network, 'members' | 'routes'>): ReadonlyMap<string, number> {
  const owned = lanOwners(net);
  let ix = ownerIndexes.get(owned);
  if (!ix) {
    ix = new Map();
    owned.forEach((lans, i) => {
      for (const l of lans) if (!ix!.has(l)) ix!.set(l, i);
    });
    ownerIndexes.set(owned, ix);
  }
  return ix;
}
const ownerIndexes = new WeakMap<readonly (readonly string[])[], Map<string, number>>();

/**
 * tinc 1.0 (`tincd`, RSA meta connections, legacy UDP packet protocol): one daemon per host in
 * router mode; each host announces its tunnel address and LANs as `Subnet`s.
 */
export const tinc = defineKind<Options, TincParams>({
  id: 'tinc',
  label: 'tinc 1.0',
  layer: 'L3',
  encrypted: true,
  natTraversal: 'UDP, with TCP meta connections; a node behind a NAT connects out (and tinc relays when UDP is blocked)',
  model: 'mesh',
  capabilities: {
    shapes: {
      'site-to-site': { how: 'one tincd and interface per host (router mode), one ConnectTo between them' },
      'multi-site': { how: 'one tincd and interface per host: the sites ConnectTo the main site and are IndirectData, so site-to-site packets are relayed by the main site\'s daemon' },
      'hub-spoke': { how: 'one tincd and interface per host: the spokes ConnectTo the hub and are IndirectData, so spoke-to-spoke packets are relayed by the hub\'s daemon (as drawn)' },
      mesh: { how: 'one tincd and interface per host, one ConnectTo per link; every pair exchanges packets directly' },
    },
    underlay: bothFamilies('meta connections (TCP) and packets (UDP) to the peers\' IPv4 addresses', 'meta connections (TCP) and packets (UDP) to the peers\' IPv6 addresses'),
  },
  ifPrefix: 'tinc',
  options: Options,
  transport: (o) => `UDP ${o.port} (packets), TCP ${o.port} (meta connections)`,
  requirements: (o) => ({
    modules: ['tun'],
    packages: ['tinc'],
    binaries: ['tincd', 'ip'],
    probe: 'test -c /dev/net/tun',
    ports: [
      { proto: 'tcp', port: o.port },
      { proto: 'udp', port: o.port },
    ],
  }),
  overhead: (o, family, underlayMtu) => underlayMtu - tincInnerMtu(o, family, underlayMtu),
  plan: (d) => {
    const n = d.members.length;
    const degree = d.members.map((_, i) => d.edges.filter(([a, b]) => a === i || b === i).length);
    return {
      params: {
        netname: `overlab-${d.id}`,
        port: d.options.port,
        names: d.members.map((m) => tincName(m.host)),
        // The higher-numbered end of each link dials the lower one: spokes dial their hub.
        connectTo: d.edges.map(([a, b]) => `${Math.max(a, b)}>${Math.min(a, b)}`),
        // A member not linked to every other member is reached through the links
        // (IndirectData): spoke-to-spoke traffic crosses the hub, as drawn.
        indirect: degree.flatMap((k, i) => (k < n - 1 ? [i] : [])),
        // tinc's idea of the path MTU, fixed to the plan (its packet length counts the Ethernet header).
        pmtu: Math.min(d.mtu + ETH_IN_PACKET, TINC_MAX_INNER + ETH_IN_PACKET),
      },
      secrets: d.members.map((m) => ({ ref: keyRef(d.id, m.host), kind: { type: 'rsa' as const, bits: d.options.rsaBits } })),
    };
  },
  render: ({ net, self, secret, runDir }) => {
    const me = net.members[self]!;
    const o = net.options;
    const p = net.params;
    const { names, netname } = p;
    const dir = `/etc/tinc/${netname}`;
    const { peers: peersOf, dials: dialsOf } = connectionsOf(p.connectTo, net.members.length);
    const peers = peersOf[self]!;
    const dials = dialsOf[self]!;
    const indirect = new Set(p.indirect);
    const lans = lanOwners(net);

    const conf = [
      `Name = ${names[self]!}`,
      `Interface = ${me.ifname}`,
      'Mode = router',
      `AddressFamily = ${net.family === 4 ? 'ipv4' : 'ipv6'}`,
      `PrivateKeyFile = ${dir}/rsa_key.priv`,
      ...dials.map((i) => `ConnectTo = ${names[i]!}`),
    ];
    // Each daemon reads its own host file for its own settings (what it receives with, whether
    // it may be reached directly); the copies its peers hold are identical.
    // Made once per network and member, not once per member that holds a copy (N² in a mesh).
    const made = hostFilesOf(net, secret);
    const hostFile = (i: number): string => {
      const done = made.get(i);
      if (done !== undefined) return done;
      const m = net.members[i]!;
      const hostBits = m.address.includes(':') ? 128 : 32;
      const text = [
        `# ${m.host}`,
        `Address = ${m.underlay}`,
        `Port = ${p.port}`,
        `Subnet = ${bare(m.address)}/${hostBits}`,
        ...lans[i]!.map((l) => `Subnet = ${l}`),
        `Cipher = ${o.cipher}`,
        `Digest = ${o.digest}`,
        `MACLength = ${o.macLength}`,
        // Discovery would send packets over TCP until its probes finish, and clamp on its own;
        // the plan already knows the MTU.
        'PMTUDiscovery = no',
        `PMTU = ${p.pmtu}`,
        ...(indirect.has(i) ? ['IndirectData = yes'] : []),
        secret(keyRef(net.id, m.host), 'public').trim(),
        '',
      ].join('\n');
      made.set(i, text);
      return text;
    };

    const pid = `${runDir}/tinc-${netname}.pid`;
    const log = `${runDir}/tinc-${netname}.log`;
    return {
      files: [
        { path: `${dir}/tinc.conf`, mode: 0o644, content: `${conf.join('\n')}\n` },
        { path: `${dir}/rsa_key.priv`, mode: 0o600, content: secret(keyRef(net.id, me.host), 'private'), secret: true },
        ...[self, ...peers].map((i) => ({ path: `${dir}/hosts/${names[i]!}`, mode: 0o644, content: hostFile(i) })),
      ],
      up: [
        // -D keeps tincd in the foreground, so $! is its pid; it writes the same pid file itself.
        `ol_running ${q(pid)} tincd || { ${cmd('tincd', '-n', netname, '-D', `--pidfile=${pid}`, `--logfile=${log}`)} >/dev/null 2>&1 & echo $! > ${q(pid)}; }`,
        cmd('ol_wait_link', me.ifname),
        ...configureLink(me, net.mtu),
      ],
      down: [`ol_stop ${q(pid)} tincd`, deleteLink(me.ifname), `rm -f ${q(log)}`],
      routeDev: me.ifname,
    };
  },
});
