/**
 * render(plan, secrets) → HostBundle[]: per host, the files to install and two scripts.
 * `up.sh` is idempotent (running it twice equals once); `down.sh` removes what `up.sh`
 * made and succeeds when nothing is there. Kinds contribute their lines; this module adds
 * what every host shares: file installation, forwarding, LAN routes and MSS clamping.
 */
import type { Family } from './net.js';
import type { Plan, PlanHost } from './plan.js';
import { cmd, q } from './shell.js';
import { routesOf } from './tunnels/common.js';
import { requireKind, type BundleFile, type HostPart, type Network, type Registry, type SecretLookup } from './tunnels/types.js';

export interface HostBundle {
  readonly host: string;
  readonly files: readonly BundleFile[];
  readonly up: string;
  readonly down: string;
  /**
   * The commands of up.sh a reader cares about, in order: its body without the preamble,
   * the shell helpers and comments (what `deploy --dry-run` lists). Not part of the bundle.
   */
  readonly steps: readonly string[];
}

/** Where state lives on a host: pid files, saved sysctls, the list of directories up.sh made. */
export const RUN_DIR = '/run/overlab';
export const MSS_NFT_FILE = '/etc/overlab/mss.nft';
const MSS_TABLE = 'overlab_mss';
const MSS_CHAIN = 'OVERLAB-MSS';

// Shell helpers, each written once here and included in a script only when it calls them
// (shellcheck flags functions that are never called). Kinds call them by name.
const HELPERS: readonly { name: string; uses?: readonly string[]; text: string }[] = [
  // ol_running PIDFILE NAME: true if the pid file names a live process called NAME (guards against a reused pid).
  { name: 'ol_running', text: 'ol_running() { [ -f "$1" ] && pid=$(cat "$1") && [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]; }' },
  // ol_wait_link DEV: waits up to 10 s for a daemon to create DEV.
  {
    name: 'ol_wait_link',
    text: 'ol_wait_link() { i=0; while ! ip link show dev "$1" >/dev/null 2>&1; do i=$((i + 1)); if [ "$i" -gt 100 ]; then echo "overlab: interface $1 did not appear" >&2; exit 1; fi; sleep 0.1; done; }',
  },
  // ol_wait_sock PATH: waits up to 10 s for a daemon to open its control socket PATH.
  {
    name: 'ol_wait_sock',
    text: 'ol_wait_sock() { i=0; while [ ! -S "$1" ]; do i=$((i + 1)); if [ "$i" -gt 100 ]; then echo "overlab: control socket $1 did not appear" >&2; exit 1; fi; sleep 0.1; done; }',
  },
  // ol_started PIDFILE NAME: true if the process just started in the background is NAME and still
  // runs half a second on (a bad key or a taken port ends a daemon at once). A busy machine can
  // take longer than that to exec it, so it first waits, up to 5 s, while the child is still the shell.
  {
    name: 'ol_started',
    uses: ['ol_running'],
    text: `ol_started() {
  i=0; while ! ol_running "$1" "$2" && [ "$i" -lt 50 ] && read -r _ _ st _ < "/proc/$(cat "$1")/stat" 2>/dev/null && [ "$st" != Z ]; do sleep 0.1; i=$((i + 1)); done
  sleep 0.5
  ol_running "$1" "$2"
}`,
  },
  // ol_mkdir DIR: creates DIR and its missing parents, recording each so that down.sh removes only those.
  // (The parent by the shell's own ${1%/*}: a $(dirname) is a fork and an exec per level.)
  { name: 'ol_mkdir', text: 'ol_mkdir() { [ -z "$1" ] || [ -d "$1" ] && return 0; ol_mkdir "${1%/*}"; mkdir -m 0755 "$1"; echo "$1" >> "$RUN/created-dirs"; }' },
  // ol_install MODE PATH: installs files/PATH from the bundle at PATH.
  { name: 'ol_install', uses: ['ol_mkdir'], text: 'ol_install() { ol_mkdir "${2%/*}"; install -m "$1" "$BUNDLE/files$2" "$2"; }' },
  // ol_stop PIDFILE NAME: stops the process the pid file names, only if it is still NAME; never fails.
  {
    name: 'ol_stop',
    text: `ol_stop() {
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]; then
    kill "$pid" 2>/dev/null
    # Waits while it runs: an exited daemon can stay a zombie until its parent reaps it, and
    # kill -0 says yes to zombies (5 s lost per daemon); the state is /proc/PID/stat's third field.
    i=0; while [ "$i" -lt 50 ] && read -r _ _ st _ < "/proc/$pid/stat" 2>/dev/null && [ "$st" != Z ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$1"
}`,
  },
];

/** Characters after which a word starts (the old test's `(^|[\s;|&({])`, `^` matching after a line break). */
const WORD_START = /[\s;|&({]/;
/** Line terminators (where a multiline `$` matches). */
const LINE_END = /[\n\r\u2028\u2029]/;

/**
 * The names among `names` (each starting with `ol_`) that `text` calls: a name at the start of a
 * word, followed by a space or the end of a line — what `(^|[\s;|&({])NAME( |$)` finds with the
 * `m` flag. One walk from `ol_` to `ol_` instead of one regular expression per helper over the
 * whole script: those took a second on the 200-host IPsec meshes, whose scripts are megabytes.
 */
export function helperCalls(text: string, names: readonly string[]): Set<string> {
  const found = new Set<string>();
  for (let i = text.indexOf('ol_'); i >= 0 && found.size < names.length; i = text.indexOf('ol_', i + 3)) {
    if (i > 0 && !WORD_START.test(text[i - 1]!)) continue;
    for (const name of names) {
      if (found.has(name) || !text.startsWith(name, i)) continue;
      const after = text[i + name.length];
      if (after === undefined || after === ' ' || LINE_END.test(after)) found.add(name);
    }
  }
  return found;
}

const HELPER_NAMES = HELPERS.map((h) => h.name);

function helpersFor(text: string): string[] {
  const wanted = new Set<string>();
  const want = (name: string): void => {
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const dep of HELPERS.find((h) => h.name === name)?.uses ?? []) want(dep);
  };
  for (const name of helperCalls(text, HELPER_NAMES)) want(name);
  return HELPERS.filter((h) => wanted.has(h.name)).map((h) => h.text);
}

/** up.sh stops at the first failure (set -e); down.sh never does: each step tries, and it goes on. */
function script(kind: 'up' | 'down', plan: Plan, host: string, body: readonly string[]): string {
  // The body is joined once: the helpers and the bundle's folder are found in that text, and it
  // ends the script (a 200-host IPsec mesh's up.sh is a megabyte: each join and scan counts).
  const text = body.join('\n');
  return [
    '#!/bin/sh',
    `# Overlab ${kind}.sh for host ${host} of project ${JSON.stringify(plan.name)}.`,
    '# Generated from overlab.yaml: change the project, not this file.',
    ...(kind === 'up' ? ['set -eu', `RUN=${q(RUN_DIR)}`, '[ -d "$RUN" ] || mkdir -p "$RUN"'] : ['set -u', `RUN=${q(RUN_DIR)}`]),
    // The bundle's own folder, for the files it installs (by the shell alone: no process).
    ...(text.includes('ol_install ') || text.includes('$BUNDLE') ? ['case $0 in */*) BUNDLE=${0%/*} ;; *) BUNDLE=. ;; esac', 'case $BUNDLE in /*) ;; *) BUNDLE=$PWD/$BUNDLE ;; esac'] : []),
    ...helpersFor(text),
    ...(body.length ? [text] : []),
    '',
  ].join('\n');
}

function mssRules(host: PlanHost, clamps: { dev: string; mss: number }[]): { files: BundleFile[]; up: string[]; down: string[] } {
  if (clamps.length === 0) return { files: [], up: [], down: [] };
  if (host.firewall === 'nftables') {
    // Declaring, deleting and redefining the table in one file makes the load atomic and idempotent.
    const rules = clamps.flatMap(({ dev, mss }) => [
      `    oifname ${JSON.stringify(dev)} tcp flags & (syn | rst) == syn tcp option maxseg size set ${mss}`,
      `    iifname ${JSON.stringify(dev)} tcp flags & (syn | rst) == syn tcp option maxseg size set ${mss}`,
    ]);
    const content = [`table inet ${MSS_TABLE}`, `delete table inet ${MSS_TABLE}`, `table inet ${MSS_TABLE} {`, '  chain forward {', '    type filter hook forward priority mangle; policy accept;', ...rules, '  }', '}', ''].join('\n');
    return {
      files: [{ path: MSS_NFT_FILE, mode: 0o644, content }],
      up: ['# TCP MSS clamping (nftables)', cmd('nft', '-f', MSS_NFT_FILE)],
      down: [`nft delete table inet ${MSS_TABLE} 2>/dev/null`],
    };
  }
  const up = [
    '# TCP MSS clamping (iptables)',
    `iptables -t mangle -N ${MSS_CHAIN} 2>/dev/null || true`,
    `iptables -t mangle -F ${MSS_CHAIN}`,
    `iptables -t mangle -C FORWARD -j ${MSS_CHAIN} 2>/dev/null || iptables -t mangle -A FORWARD -j ${MSS_CHAIN}`,
    ...clamps.flatMap(({ dev, mss }) =>
      ['-o', '-i'].map((dir) => `iptables -t mangle -A ${MSS_CHAIN} ${dir} ${q(dev)} -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss ${mss}`),
    ),
  ];
  const down = [`iptables -t mangle -D FORWARD -j ${MSS_CHAIN} 2>/dev/null`, `iptables -t mangle -F ${MSS_CHAIN} 2>/dev/null`, `iptables -t mangle -X ${MSS_CHAIN} 2>/dev/null`];
  return { files: [], up, down };
}

/** The address family of an address or prefix. */
const familyOf = (text: string): Family => (text.includes(':') ? 6 : 4);

/**
 * Forwarding for each family the host forwards — its LAN's, the LANs it routes to, and its tunnels'
 * inner addresses — which need not be the underlay's: an IPv6 underlay under IPv4 LANs forwards
 * IPv4 only (and turning IPv6 forwarding on there would cost a real host its router advertisements).
 */
function forwarding(host: PlanHost, families: ReadonlySet<Family>): { up: string[]; down: string[] } {
  if (!host.forwards || families.size === 0) return { up: [], down: [] };
  const up: string[] = ['# This host forwards between its LAN and the tunnels.'];
  const down: string[] = [];
  for (const family of [4, 6] as const) {
    if (!families.has(family)) continue;
    const key = family === 4 ? 'net.ipv4.ip_forward' : 'net.ipv6.conf.all.forwarding';
    const saved = `"$RUN/${key}.orig"`;
    // /proc/sys read and written by the shell itself (what sysctl does, without two processes).
    const file = `/proc/sys/${key.replace(/\./g, '/')}`;
    up.push(`[ -f ${saved} ] || { read -r v < ${file} && echo "$v" > ${saved}; }`, `echo 1 > ${file}`);
    down.push(`if [ -f ${saved} ]; then read -r v < ${saved} && echo "$v" > ${file}; rm -f ${saved}; fi`);
  }
  return { up, down };
}

/**
 * `via` words of a route: a gateway of another family than the destination is named with it
 * (`via inet6 fd00::1`: an IPv4 LAN reached over an IPv6 underlay, RFC 5549 style; Linux ≥ 5.2).
 */
const viaWords = (dst: string, via: string): string[] => (familyOf(dst) === familyOf(via) ? ['via', via] : ['via', familyOf(via) === 6 ? 'inet6' : 'inet', via]);

/** Where each host is a member: host name → [network, member index], in network order. */
type Memberships = ReadonlyMap<string, readonly (readonly [Network, number])[]>;

function memberships(plan: Plan): Memberships {
  const out = new Map<string, [Network, number][]>();
  for (const net of plan.networks) {
    net.members.forEach((m, i) => {
      let list = out.get(m.host);
      if (!list) out.set(m.host, (list = []));
      list.push([net, i]);
    });
  }
  return out;
}

/** The end of an `ip -batch` here-document (no route command line can be this). */
const IP_BATCH_EOF = 'OVERLAB_IP_BATCH';

export function renderHost(plan: Plan, host: PlanHost, registry: Registry, secret: SecretLookup, index: Memberships = memberships(plan)): HostBundle {
  const files: BundleFile[] = [];
  const up: string[] = [];
  const down: string[][] = [];
  const routeUp: string[] = [];
  const routeDown: string[] = [];
  /** routeUp with each route a command of its own, for the dry run's list of steps. */
  const routeSteps: string[] = [];
  const clamps: { dev: string; mss: number }[] = [];
  const families = new Set<Family>(host.lan ? [familyOf(host.lan)] : []);

  for (const [net, self] of index.get(host.name) ?? []) {
    const kind = requireKind(registry, net.kind);
    // Transit between peers is of the inner family (kinds addressed on the underlay carry LANs only).
    if (kind.addressing !== 'underlay') families.add(familyOf(net.subnet));
    const mine = routesOf(net, host.name);
    for (const r of mine) families.add(familyOf(r.dst));
    const part: HostPart = kind.render({ net, self, secret, runDir: RUN_DIR });
    files.push(...part.files);
    up.push(`# ${net.id}: ${kind.label}, ${net.members[self]!.address} on ${net.members[self]!.ifname}, MTU ${net.mtu}`, ...part.up);
    down.push([`# ${net.id}: ${kind.label}`, ...part.down]);
    if (part.routeDev) {
      const dev = part.routeDev;
      // Clamping only matters where the tunnel shrinks the MTU.
      if (net.mtu < plan.underlayMtu) clamps.push({ dev, mss: net.mss });
      // The kind's own up lines leave routeDev there (a daemon's device is waited for by the kind).
      const replace = mine.map((r) => cmd('route', 'replace', r.dst, ...viaWords(r.dst, r.via), 'dev', dev));
      const del = mine.map((r) => cmd('route', 'del', r.dst, ...viaWords(r.dst, r.via), 'dev', dev));
      routeSteps.push(...replace.map((r) => `ip ${r}`));
      // Many routes (a hub-spoke's spoke has one per other site) go through one `ip` process:
      // each process costs milliseconds, seconds across a fleet deployed at once. Batch mode
      // stops at the first error like set -e; teardown's -force goes on past routes already gone.
      if (replace.length > 1 && ![...replace, ...del].some((l) => /['"\\]/.test(l))) {
        routeUp.push(`ip -batch - <<'${IP_BATCH_EOF}'`, ...replace, IP_BATCH_EOF);
        routeDown.push(`ip -force -batch - 2>/dev/null <<'${IP_BATCH_EOF}'`, ...del, IP_BATCH_EOF);
      } else {
        routeUp.push(...replace.map((r) => `ip ${r}`));
        routeDown.push(...del.map((r) => `ip ${r} 2>/dev/null`));
      }
    }
  }

  const fwd = forwarding(host, families);
  const mss = mssRules(host, clamps);
  files.push(...mss.files);
  const installs = files.map((f) => cmd('ol_install', f.mode.toString(8).padStart(4, '0'), f.path));
  const removes = files.map((f) => `rm -f ${q(f.path)}`);

  const body = (routes: readonly string[]): string[] => [
    ...(installs.length ? ['# Files', ...installs] : []),
    ...fwd.up,
    ...up,
    ...(routes.length ? ['# Routes to the other sites', ...routes] : []),
    ...mss.up,
  ];
  const upBody = body(routeUp);
  const upScript = script('up', plan, host.name, [...upBody, 'echo "overlab: up"']);
  const downScript = script('down', plan, host.name, [
    ...mss.down,
    ...routeDown,
    ...down.reverse().flat(),
    ...removes,
    ...fwd.down,
    'if [ -f "$RUN/created-dirs" ]; then sort -r "$RUN/created-dirs" | while read -r d; do rmdir "$d" 2>/dev/null; done; rm -f "$RUN/created-dirs"; fi',
    'rmdir "$RUN" 2>/dev/null',
    'echo "overlab: down"',
    'exit 0',
  ]);
  return { host: host.name, files, up: upScript, down: downScript, steps: body(routeSteps).filter((l) => !l.startsWith('#')) };
}

export function render(plan: Plan, registry: Registry, secret: SecretLookup): HostBundle[] {
  const index = memberships(plan);
  return plan.hosts.map((h) => renderHost(plan, h, registry, secret, index));
}
