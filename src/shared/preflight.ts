/**
 * The read-only checks run on a host before anything changes on it, as one POSIX sh script.
 * Each problem is printed as one `missing: ...` line; the script always exits 0.
 */
import { q } from './shell.js';
import type { Requirements } from './tunnels/types.js';

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
}

/** Lines of a script that prints `missing: <what> (<fix>)` per problem and `deployed: <hash>` last. */
export function preflightScript(needs: readonly PreflightNeed[], deployedHashFile: string): string {
  const lines = ['set -u', 'missing() { echo "missing: $*"; }', '[ "$(id -u)" = 0 ] || missing "root privileges: log in as root, or set target.sudo: true with passwordless sudo"'];
  const binaries = new Map<string, string>();
  for (const n of needs) for (const b of n.requirements.binaries) if (!binaries.has(b)) binaries.set(b, n.requirements.packages.join(' '));
  for (const [b, pkgs] of binaries) lines.push(`command -v ${q(b)} >/dev/null 2>&1 || [ -x ${q(`/usr/sbin/${b}`)} ] || [ -x ${q(`/sbin/${b}`)} ] || missing ${q(`program ${b} (install: ${pkgs})`)}`);
  const probes = new Map<string, string[]>();
  for (const n of needs) if (n.requirements.probe) probes.set(n.requirements.probe, [...(probes.get(n.requirements.probe) ?? []), n.kind]);
  let i = 0;
  // A scratch namespace makes /run/netns exist (a mount point); remove it again if it was not there.
  if (probes.size > 0) lines.push('[ -e /run/netns ] && had_netns=1 || had_netns=0');
  for (const [probe, kinds] of probes) {
    const ns = `olpf$$-${i++}`;
    const modules = [...new Set(needs.filter((n) => kinds.includes(n.kind)).flatMap((n) => n.requirements.modules))].join(', ') || 'see the kind';
    // The probe (the kinds' own code, not user input) is fed to a shell in the scratch namespace as a quoted here-document.
    lines.push(
      `if ip netns add "${ns}" 2>/dev/null; then`,
      `  ip netns exec "${ns}" sh -s >/dev/null 2>&1 <<'OVERLAB_PROBE' || missing ${q(`kernel support for ${kinds.join(', ')} (modules: ${modules}): this kernel cannot create the device`)}`,
      probeScript(probe),
      'OVERLAB_PROBE',
      `  ip netns del "${ns}"`,
      'fi',
    );
  }
  if (probes.size > 0) lines.push('if [ "$had_netns" = 0 ]; then umount /run/netns 2>/dev/null; rmdir /run/netns 2>/dev/null; fi');
  lines.push(`echo "deployed: $(cat ${q(deployedHashFile)} 2>/dev/null)"`, 'exit 0');
  return `${lines.join('\n')}\n`;
}
