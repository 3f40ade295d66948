import { z } from 'zod';
import type { Family } from '../net.js';
import { parsePrefix, type Prefix } from '../net.js';
import { cmd, q } from '../shell.js';
import { UDP_HEADER, bare, configureLink, deleteLink, guardLink, ipHeader, routesVia } from './common.js';
import { bothFamilies } from './capabilities.js';
import { defineKind, type BundleFile, type Network } from './types.js';

/**
 * ocserv (OpenConnect VPN server) on the hub, the openconnect client on every spoke: the
 * AnyConnect protocol, data over DTLS 1.2 (UDP), control over TLS (TCP) on the same port.
 *
 * ocserv leases addresses and makes one tun device per client (`<device><n>`, local address
 * the network's first, peer the client's); each client's per-user file pins its planned
 * address (`explicit-ipv4`) and names the LANs behind it (`iroute`, which ocserv turns into
 * kernel routes on that client's device through `route-add-cmd`). On a spoke, up.sh makes
 * the tun device itself with the planned address and MTU, and openconnect attaches to it
 * with a no-op `--script`: it configures nothing (no routes, no DNS).
 *
 * MTU: ocserv computes each client's data MTU itself, as link MTU − (IP + UDP + DTLS
 * overhead of the negotiated cipher + 1 AnyConnect header byte), the link MTU being the
 * smaller of its `mtu` setting (default: the tun device's 1500, whatever the underlay) and the
 * client's X-CSTP-Base-MTU; it sets the server-side device to it and announces it to the
 * client. The plan makes that computation land on its own MTU: the DTLS cipher is pinned
 * through `tls-priorities`, and `mtu` (and openconnect's `--base-mtu`) is the plan's MTU plus
 * that overhead. ocserv 1.1.6 logs "DTLS overhead is 66" for AES-256-GCM over IPv4.
 *
 * Proven MTU (lab namespaces on this machine's kernel, ocserv 1.1.6, openconnect 9.01): the
 * DF ping that fills the MTU crosses in both directions over UDP (DTLS) — the sender's
 * `Ip: FragCreates` and `Tcp: OutSegs` unchanged — and one byte more is refused; with
 * ocserv's link MTU raised by one, the 1-byte-larger packet fragments the outer UDP from the
 * client (openconnect does not set DF) and is dropped by ocserv. AES-256-GCM: underlay
 * 1500 → 1434, 9000 → 8934 (also AES-128-GCM); CHACHA20-POLY1305: 1500 → 1442. Hub-spoke
 * with 3 spokes and multi-site too. IPv6 underlays (+20 bytes) follow from ocserv's own
 * count, not run here.
 */

const CIPHERS = ['AES-256-GCM', 'AES-128-GCM', 'CHACHA20-POLY1305'] as const;
type Cipher = (typeof CIPHERS)[number];

const Options = z.strictObject({
  /** One port for both channels: TCP for TLS (control), UDP for DTLS (data). */
  port: z.number().int().min(1).max(65535).default(443),
  /** `password`: a password per spoke (ocserv's plain passwd file, SHA-512 crypt); `certificate`: a client certificate per spoke. */
  auth: z.enum(['password', 'certificate']).default('password'),
  /** The TLS and DTLS cipher; it decides the DTLS record overhead, and so the MTU. */
  cipher: z.enum(CIPHERS).default('AES-256-GCM'),
});
type Options = z.infer<typeof Options>;

/** The port of both channels, ocserv's link MTU (the plan's MTU + the DTLS overhead), and the prefix of its per-client devices. */
type OpenconnectParams = { readonly port: number; readonly linkMtu: number; readonly device: string };

/**
 * Bytes per data packet: outer IP + UDP + DTLS 1.2 record header (13) + for AES-GCM an 8-byte
 * explicit nonce (ChaCha20-Poly1305's nonce is implicit) + 16-byte tag + 1-byte AnyConnect
 * packet type.
 */
const overheadOf = (cipher: Cipher, family: Family): number => ipHeader(family) + UDP_HEADER + 13 + (cipher === 'CHACHA20-POLY1305' ? 0 : 8) + 16 + 1;

/** GnuTLS priorities that leave only the chosen cipher, for TLS 1.2/1.3 and DTLS 1.2 alike. */
const priorities = (cipher: Cipher): string => `NORMAL:%SERVER_PRECEDENCE:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-DTLS1.0:-CIPHER-ALL:+${cipher}`;

const caRef = (net: string): string => `openconnect/${net}/ca`;
const certRef = (net: string, host: string): string => `openconnect/${net}/${host}`;
const passwordRef = (net: string, host: string): string => `openconnect/${net}/${host}-password`;

const LOG_DIR = '/var/log/overlab';

function serverFiles(net: Network<Options, OpenconnectParams>, self: number, secret: (ref: string, part?: string) => string, runDir: string): BundleFile[] {
  const me = net.members[self]!;
  const o = net.options;
  const dir = `/etc/ocserv/${me.ifname}`;
  const pool = parsePrefix(net.subnet) as Prefix;
  const v4 = pool.family === 4;
  const clients = net.members.filter((_, i) => i !== self);
  const conf = [
    `# Overlab: ocserv of network ${net.id} on ${me.host}. Generated; change the project, not this file.`,
    o.auth === 'password' ? `auth = "plain[passwd=${dir}/passwd]"` : 'auth = "certificate"',
    `listen-host = ${me.underlay}`,
    `tcp-port = ${net.params.port}`,
    `udp-port = ${net.params.port}`,
    'run-as-user = nobody',
    'run-as-group = nogroup',
    // Its own sockets and pid file, not the packaged instance's.
    `socket-file = ${runDir}/${me.ifname}-ocserv.sock`,
    `occtl-socket-file = ${runDir}/${me.ifname}-occtl.sock`,
    'use-occtl = true',
    `pid-file = ${runDir}/${me.ifname}.pid`,
    // Writes nothing outside its own files (no utmp records).
    'use-utmp = false',
    `server-cert = ${dir}/server.crt`,
    `server-key = ${dir}/server.key`,
    ...(o.auth === 'certificate' ? [`ca-cert = ${dir}/ca.crt`, 'cert-user-oid = 2.5.4.3'] : []),
    'keepalive = 32400',
    'dpd = 90',
    'mobile-dpd = 1800',
    // The MTU stays the planned one.
    'try-mtu-discovery = false',
    // A spoke that retries while the hub is still starting must not get its address banned.
    'max-ban-score = 0',
    'auth-timeout = 240',
    // How long a dropped client may resume its session without logging in again.
    'cookie-timeout = 300',
    'deny-roaming = false',
    'rekey-time = 172800',
    'rekey-method = ssl',
    `tls-priorities = "${priorities(o.cipher)}"`,
    // The link MTU from which ocserv subtracts the DTLS overhead: the plan's MTU comes out.
    `mtu = ${net.params.linkMtu}`,
    `device = ${net.params.device}`,
    'ping-leases = false',
    // The server's own address on every client device is the network's first, as the plan has it.
    v4 ? `ipv4-network = ${net.subnet}` : `ipv6-network = ${net.subnet}`,
    `config-per-user = ${dir}/users/`,
    // iroutes: the server's routes to the LANs behind each client, on that client's device.
    'route-add-cmd = "ip route replace %{RI} dev %{D}"',
    'route-del-cmd = "ip route delete %{RI} dev %{D}"',
    '',
  ];
  const files: BundleFile[] = [
    { path: `${dir}/ocserv.conf`, mode: 0o644, content: conf.join('\n') },
    { path: `${dir}/server.crt`, mode: 0o644, content: secret(certRef(net.id, me.host), 'cert') },
    { path: `${dir}/server.key`, mode: 0o600, content: secret(certRef(net.id, me.host), 'key'), secret: true },
  ];
  if (o.auth === 'certificate') files.push({ path: `${dir}/ca.crt`, mode: 0o644, content: secret(caRef(net.id), 'cert') });
  else {
    const passwd = clients.map((m) => `${m.host}:*:${secret(passwordRef(net.id, m.host), 'hash')}`);
    files.push({ path: `${dir}/passwd`, mode: 0o600, content: `${passwd.join('\n')}\n`, secret: true });
  }
  for (const m of clients) {
    const lans = routesVia(net, me.host, m.host).map((r) => r.dst);
    const user = [
      `# ${m.host}: its planned address, and the networks behind it.`,
      v4 ? `explicit-ipv4 = ${bare(m.address)}` : `explicit-ipv6 = ${bare(m.address)}`,
      ...lans.map((l) => `iroute = ${l}`),
      '',
    ];
    files.push({ path: `${dir}/users/${m.host}`, mode: 0o644, content: user.join('\n') });
  }
  return files;
}

export const openconnect = defineKind<Options, OpenconnectParams>({
  id: 'openconnect',
  label: 'OpenConnect (ocserv)',
  layer: 'L3',
  encrypted: true,
  natTraversal: 'TLS over TCP 443 (and DTLS over UDP) from the client to the server',
  model: 'star',
  capabilities: {
    shapes: {
      'site-to-site': { how: 'the first host runs the ocserv server, the other connects as its client (a tun device per client on the server, one on the client)' },
      'multi-site': { how: 'the main site runs ocserv, every other site is a client; site to site crosses the main site, which forwards between the clients\' tun devices' },
      'hub-spoke': { how: 'the hub runs ocserv, every spoke is a client; spoke to spoke crosses the hub, which forwards between the clients\' tun devices (ocserv routes each client\'s LANs to its device)' },
      mesh: { no: 'ocserv is a server with clients: the hub runs ocserv and every other host connects to it. Use hub-spoke (or multi-site), or WireGuard, tinc or Nebula for a mesh.' },
    },
    underlay: bothFamilies('TLS (TCP) and DTLS (UDP) to the server\'s IPv4 address', 'TLS (TCP) and DTLS (UDP) to the server\'s IPv6 address'),
  },
  ifPrefix: 'oc',
  options: Options,
  transport: (o) => `UDP ${o.port} (DTLS) + TCP ${o.port} (TLS)`,
  requirements: (o) => ({
    modules: ['tun'],
    packages: ['ocserv', 'openconnect', 'iproute2'],
    binaries: ['ocserv', 'openconnect', 'ip'],
    probe: 'ip tuntap add dev olprobe2 mode tun',
    ports: [
      { proto: 'tcp', port: o.port, role: 'server' },
      { proto: 'udp', port: o.port, role: 'server' },
    ],
  }),
  overhead: (o, family) => overheadOf(o.cipher, family),
  plan: (d) => {
    const server = d.members.find((m) => m.role === 'server')!;
    return {
      params: {
        port: d.options.port,
        linkMtu: d.mtu + overheadOf(d.options.cipher, d.family),
        // ocserv makes one tun device per client, `<device><n>`.
        device: `${server.ifname}-`,
      },
      secrets: [
        { ref: caRef(d.id), kind: { type: 'x509-ca', commonName: `Overlab ocserv CA ${d.id}` } },
        { ref: certRef(d.id, server.host), kind: { type: 'x509-cert', ca: caRef(d.id), commonName: server.host, usage: 'server', sans: [server.underlay] } },
        ...d.members
          .filter((m) => m.role !== 'server')
          .map((m) =>
            d.options.auth === 'password'
              ? { ref: passwordRef(d.id, m.host), kind: { type: 'password' as const, length: 24 } }
              : { ref: certRef(d.id, m.host), kind: { type: 'x509-cert' as const, ca: caRef(d.id), commonName: m.host, usage: 'client' as const } },
          ),
      ],
    };
  },
  render: ({ net, self, secret, runDir }) => {
    const me = net.members[self]!;
    const pid = `${runDir}/${me.ifname}.pid`;
    if (me.role === 'server') {
      const log = `${LOG_DIR}/ocserv-${me.ifname}.log`;
      const files = serverFiles(net, self, secret, runDir);
      return {
        files,
        up: [
          cmd('ol_mkdir', LOG_DIR),
          `ol_running ${q(pid)} ocserv-main || { ocserv --foreground --config ${q(files[0]!.path)} </dev/null >${q(log)} 2>&1 & echo $! > ${q(pid)}; }`,
          `ol_started ${q(pid)} ocserv-main || { echo ${q(`overlab: ocserv for ${me.ifname} exited; see ${log}`)} >&2; exit 1; }`,
        ],
        down: [`ol_stop ${q(pid)} ocserv-main`, `rm -f ${q(log)}`],
      };
    }
    const server = net.members.find((m) => m.role === 'server')!;
    const log = `${LOG_DIR}/openconnect-${me.ifname}.log`;
    const dir = `/etc/openconnect/${me.ifname}`;
    const o = net.options;
    const files: BundleFile[] =
      o.auth === 'password'
        ? [{ path: `${dir}/password`, mode: 0o600, content: `${secret(passwordRef(net.id, me.host), 'value')}\n`, secret: true }]
        : [
            { path: `${dir}/client.crt`, mode: 0o644, content: secret(certRef(net.id, me.host), 'cert') },
            { path: `${dir}/client.key`, mode: 0o600, content: secret(certRef(net.id, me.host), 'key'), secret: true },
          ];
    const url = `https://${server.underlay.includes(':') ? `[${server.underlay}]` : server.underlay}:${net.params.port}/`;
    const options = [
      `# Overlab: openconnect of network ${net.id} on ${me.host}, server ${server.host}. Generated; change the project, not this file.`,
      'non-inter',
      ...(o.auth === 'password' ? [`user=${me.host}`, 'passwd-on-stdin'] : [`certificate=${dir}/client.crt`, `sslkey=${dir}/client.key`]),
      // Only this network's CA, and a certificate for the server's own address: no system CA is trusted.
      `cafile=${dir}/ca.crt`,
      'no-system-trust',
      '# The link MTU ocserv computes the data MTU from (it takes the smaller of its own and this).',
      `base-mtu=${net.params.linkMtu}`,
      `interface=${me.ifname}`,
      '# up.sh has configured the device: openconnect only carries packets (no routes, no DNS).',
      'script=true',
      '',
    ];
    const conf = `${dir}/openconnect.conf`;
    files.push({ path: `${dir}/ca.crt`, mode: 0o644, content: secret(caRef(net.id), 'cert') }, { path: conf, mode: 0o644, content: options.join('\n') });
    const args = ['openconnect', '--config', conf, url];
    const stdin = o.auth === 'password' ? `${dir}/password` : '/dev/null';
    const fail = `overlab: openconnect for ${me.ifname} did not connect to ${server.host} in 30 s; see ${log}`;
    return {
      files,
      up: [
        guardLink(me.ifname, 'ip', 'tuntap', 'add', 'dev', me.ifname, 'mode', 'tun'),
        ...configureLink(me, net.mtu),
        cmd('ol_mkdir', LOG_DIR),
        // openconnect gives up at once when the server is not there yet (hosts come up in any
        // order): start it again until it holds the device (carrier up), for 30 s at most.
        `i=0; until ip -o link show dev ${q(me.ifname)} | grep -q LOWER_UP; do`,
        `  ol_running ${q(pid)} openconnect || { ${cmd(...args)} <${q(stdin)} >>${q(log)} 2>&1 & echo $! > ${q(pid)}; }`,
        `  i=$((i + 1)); if [ "$i" -gt 30 ]; then echo ${q(fail)} >&2; exit 1; fi; sleep 1`,
        'done',
      ],
      down: [`ol_stop ${q(pid)} openconnect`, deleteLink(me.ifname), `rm -f ${q(log)}`],
      routeDev: me.ifname,
    };
  },
});
