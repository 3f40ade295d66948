import { z } from 'zod';
import { formatAddress, parsePrefix, type Prefix } from '../net.js';
import { cmd, q } from '../shell.js';
import { UDP_HEADER, bare, configureLink, deleteLink, guardLink, ipHeader, routesVia } from './common.js';
import { bothFamilies } from './capabilities.js';
import { defineKind, type BundleFile, type Network } from './types.js';

/**
 * OpenVPN 2.6 over UDP, TLS mode with a small PKI: one CA per network, a server certificate
 * for the hub, a client certificate per spoke, and a tls-crypt key that wraps the control
 * channel (static-key mode is deprecated in 2.6 and goes in 2.7).
 *
 * The plan decides every address, so OpenVPN decides none: up.sh creates the tun device
 * itself (persistent, so it exists before any peer answers and routes can be laid at once),
 * gives it the planned address and MTU, and OpenVPN runs with `ifconfig-noexec`. The server
 * still needs to know which client owns which address and LAN for its internal routing:
 * each client's `client-config-dir` file has `ifconfig-push` (its planned address) and an
 * `iroute` per LAN behind it (the kernel route to that LAN alone only reaches the tun
 * device; OpenVPN then picks the client by iroute, and drops packets it has none for).
 *
 * Proven MTU (lab namespaces on this machine's kernel, OpenVPN 2.6.14): the DF ping that
 * fills the MTU crosses in both directions with the sender's `Ip: FragCreates` unchanged,
 * one byte more is refused; and with the devices and `tun-mtu` raised past the plan, the
 * first inner packet one byte over it makes the outer UDP fragment (FragCreates +2), so
 * the overhead is exactly 52 bytes over IPv4. Underlay 1500 → 1448 (AES-256-GCM and
 * CHACHA20-POLY1305), 9000 → 8948 (AES-256-GCM); hub-spoke with 3 spokes and multi-site too.
 * IPv6 underlays (72 bytes: 1428, 8928) follow from the same count, not run here.
 */

const CIPHERS = ['AES-256-GCM', 'AES-128-GCM', 'CHACHA20-POLY1305'] as const;

const Options = z.strictObject({
  port: z.number().int().min(1).max(65535).default(1194),
  /** Data-channel AEAD cipher; all three cost the same bytes per packet. */
  cipher: z.enum(CIPHERS).default('AES-256-GCM'),
});
type Options = z.infer<typeof Options>;

/** Port, cipher and UDP family of the network; `netmask`: the pool's, on an IPv4 pool only. */
type OpenvpnParams = { readonly port: number; readonly cipher: Options['cipher']; readonly proto: 'udp4' | 'udp6'; readonly netmask?: string };

/**
 * Per data packet (AEAD, DATA_V2): opcode + key id + peer id (4), packet id (4, also the
 * implicit IV's counter), AEAD tag (16). No compression framing (none is configured), no
 * HMAC (AEAD), and tls-crypt wraps only control packets.
 */
const DATA_V2_AEAD = 4 + 4 + 16;

const caRef = (net: string): string => `openvpn/${net}/ca`;
const certRef = (net: string, host: string): string => `openvpn/${net}/${host}`;
const tlsCryptRef = (net: string): string => `openvpn/${net}/tls-crypt`;

const LOG_DIR = '/var/log/overlab';

/** Dotted netmask for an IPv4 prefix length. */
const netmask = (length: number): string => formatAddress(4, length === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - length)) - 1n));

/** OpenVPN's static-key file format: 2048 bits, hex, 16 lines of 32 digits. */
function staticKey(hex: string): string {
  const lines = hex.match(/.{1,32}/g) ?? [];
  return ['-----BEGIN OpenVPN Static key V1-----', ...lines, '-----END OpenVPN Static key V1-----'].join('\n');
}

const inline = (tag: string, body: string): string[] => [`<${tag}>`, body.trimEnd(), `</${tag}>`];

/** Config lines both ends share. */
function common(net: Network<Options, OpenvpnParams>, self: number): string[] {
  const me = net.members[self]!;
  return [
    `proto ${net.params.proto}`,
    `dev ${me.ifname}`,
    'dev-type tun',
    'topology subnet',
    // up.sh has given the device its planned address and MTU.
    'ifconfig-noexec',
    // The tun device's MTU; OpenVPN sizes its buffers and packets from it. The default (1500)
    // would make the outer UDP fragment.
    `tun-mtu ${net.mtu}`,
    // 2.6 clamps TCP to fit 1492-byte outer packets by default; the plan's MTU already fits
    // the underlay, and on a 9000-byte underlay that default would cut TCP segments to ~1400.
    'mssfix 0',
    // Kernel data-channel offload (ovpn-dco) is not in Debian's kernel and changes the device type.
    'disable-dco',
    `data-ciphers ${net.params.cipher}`,
    'tls-version-min 1.2',
    'persist-key',
    'persist-tun',
    'user nobody',
    'group nogroup',
    `log ${LOG_DIR}/openvpn-${me.ifname}.log`,
    'verb 3',
  ];
}

function serverFiles(net: Network<Options, OpenvpnParams>, self: number, secret: (ref: string, part?: string) => string): BundleFile[] {
  const me = net.members[self]!;
  const dir = `/etc/openvpn/server/${me.ifname}`;
  const pool = parsePrefix(net.subnet) as Prefix;
  const v4 = pool.family === 4;
  const conf = [
    `# Overlab: OpenVPN server of network ${net.id} on ${me.host}. Generated; change the project, not this file.`,
    'mode server',
    'tls-server',
    `local ${me.underlay}`,
    `port ${net.params.port}`,
    ...common(net, self),
    // Server mode needs its own address; clients get theirs from client-config-dir only.
    v4 ? `ifconfig ${bare(me.address)} ${String(net.params.netmask)}` : `ifconfig-ipv6 ${me.address} ${bare(net.members[1]!.address)}`,
    v4 ? `push "route-gateway ${bare(me.address)}"` : `push "route-ipv6-gateway ${bare(me.address)}"`,
    `client-config-dir ${dir}/ccd`,
    // Only the planned clients, each with its own file, may connect.
    'ccd-exclusive',
    // Spoke-to-spoke traffic turns at the server by iroute, without a trip through the hub's kernel.
    'client-to-client',
    'keepalive 10 60',
    // On exit (down.sh, a reboot's SIGTERM) tells every client to reconnect at once (RESTART):
    // without it a client keeps the old session until its ping-restart (60 s, pushed by
    // keepalive) runs out — measured in the lab: 59.8 s to the first packet after the server's
    // restart, against 0.97 s with it.
    'explicit-exit-notify 1',
    'remote-cert-tls client',
    // ECDHE only: no finite-field DH parameters to ship.
    'dh none',
    ...inline('ca', secret(caRef(net.id), 'cert')),
    ...inline('cert', secret(certRef(net.id, me.host), 'cert')),
    ...inline('key', secret(certRef(net.id, me.host), 'key')),
    ...inline('tls-crypt', staticKey(secret(tlsCryptRef(net.id), 'value'))),
    '',
  ];
  const files: BundleFile[] = [{ path: `/etc/openvpn/server/${me.ifname}.conf`, mode: 0o600, content: conf.join('\n'), secret: true }];
  for (const [i, m] of net.members.entries()) {
    if (i === self) continue;
    const lans = routesVia(net, me.host, m.host).map((r) => parsePrefix(r.dst) as Prefix);
    const ccd = [
      `# ${m.host}: its planned address, and the networks behind it.`,
      v4 ? `ifconfig-push ${bare(m.address)} ${String(net.params.netmask)}` : `ifconfig-ipv6-push ${m.address} ${bare(me.address)}`,
      ...lans.map((p) => (p.family === 4 ? `iroute ${formatAddress(4, p.network)} ${netmask(p.length)}` : `iroute-ipv6 ${p.text}`)),
      '',
    ];
    // The file name is the client certificate's common name, which is the host name.
    files.push({ path: `${dir}/ccd/${m.host}`, mode: 0o644, content: ccd.join('\n') });
  }
  return files;
}

function clientFile(net: Network<Options, OpenvpnParams>, self: number, secret: (ref: string, part?: string) => string): BundleFile {
  const me = net.members[self]!;
  const server = net.members.find((m) => m.role === 'server')!;
  const conf = [
    `# Overlab: OpenVPN client of network ${net.id} on ${me.host}, server ${server.host}. Generated; change the project, not this file.`,
    'client',
    `remote ${server.underlay} ${net.params.port}`,
    'nobind',
    ...common(net, self),
    // Routes are the plan's, laid by up.sh.
    'route-noexec',
    // Until the server answers, try again every second, at most every 5 s.
    'connect-retry 1 5',
    'resolv-retry infinite',
    // Tells the server at once when this client stops, instead of after the keepalive timeout.
    'explicit-exit-notify 1',
    'remote-cert-tls server',
    `verify-x509-name ${server.host} name`,
    ...inline('ca', secret(caRef(net.id), 'cert')),
    ...inline('cert', secret(certRef(net.id, me.host), 'cert')),
    ...inline('key', secret(certRef(net.id, me.host), 'key')),
    ...inline('tls-crypt', staticKey(secret(tlsCryptRef(net.id), 'value'))),
    '',
  ];
  return { path: `/etc/openvpn/client/${me.ifname}.conf`, mode: 0o600, content: conf.join('\n'), secret: true };
}

export const openvpn = defineKind<Options, OpenvpnParams>({
  id: 'openvpn',
  label: 'OpenVPN',
  layer: 'L3',
  encrypted: true,
  natTraversal: 'UDP or TCP from the client to the server: the client may sit behind a NAT',
  model: 'star',
  capabilities: {
    shapes: {
      'site-to-site': { how: 'the first host runs the OpenVPN server, the other connects as its client (one tun interface each)' },
      'multi-site': { how: 'the main site runs the server, every other site is a client; site to site turns inside the server (client-to-client, one iroute per LAN)' },
      'hub-spoke': { how: 'the hub runs the server, every spoke is a client; spoke to spoke turns inside the server (client-to-client, one iroute per LAN), not through the hub\'s kernel' },
      mesh: { no: 'OpenVPN is client/server: the hub runs the server and every other host is its client. Use hub-spoke (or multi-site), or WireGuard, tinc or Nebula for a mesh.' },
    },
    underlay: bothFamilies('proto udp4', 'proto udp6'),
  },
  ifPrefix: 'ovpn',
  options: Options,
  transport: (o) => `UDP ${o.port}`,
  requirements: (o) => ({
    modules: ['tun'],
    packages: ['openvpn', 'iproute2'],
    binaries: ['openvpn', 'ip'],
    probe: 'ip tuntap add dev olprobe2 mode tun',
    // Clients do not bind (`nobind`).
    ports: [{ proto: 'udp', port: o.port, role: 'server' }],
  }),
  overhead: (_o, family) => ipHeader(family) + UDP_HEADER + DATA_V2_AEAD,
  plan: (d) => {
    const pool = parsePrefix(d.subnet) as Prefix;
    return {
      params: {
        port: d.options.port,
        cipher: d.options.cipher,
        proto: d.family === 4 ? 'udp4' : 'udp6',
        ...(pool.family === 4 ? { netmask: netmask(pool.length) } : {}),
      },
      secrets: [
        { ref: caRef(d.id), kind: { type: 'x509-ca', commonName: `Overlab OpenVPN CA ${d.id}` } },
        ...d.members.map((m) => ({
          ref: certRef(d.id, m.host),
          kind: m.role === 'server'
            ? { type: 'x509-cert' as const, ca: caRef(d.id), commonName: m.host, usage: 'server' as const, sans: [m.underlay] }
            : { type: 'x509-cert' as const, ca: caRef(d.id), commonName: m.host, usage: 'client' as const },
        })),
        { ref: tlsCryptRef(d.id), kind: { type: 'random', bytes: 256, encoding: 'hex' } },
      ],
    };
  },
  render: ({ net, self, secret, runDir }) => {
    const me = net.members[self]!;
    const isServer = me.role === 'server';
    const files = isServer ? serverFiles(net, self, secret) : [clientFile(net, self, secret)];
    const conf = files[0]!.path;
    const pid = `${runDir}/${me.ifname}.pid`;
    const log = `${LOG_DIR}/openvpn-${me.ifname}.log`;
    return {
      files,
      up: [
        // A persistent tun device: it exists (and takes routes) before the peer is reachable.
        guardLink(me.ifname, 'ip', 'tuntap', 'add', 'dev', me.ifname, 'mode', 'tun'),
        ...configureLink(me, net.mtu),
        cmd('ol_mkdir', LOG_DIR),
        // In the foreground, in the background: the pid is the daemon's own, for down.sh.
        `ol_running ${q(pid)} openvpn || { openvpn --config ${q(conf)} </dev/null >/dev/null 2>&1 & echo $! > ${q(pid)}; }`,
        // A bad key, a taken port: OpenVPN exits at once and says why in its log.
        `ol_started ${q(pid)} openvpn || { echo ${q(`overlab: openvpn for ${me.ifname} exited; see ${log}`)} >&2; exit 1; }`,
      ],
      down: [`ol_stop ${q(pid)} openvpn`, deleteLink(me.ifname), `rm -f ${q(log)}`],
      routeDev: me.ifname,
    };
  },
});
