/**
 * What every IPsec kind shares: Libreswan's options, the exact ESP overhead, the host's own
 * pluto, and the conn and secrets files of one network. Each kind decides its mode and
 * traffic selectors in its own file; this one only formats them.
 *
 * One pluto per host, shared by all of the host's IPsec networks. Its paths are Overlab's own
 * (config, run dir, control socket, NSS database, pid file), so it never touches a pluto the
 * machine already runs; the connections go where Libreswan keeps them, `/etc/ipsec.d/`:
 *
 *   /etc/overlab/ipsec/ipsec.conf       `config setup` only (same text for every network)
 *   /etc/overlab/ipsec/ipsec.secrets    `include /etc/ipsec.d/overlab-*.secrets`
 *   /etc/overlab/ipsec/nss/             NSS database (`ipsec initnss`), removed by down.sh
 *   /etc/ipsec.d/overlab-<net>.conf     the network's conn sections (left = this host)
 *   /etc/ipsec.d/overlab-<net>.secrets  `@<host>.<net>.overlab @<peer>.<net>.overlab : PSK "…"` (0600)
 *   <runDir>/pluto/                     pluto's run dir: control socket, log, loaded-config marks
 *   <runDir>/pluto.pid                  the pid up.sh started, which down.sh stops
 *
 * IDs are per network (`@host.net.overlab`), not the hosts' addresses, so that two IKEv2
 * networks between the same pair of hosts each find their own PSK. (IKEv1 Main Mode picks the
 * PSK by address before it sees an ID: with IKEv1, one IPsec network per pair of hosts.)
 *
 * Member 0 initiates, member 1 only responds. The initiator may run its up.sh first, before
 * the responder listens: it initiates asynchronously and keeps trying, so neither up.sh waits
 * for the other. The retries are pluto's revival of an `auto=start` connection alone: an
 * attempt gives up after `retransmit-timeout` (retransmitting after 0.5, 1, 2, 4, 8 s), and a
 * new one starts at once, then after 5, 10, … s. With `keyingtries` above 1 a failed attempt
 * would also start the next one itself, and the two paths end in duplicate Child SAs (seen).
 *
 * Nothing may leave in clear before the SA is up, or after it is gone. Tunnel-mode kinds get
 * that from their device (a dummy, a VTI or an XFRM interface drops what no SA takes), so
 * their policies come and go with the SA. Transport-mode kinds would send the overlay's
 * packets in clear on the underlay, so up.sh adds `block` policies with the SA's selectors,
 * both directions, at the lowest precedence: pluto's policies take precedence while the SA is
 * up, the blocks drop everything else. Pluto's own "hold" policies (`auto=route`) would do it
 * too, but each held flow then leaves a larval state that outlives down.sh by up to 30 s, and
 * a held packet on the responder makes it initiate as well (two IKE SAs, crossed).
 * The blocks carry mark 0/1 (every unmarked packet) rather than pluto's 0/0: the kernel counts
 * a policy with the same selector and mark as the same policy whatever its priority, and
 * pluto's would replace it.
 */
import { z } from 'zod';
import type { Family } from '../net.js';
import { cmd, q } from '../shell.js';
import { ipHeader } from './common.js';
import { defineKind, type BundleFile, type HostPart, type NetworkDraft, type Params, type RenderContext, type Requirements, type Support, type TunnelKind } from './types.js';

/**
 * ESP transforms Overlab offers, with what decides the overhead: IV, ICV, and the cipher's
 * block size (the padded part is a multiple of it, at least 4). `proposal` is Libreswan's
 * `esp=` text; `probe` the `ip xfrm state add` words that make such an SA in the kernel.
 */
export const ESP = {
  /** Libreswan's first IKEv2 choice and the default: AES-GCM with a 16-byte ICV and 256-bit key. */
  aes_gcm256: { label: 'AES_GCM_16_256', iv: 8, icv: 16, block: 4, probe: ['aead', 'rfc4106(gcm(aes))', `0x${'01'.repeat(36)}`, 128] },
  aes_gcm128: { label: 'AES_GCM_16_128', iv: 8, icv: 16, block: 4, probe: ['aead', 'rfc4106(gcm(aes))', `0x${'01'.repeat(20)}`, 128] },
  'aes256-sha2_256': {
    label: 'AES_CBC_256-HMAC_SHA2_256_128',
    iv: 16,
    icv: 16,
    block: 16,
    probe: ['enc', 'cbc(aes)', `0x${'01'.repeat(32)}`, 'auth-trunc', 'hmac(sha256)', `0x${'02'.repeat(32)}`, 128],
  },
  'aes128-sha1': {
    label: 'AES_CBC_128-HMAC_SHA1_96',
    iv: 16,
    icv: 12,
    block: 16,
    probe: ['enc', 'cbc(aes)', `0x${'01'.repeat(16)}`, 'auth-trunc', 'hmac(sha1)', `0x${'02'.repeat(20)}`, 96],
  },
} as const satisfies Record<string, { label: string; iv: number; icv: number; block: number; probe: readonly (string | number)[] }>;
export type EspName = keyof typeof ESP;
const ESP_NAMES = Object.keys(ESP) as [EspName, ...EspName[]];

/** The options every IPsec kind has (overlay kinds add their overlay's own). */
export const ipsecShape = {
  /** IKE version: IKEv2 (RFC 7296) by default; `ikev1` for comparison with older setups. */
  ike: z.enum(['ikev2', 'ikev1']).default('ikev2'),
  /** ESP transform of the Child SA; the MTU follows its overhead. */
  esp: z.enum(ESP_NAMES).default('aes_gcm256'),
};
export const IpsecOptions = z.strictObject(ipsecShape);
export type IpsecOptions = z.output<typeof IpsecOptions>;

/**
 * The largest packet an ESP SA carries within `mtu` bytes, exactly as the kernel computes it
 * (xfrm_state_mtu): ESP header 8 + IV, then payload + 2 trailer bytes padded to the block,
 * then the ICV; tunnel mode adds the outer IP header, transport mode keeps the packet's own.
 */
export function espInnerMtu(esp: EspName, mode: 'tunnel' | 'transport', family: Family, mtu: number): number {
  const c = ESP[esp];
  const ip = ipHeader(family);
  const header = (mode === 'tunnel' ? ip : 0) + 8 + c.iv;
  const kept = mode === 'transport' ? ip : 0;
  return Math.floor((mtu - header - c.icv - kept) / c.block) * c.block + kept - 2;
}

/** Bytes ESP costs on an `mtu`-byte underlay: `mtu − espInnerMtu`. */
export const espOverhead = (o: IpsecOptions, mode: 'tunnel' | 'transport', family: Family, mtu: number): number => mtu - espInnerMtu(o.esp, mode, family, mtu);

/** A throwaway ESP SA in the probe namespace: fails where the kernel has no ESP or not this cipher. */
export const espProbe = (o: IpsecOptions, mode: 'tunnel' | 'transport'): string =>
  cmd('ip', 'xfrm', 'state', 'add', 'src', '198.18.255.1', 'dst', '198.18.255.2', 'proto', 'esp', 'spi', '0x4f4c0001', 'mode', mode, ...ESP[o.esp].probe);

export function ipsecRequirements(o: IpsecOptions, mode: 'tunnel' | 'transport', extra: Partial<Requirements> = {}): Requirements {
  return {
    modules: [...(extra.modules ?? []), 'xfrm_user', 'esp4', 'esp6'],
    packages: [...new Set([...(extra.packages ?? []), 'libreswan', 'iproute2'])],
    binaries: [...new Set([...(extra.binaries ?? []), 'ipsec', 'ip'])],
    probe: [extra.probe, espProbe(o, mode)].filter((s): s is string => !!s).join(' && '),
    // IKE, and IKE/ESP in UDP after a NAT: pluto's, shared by every IPsec network of the host.
    ports: [
      ...(extra.ports ?? []),
      { proto: 'udp', port: 500 },
      { proto: 'udp', port: 4500 },
    ],
  };
}

export const pskRef = (net: string): string => `ipsec/${net}/psk`;

/**
 * The numbers and names every IPsec network plans: connection name, IKE IDs, initiator,
 * proposal. Keys start with `ipsec` so they never collide with an overlay's own params.
 * Every IPsec kind's params include these (`IpsecParams & …`).
 */
export type IpsecParams = {
  /** Base of the network's conn names, `overlab-<net>`. */
  readonly ipsecConn: string;
  /** IKE ID of each member, by member index. */
  readonly ipsecIds: readonly string[];
  /** Host of the member that initiates. */
  readonly ipsecInitiator: string;
  readonly ipsecIke: IpsecOptions['ike'];
  readonly ipsecEsp: EspName;
};

/** An IPsec network's `IpsecParams`, and its pre-shared key. */
export function ipsecPlan(d: NetworkDraft<IpsecOptions>): { params: IpsecParams; secrets: { ref: string; kind: { type: 'random'; bytes: number; encoding: 'base64' } }[] } {
  return {
    params: {
      ipsecConn: `overlab-${d.id}`,
      ipsecIds: d.members.map((m) => `@${m.host}.${d.id}.overlab`),
      ipsecInitiator: d.members[0]!.host,
      ipsecIke: d.options.ike,
      ipsecEsp: d.options.esp,
    },
    secrets: [{ ref: pskRef(d.id), kind: { type: 'random', bytes: 32, encoding: 'base64' } }],
  };
}

/** One conn section, seen from this host (`left`). */
export interface Conn {
  readonly name: string;
  readonly type: 'tunnel' | 'transport';
  /** Tunnel mode: traffic selectors. */
  readonly leftsubnet?: string;
  readonly rightsubnet?: string;
  /** Transport mode: `proto` or `proto/port` (`%any` for any port). */
  readonly leftprotoport?: string;
  readonly rightprotoport?: string;
  /** VTI: the SA and policy mark, equal to the VTI device's key. */
  readonly mark?: number;
  /** XFRM interface: the `ipsecN` device / if_id. */
  readonly ipsecInterface?: number;
}

const ETC = '/etc/overlab/ipsec';
export const PLUTO_CONF = `${ETC}/ipsec.conf`;
export const PLUTO_SECRETS = `${ETC}/ipsec.secrets`;
export const NSS_DIR = `${ETC}/nss`;
export const connPath = (net: string): string => `/etc/ipsec.d/overlab-${net}.conf`;
export const secretsPath = (net: string): string => `/etc/ipsec.d/overlab-${net}.secrets`;
/** The control socket of the system's own pluto (Debian's ipsec.service). */
const SYSTEM_CTL = '/run/pluto/pluto.ctl';

const PLUTO_CONF_TEXT = [
  "# Overlab's pluto (one per host, shared by its IPsec networks). Started by up.sh with",
  '# explicit --config/--rundir/--nssdir/--secretsfile; connections: /etc/ipsec.d/overlab-*.conf.',
  'config setup',
  "\t# Debian's Libreswan 4.10 drops IKEv1 by default; only connections with ikev2=no use it.",
  '\tikev1-policy=accept',
  '',
].join('\n');
const PLUTO_SECRETS_TEXT = ["# Overlab's pluto: the PSKs of this host's IPsec networks.", 'include /etc/ipsec.d/overlab-*.secrets', ''].join('\n');

/** The conn file of one network, `left` being this host. */
export function connText(ctx: RenderContext<unknown, IpsecParams>, conns: readonly Conn[]): string {
  const { net, self } = ctx;
  const me = net.members[self]!;
  const peer = net.members[1 - self]!;
  const ids = net.params.ipsecIds;
  const initiator = net.params.ipsecInitiator === me.host;
  const lines = [
    `# Overlab network ${net.id} (${net.kind}): ${me.host} (left) <-> ${peer.host} (right).`,
    `# ${initiator ? 'This host initiates.' : 'This host responds; the peer initiates.'} Generated from overlab.yaml: change the project, not this file.`,
  ];
  for (const c of conns) {
    lines.push(
      '',
      `conn ${c.name}`,
      `\tleft=${me.underlay}`,
      `\tleftid=${ids[self]!}`,
      `\tright=${peer.underlay}`,
      `\trightid=${ids[1 - self]!}`,
      '\tauthby=secret',
      `\tikev2=${net.params.ipsecIke === 'ikev1' ? 'no' : 'yes'}`,
      `\tesp=${net.params.ipsecEsp}`,
      `\ttype=${c.type}`,
    );
    if (c.leftsubnet) lines.push(`\tleftsubnet=${c.leftsubnet}`, `\trightsubnet=${c.rightsubnet!}`);
    if (c.leftprotoport) lines.push(`\tleftprotoport=${c.leftprotoport}`, `\trightprotoport=${c.rightprotoport!}`);
    if (c.mark !== undefined) lines.push(`\tmark=${c.mark}/0xffffffff`);
    if (c.ipsecInterface !== undefined) lines.push(`\tipsec-interface=${c.ipsecInterface}`);
    // While it renegotiates (after the peer deleted the SA), pluto holds the traffic with a
    // policy whose every held flow leaves a larval state in the kernel for 30 s. Tunnel mode
    // needs no hold: its device drops what no SA takes, so the packets may pass to it.
    if (c.type === 'tunnel') lines.push('\tnegotiationshunt=passthrough');
    lines.push(
      // Routes, devices and addresses are up.sh's; Libreswan's updown script would add its own.
      '\tleftupdown=%disabled',
      `\tauto=${initiator ? 'start' : 'add'}`,
      '\tkeyingtries=1',
      '\tretransmit-timeout=20s',
    );
  }
  return `${lines.join('\n')}\n`;
}

export function secretsText(ctx: RenderContext<unknown, IpsecParams>): string {
  const ids = ctx.net.params.ipsecIds;
  const psk = ctx.secret(pskRef(ctx.net.id), 'value');
  return `# Overlab network ${ctx.net.id}: pre-shared key of ${ids[0]!} and ${ids[1]!}.\n${ids[ctx.self]!} ${ids[1 - ctx.self]!} : PSK "${psk}"\n`;
}

/**
 * The files, up.sh and down.sh lines of one network's IPsec: this host's pluto (started once,
 * whichever network comes first), then the network's connections, loaded again only when
 * their files changed so that a second up.sh keeps the SAs it finds.
 */
/** Lowest precedence there is: any policy pluto installs wins over these. */
export const BLOCK_PRIORITY = 4294967295;

/** `ip xfrm policy` selector words of a transport-mode conn, in the direction `dir` (out: from this host). */
function blockSelector(c: Conn, me: string, peer: string, dir: 'out' | 'in'): (string | number)[] {
  const bits = me.includes(':') ? 128 : 32;
  const [src, dst] = dir === 'out' ? [me, peer] : [peer, me];
  const [sp, dp] = (dir === 'out' ? [c.leftprotoport, c.rightprotoport] : [c.rightprotoport, c.leftprotoport]).map((pp) => pp?.split('/'));
  const words: (string | number)[] = ['src', `${src}/${bits}`, 'dst', `${dst}/${bits}`];
  if (sp) words.push('proto', sp[0]!);
  if (sp?.[1] && sp[1] !== '0') words.push('sport', sp[1]);
  if (dp?.[1] && dp[1] !== '0') words.push('dport', dp[1]);
  return [...words, 'dir', dir];
}

/** One network's IPsec share: `guard`/`unguard` go around everything else of the kind (its device too). */
export interface IpsecPart extends Pick<HostPart, 'files' | 'up' | 'down'> {
  /** First lines of up.sh: the transport-mode blocks (nothing in clear before the SA). */
  readonly guard: readonly string[];
  /** Last lines of down.sh: the blocks go once the device is gone. */
  readonly unguard: readonly string[];
}

/** Where this host's pluto keeps its state, under the bundle's run dir. */
function plutoPaths(runDir: string): { rundir: string; ctl: string; log: string; pid: string } {
  const rundir = `${runDir}/pluto`;
  return { rundir, ctl: `${rundir}/pluto.ctl`, log: `${rundir}/pluto.log`, pid: `${runDir}/pluto.pid` };
}

/** Libreswan's tools say why they failed on stdout: keep what they print, show it only on failure. */
const checked = (log: string, what: string, line: string): string =>
  `ipsec_out=$(${line} 2>&1) || { printf '%s\\n' "$ipsec_out" >&2; echo "overlab: ${what} failed; pluto's log: ${log}" >&2; exit 1; }`;

/** An `ipsec whack` to this host's pluto, checked. */
const whackLine = (runDir: string, ...words: (string | number)[]): string => {
  const { ctl, log } = plutoPaths(runDir);
  return checked(log, `ipsec whack ${words.join(' ')}`, cmd('ipsec', 'whack', '--ctlsocket', ctl, ...words));
};

/** The start of pluto by run dir: the same lines in every IPsec network of every host. */
const plutoStarts = new Map<string, readonly string[]>();

/** up.sh lines that start this host's pluto unless it runs, and wait for its control socket (the same for every network). */
function plutoStart(runDir: string): readonly string[] {
  const known = plutoStarts.get(runDir);
  if (known) return known;
  const { rundir, ctl, log, pid } = plutoPaths(runDir);
  const lines = [
    '# Libreswan: this host\'s pluto, shared by its IPsec networks (started once)',
    [
      `if ! ol_running ${q(pid)} pluto; then`,
      // Two plutos on one host would share UDP 500 and steal each other's IKE packets.
      `  if [ -S ${q(SYSTEM_CTL)} ] && ipsec whack --ctlsocket ${q(SYSTEM_CTL)} --status >/dev/null 2>&1; then echo "overlab: the system's Libreswan (pluto, ${SYSTEM_CTL}) is running; stop it (systemctl stop ipsec): Overlab runs its own pluto" >&2; exit 1; fi`,
      // A pluto that died leaves its lock file, and pluto refuses to start over a lock file.
      `  rm -rf ${q(rundir)}`,
      `  mkdir -p ${q(rundir)}`,
      `  [ -f ${q(`${NSS_DIR}/cert9.db`)} ] || { ol_mkdir ${q(NSS_DIR)}; ipsec initnss --nssdir ${q(NSS_DIR)} >/dev/null; }`,
      `  ${cmd('ipsec', 'pluto', '--nofork', '--config', PLUTO_CONF, '--rundir', rundir, '--nssdir', NSS_DIR, '--secretsfile', PLUTO_SECRETS, '--logfile', log)} </dev/null >/dev/null 2>&1 &`,
      `  echo $! > ${q(pid)}`,
      'fi',
    ].join('\n'),
    `i=0; while [ ! -S ${q(ctl)} ]; do i=$((i + 1)); if [ "$i" -gt 100 ]; then echo "overlab: pluto did not start:" >&2; tail -n 20 ${q(log)} >&2; exit 1; fi; sleep 0.1; done`,
    whackLine(runDir, '--listen'),
  ];
  plutoStarts.set(runDir, lines);
  return lines;
}

export function ipsecPart(ctx: RenderContext<unknown, IpsecParams>, conns: readonly Conn[]): IpsecPart {
  const { net, runDir } = ctx;
  const { rundir, ctl, log, pid } = plutoPaths(runDir);
  const conf = connPath(net.id);
  const secrets = secretsPath(net.id);
  const mark = `${rundir}/overlab-${net.id}.loaded`;
  const whack = (...words: (string | number)[]): string => whackLine(runDir, ...words);
  const me = net.members[ctx.self]!;
  const peer = net.members[1 - ctx.self]!;
  const initiator = net.params.ipsecInitiator === me.host;
  const names = conns.map((c) => c.name);

  const files: BundleFile[] = [
    { path: PLUTO_CONF, mode: 0o644, content: PLUTO_CONF_TEXT },
    { path: PLUTO_SECRETS, mode: 0o600, content: PLUTO_SECRETS_TEXT },
    { path: conf, mode: 0o644, content: connText(ctx, conns) },
    { path: secrets, mode: 0o600, content: secretsText(ctx), secret: true },
  ];
  const blocks = conns.filter((c) => c.type === 'transport').flatMap((c) => (['out', 'in'] as const).map((dir) => blockSelector(c, me.underlay, peer.underlay, dir)));
  const guard = [
    ...(blocks.length ? ['# Without its SA, nothing the SA will carry passes in clear (see libreswan.ts)'] : []),
    ...blocks.map((sel) => cmd('ip', 'xfrm', 'policy', 'update', ...sel, 'mark', 0, 'mask', 1, 'priority', BLOCK_PRIORITY, 'action', 'block')),
  ];
  // `delete` cannot name mark 0/1 (iproute2 sends no mark whose value is 0); `deleteall` finds the block by its priority and action.
  const unguard = blocks.map((sel) => `${cmd('ip', 'xfrm', 'policy', 'deleteall', ...sel, 'priority', BLOCK_PRIORITY, 'action', 'block')} 2>/dev/null`);
  const up = [...plutoStart(runDir), `# IPsec connections of ${net.id}: ${names.join(', ')}`,
    [
      `loaded=$(cat ${q(conf)} ${q(secrets)} | sha256sum)`,
      `if [ "$(cat ${q(mark)} 2>/dev/null)" != "$loaded" ]; then`,
      `  ${whack('--rereadsecrets')}`,
      `  ${checked(log, `ipsec addconn ${names.join(' ')}`, cmd('ipsec', 'addconn', '--ctlsocket', ctl, '--config', conf, ...names))}`,
      ...(initiator ? names.map((n) => `  ${whack('--initiate', '--asynchronous', '--name', n)}`) : []),
      `  echo "$loaded" > ${q(mark)}`,
      'fi',
    ].join('\n'),
  ];
  const down = [
    ...names.map((n) => `${cmd('ipsec', 'whack', '--ctlsocket', ctl, '--delete', '--name', n)} >/dev/null 2>&1`),
    `rm -f ${q(mark)}`,
    // Stopping pluto removes every SA and policy it installed (the first network's down.sh does it).
    `ol_stop ${q(pid)} pluto`,
    `rm -rf ${q(rundir)} ${q(NSS_DIR)}`,
    // pluto lets IPv6 neighbour discovery bypass IPsec with six global policies, and leaves them when it stops.
    'for t in 135 136; do for d in out fwd in; do ip xfrm policy delete dir "$d" src ::/0 dst ::/0 proto ipv6-icmp type "$t" 2>/dev/null; done; done',
    // Transport mode holds traffic while it renegotiates (the peer went down first): the held
    // flows' larval states cannot be deleted, only outlived (30 s at most).
    ...(blocks.length
      ? [`i=0; while ${cmd('ip', 'xfrm', 'state', 'list', 'src', me.underlay, 'dst', peer.underlay)} 2>/dev/null | grep -q 'spi 0x00000000' && [ "$i" -lt 310 ]; do sleep 0.1; i=$((i + 1)); done`]
      : []),
  ];
  return { files, guard, up, down, unguard };
}

/** What an overlay sends between the two underlay addresses: an IP protocol, or UDP to a port. */
export type OverlayTraffic = { readonly proto: number } | { readonly udpPort: number };

/**
 * The transport-mode connections that protect an overlay's packets between the two underlay
 * addresses. An IP protocol (GRE 47, IPIP 4/41) is one SA both ways. UDP goes from any source
 * port to the receiver's port, so each direction has its own selector pair: one SA to each
 * host's port, named after the host that listens.
 */
export function overlayConns(ctx: RenderContext<unknown, IpsecParams>, traffic: OverlayTraffic): Conn[] {
  const base = ctx.net.params.ipsecConn;
  // A bare number is not a protoport to Libreswan ("Invalid protoport value"), and pluto
  // refuses `%any` ports on both sides; port 0 is "all ports" (none, for GRE and IPIP).
  if ('proto' in traffic) return [{ name: base, type: 'transport', leftprotoport: `${traffic.proto}/0`, rightprotoport: `${traffic.proto}/0` }];
  // `udp/%any` would make a template connection (one that can be neither routed nor
  // initiated); `udp/0` is a plain selector for every port.
  const port = `udp/${traffic.udpPort}`;
  return ctx.net.members.map((m, i) => ({
    name: `${base}-to-${m.host}`,
    type: 'transport' as const,
    leftprotoport: i === ctx.self ? port : 'udp/0',
    rightprotoport: i === ctx.self ? 'udp/0' : port,
  }));
}

/** The overlay kind an `<overlay>-ipsec` kind wraps, and how to name what it sends (from the overlay's params `P`). */
export interface OverIpsec<P extends Params> {
  readonly id: string;
  readonly label: string;
  readonly ifPrefix: string;
  readonly traffic: (params: P) => OverlayTraffic;
}

/** A base kind's underlay cell with the ESP transport-mode SAs that wrap its packets. */
const withEsp = (cell: Support, family: string): Support => ('no' in cell ? cell : { how: `${cell.how}, in ESP transport mode over ${family} (IKE over ${family})` });

/**
 * An overlay carried by IPsec transport mode, as in the paper: the plain overlay kind's own
 * device, addresses and routes, unchanged, plus one transport-mode SA (two for UDP overlays)
 * whose selectors match the overlay's packets between the two underlay addresses. Options are
 * the overlay's plus `ike` and `esp`. The inner MTU is the overlay's inside the largest packet
 * ESP transport mode carries on the underlay.
 */
export function overIpsec<P extends Params>(base: TunnelKind<unknown, P>, spec: OverIpsec<P>): TunnelKind {
  if (!(base.options instanceof z.ZodObject)) throw new Error(`bug: ${base.id}'s options are not an object schema`);
  const baseKeys = Object.keys(base.options.shape);
  const clash = baseKeys.filter((k) => k in ipsecShape);
  if (clash.length > 0) throw new Error(`bug: ${base.id}'s options ${clash.join(', ')} clash with IPsec's`);
  const options = base.options.extend(ipsecShape) as unknown as z.ZodType<IpsecOptions & Record<string, unknown>>;
  const own = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([k]) => baseKeys.includes(k)));
  const baseNet = <N extends { options: unknown }>(net: N): N => ({ ...net, options: own(net.options as Record<string, unknown>) });
  return defineKind<IpsecOptions & Record<string, unknown>, P & IpsecParams>({
    id: spec.id,
    label: spec.label,
    layer: base.layer,
    encrypted: true,
    natTraversal: 'IKE NAT-T: ESP in UDP 4500 once IKE sees a NAT (libreswan\'s default encapsulation=auto)',
    model: 'p2p',
    // The base overlay builds every shape as it does alone; ESP only wraps its packets.
    capabilities: {
      shapes: base.capabilities.shapes,
      underlay: {
        ipv4: withEsp(base.capabilities.underlay.ipv4, 'IPv4'),
        ipv6: withEsp(base.capabilities.underlay.ipv6, 'IPv6'),
      },
    },
    ifPrefix: spec.ifPrefix,
    options,
    transport: (o) => `${base.transport(own(o))} in ESP (IP proto 50) transport mode, ${o.esp}; IKE${o.ike === 'ikev1' ? 'v1' : 'v2'} on UDP 500`,
    requirements: (o) => {
      const r = base.requirements(own(o));
      return ipsecRequirements(o, 'transport', r);
    },
    overhead: (o, family, mtu) => {
      const carried = espInnerMtu(o.esp, 'transport', family, mtu);
      return mtu - (carried - base.overhead(own(o), family, carried));
    },
    plan: (d) => {
      const b = base.plan(baseNet(d));
      const ipsec = ipsecPlan(d);
      const clashing = Object.keys(ipsec.params).filter((k) => k in b.params);
      if (clashing.length > 0) throw new Error(`bug: ${base.id}'s params ${clashing.join(', ')} clash with IPsec's`);
      return { params: { ...b.params, ...ipsec.params }, secrets: [...b.secrets, ...ipsec.secrets] };
    },
    render: (ctx) => {
      const b = base.render({ ...ctx, net: baseNet(ctx.net) });
      const ipsec = ipsecPart(ctx, overlayConns(ctx, spec.traffic(ctx.net.params)));
      return {
        files: [...b.files, ...ipsec.files],
        up: [...ipsec.guard, ...b.up, ...ipsec.up],
        down: [...ipsec.down, ...b.down, ...ipsec.unguard],
        ...(b.routeDev ? { routeDev: b.routeDev } : {}),
      };
    },
  });
}
