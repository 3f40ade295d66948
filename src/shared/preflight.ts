/**
 * The read-only checks run on a host before anything changes on it, as one POSIX sh script.
 * Each problem is printed as one `missing: ...` line; the script always exits 0. The script
 * (writer) and `parsePreflight` (reader) share the line prefixes below.
 */
import { hex4, OL_PORTS, q } from './shell.js';

/** One line per problem: `missing: <what> (<fix>)`. */
export const MISSING_PREFIX = 'missing: ';
/** The last line: `deployed: <sha256 of the bundle deployed, or nothing>`. */
export const DEPLOYED_PREFIX = 'deployed: ';

export interface PreflightReport {
  readonly missing: readonly string[];
  /** SHA-256 of the bundle deployed on the host; '' when none is. */
  readonly deployed: string;
}

/** Reads what `preflightScript` printed. */
export function parsePreflight(stdout: string): PreflightReport {
  const lines = stdout.split('\n');
  const missing = lines.filter((l) => l.startsWith(MISSING_PREFIX)).map((l) => l.slice(MISSING_PREFIX.length));
  const last = lines.filter((l) => l.startsWith(DEPLOYED_PREFIX)).pop();
  const hash = last?.slice(DEPLOYED_PREFIX.length).trim() ?? '';
  return { missing, deployed: /^[0-9a-f]*$/.test(hash) ? hash : '' };
}
import type { ListenPort, Requirements } from './tunnels/types.js';

/** Wraps a kind's kernel probe: a scratch namespace with a veth pair, removed afterwards. */
export function probeScript(snippet: string): string {
  return [
    'set -e',
    'ip link add olprobe0 type veth peer name olprobe1',
    'ip addr add 198.18.255.1/30 dev olprobe0',
    'ip addr add 198.18.255.2/30 dev olprobe1',
    'ip link set olprobe0 up',
    'ip link set olprobe1 up',
    snippet,
  ].join('\n');
}

export interface PreflightNeed {
  readonly kind: string;
  readonly requirements: Requirements;
  /** The ports this host listens on for it (its role's share of requirements.ports). */
  readonly ports?: readonly ListenPort[];
}

/** The first process name in an `ss -p` line: users:(("name",pid=…)). */
const WHO = String.raw`sed -n 's/.*users:(("\([^"]*\)".*/\1/p'`;

/** Lines of a script that prints `missing: <what> (<fix>)` per problem and `deployed: <hash>` last. */
/**
 * `bundleHash`: the hash of the bundle about to be deployed. When that very bundle is already
 * deployed on the host, the kernel probes are skipped: the kernel carried it when it went up
 * (and a probe costs a scratch namespace and a dozen processes per kind).
 */
export function preflightScript(needs: readonly PreflightNeed[], deployedHashFile: string, bundleHash?: string): string {
  const lines = [
    'set -u',
    `missing() { echo "${MISSING_PREFIX}$*"; }`,
    '[ "$(id -u)" = 0 ] || missing "root privileges: log in as root, or set target.sudo: true with passwordless sudo"',
    `deployed=$(cat ${q(deployedHashFile)} 2>/dev/null || true)`,
  ];
  const binaries = new Map<string, string>();
  for (const n of needs) for (const b of n.requirements.binaries) if (!binaries.has(b)) binaries.set(b, n.requirements.packages.join(' '));
  for (const [b, pkgs] of binaries) lines.push(`command -v ${q(b)} >/dev/null 2>&1 || [ -x ${q(`/usr/sbin/${b}`)} ] || [ -x ${q(`/sbin/${b}`)} ] || missing ${q(`program ${b} (install: ${pkgs})`)}`);
  const probes = new Map<string, string[]>();
  for (const n of needs) if (n.requirements.probe) probes.set(n.requirements.probe, [...(probes.get(n.requirements.probe) ?? []), n.kind]);
  let i = 0;
  if (probes.size > 0 && bundleHash) lines.push(`if [ "$deployed" != ${q(bundleHash)} ]; then`);
  // A scratch namespace makes /run/netns exist (a mount point); remove it again if it was not there.
  if (probes.size > 0) lines.push('[ -e /run/netns ] && had_netns=1 || had_netns=0');
  for (const [probe, kinds] of probes) {
    const ns = `olpf$$-${i++}`;
    const mods = [...new Set(needs.filter((n) => kinds.includes(n.kind)).flatMap((n) => n.requirements.modules))];
    const modules = mods.join(', ') || 'see the kind';
    // With every module of the kinds loaded, the kernel carries them: the probe would only
    // repeat it. A scratch namespace costs ~90 ms and takes the kernel's locks, so a fleet
    // probed at once waits for each host in turn (1.9 s for 20 lab hosts).
    const loaded = mods.map((m) => `[ -d ${q(`/sys/module/${m}`)} ]`).join(' && ');
    // The probe (the kinds' own code, not user input) is fed to a shell in the scratch namespace as a quoted here-document.
    lines.push(
      ...(loaded ? [`if ${loaded}; then :`, `elif ip netns add "${ns}" 2>/dev/null; then`] : [`if ip netns add "${ns}" 2>/dev/null; then`]),
      `  ip netns exec "${ns}" sh -s >/dev/null 2>&1 <<'OVERLAB_PROBE' || missing ${q(`kernel support for ${kinds.join(', ')} (modules: ${modules}): this kernel cannot create the device`)}`,
      probeScript(probe),
      'OVERLAB_PROBE',
      `  ip netns del "${ns}"`,
      'fi',
    );
  }
  if (probes.size > 0) lines.push('if [ "$had_netns" = 0 ] && [ -e /run/netns ]; then umount /run/netns 2>/dev/null; rmdir /run/netns 2>/dev/null; fi');
  if (probes.size > 0 && bundleHash) lines.push('fi');
  // Ports: only before a first deploy — a deployed bundle may hold them itself (its down.sh runs
  // before the new up.sh). Who holds a port is named when ss can tell (kernel sockets: nobody).
  const ports = new Map<string, string[]>();
  for (const n of needs) {
    for (const p of n.ports ?? []) {
      const key = `${p.proto} ${p.port}`;
      if (!ports.has(key)) ports.set(key, []);
      if (!ports.get(key)!.includes(n.kind)) ports.get(key)!.push(n.kind);
    }
  }
  if (ports.size > 0) {
    // The kernel's socket tables, read by the shell itself; ss (a process, 20 ms and more on a
    // host busy with a fleet's deploy) only names the holder of a port that is taken.
    const protos = new Set([...ports.keys()].map((k) => k.split(' ')[0]));
    lines.push('if [ -z "$deployed" ]; then', `  ${OL_PORTS}`);
    if (protos.has('udp')) lines.push('  ol_ports 07 /proc/net/udp /proc/net/udp6; used_udp=$found');
    if (protos.has('tcp')) lines.push('  ol_ports 0A /proc/net/tcp /proc/net/tcp6; used_tcp=$found');
    for (const [key, kinds] of ports) {
      const [proto, port] = key.split(' ') as ['udp' | 'tcp', string];
      if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new Error(`bug: port ${port} of ${kinds.join(', ')}`);
      const flag = proto === 'udp' ? '-Hlnup' : '-Hlntp';
      const what = `${proto.toUpperCase()} port ${port} free for ${kinds.join(', ')}`;
      lines.push(
        `  case "$used_${proto}" in *" ${hex4(Number(port))} "*)`,
        `    who=$(ss ${flag} ${q(`sport = :${port}`)} 2>/dev/null | head -n 1 | ${WHO})`,
        `    missing ${q(what)}" (in use by \${who:-a kernel socket}: stop it, or choose another port in the link's options)" ;;`,
        '  esac',
      );
    }
    lines.push('fi');
  }
  lines.push(`echo "${DEPLOYED_PREFIX}$deployed"`, 'exit 0');
  return `${lines.join('\n')}\n`;
}
