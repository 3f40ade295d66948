/**
 * The shell a measurement run executes on a host, each fragment named once with the reason for
 * its form. Every value is quoted; nothing here carries a secret.
 */
import { q } from '../../shared/shell.js';
import { MISSING_PREFIX } from '../../shared/preflight.js';

/** Per-run state on a host: the pid files of the servers the run started, removed at the end. */
export const runDir = (runId: string): string => `/run/overlab-measure/${runId}`;

/** Debian packages of the tools, for the preflight's "install:" hint. */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  ping: 'iputils-ping',
  iperf3: 'iperf3',
  iperf: 'iperf',
  netperf: 'netperf (Debian non-free)',
  netserver: 'netperf (Debian non-free)',
  timeout: 'coreutils',
  ss: 'iproute2',
};

/** Lines the preflight prints besides `missing:` ones. */
export const ENV_PREFIX = 'env: ';

/**
 * Read-only: the tools this host's tests need, then what the results record of the host —
 * kernel, OS, tool versions, the deployed bundle's hash. Always exits 0.
 */
export function measurePreflight(binaries: readonly string[], hashFile: string): string {
  const lines = ['set -u', `missing() { echo "${MISSING_PREFIX}$*"; }`, `env() { printf '${ENV_PREFIX}%s=%s\\n' "$1" "$2"; }`];
  for (const b of binaries) lines.push(`command -v ${q(b)} >/dev/null 2>&1 || missing ${q(`program ${b} (install: ${TOOL_PACKAGES[b] ?? b})`)}`);
  lines.push(
    'env kernel "$(uname -r)"',
    'env os "$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"',
    // Version lines, first line only; a tool that is missing prints nothing.
    'env ping "$(ping -V 2>/dev/null | head -n 1)"',
    'env iperf3 "$(iperf3 --version 2>/dev/null | head -n 1)"',
    'env iperf "$(iperf -v 2>&1 | head -n 1)"',
    'env netperf "$(netperf -V 2>/dev/null | head -n 1)"',
    `env bundle "$(cat ${q(hashFile)} 2>/dev/null)"`,
    'exit 0',
  );
  return `${lines.join('\n')}\n`;
}

/** TCP and UDP ports in use on the host (`ss`): a test's server takes one that is not. */
export const PORTS_IN_USE = "ss -Hlntu 2>/dev/null | awk '{print $5}' | sed 's/.*://'";

/**
 * Runs a command with a deadline on the host (coreutils timeout: TERM, then KILL 5 s later), so
 * that nothing a run starts can outlive it.
 */
export const withTimeout = (seconds: number, command: string): string => `timeout -k 5 ${Math.ceil(seconds)} ${command}`;

/** Starts a server in the background, its pid in `pidFile`, its output in `outFile`; waits until it listens on `port`. */
export function startServer(command: string, pidFile: string, outFile: string, port: number, proto: 'tcp' | 'udp'): string {
  const flag = proto === 'udp' ? '-Hlnu' : '-Hlnt';
  return [
    `mkdir -p "$(dirname ${q(pidFile)})"`,
    `${command} > ${q(outFile)} 2>&1 &`,
    `echo $! > ${q(pidFile)}`,
    // Up to 5 s for the socket to appear (the server may need a moment, more under emulation).
    'i=0',
    `until ss ${flag} ${q(`sport = :${port}`)} 2>/dev/null | grep -q .; do i=$((i + 1)); if [ "$i" -gt 50 ]; then echo "the server did not listen on port ${port}:" >&2; cat ${q(outFile)} >&2; exit 1; fi; sleep 0.1; done`,
  ].join('\n');
}

/**
 * Stops a server by its pid file: SIGINT twice (iperf 2 waits for its threads on the first),
 * then SIGKILL if it is still there; prints its output. Never fails.
 */
export function stopServer(pidFile: string, outFile: string): string {
  return [
    // Alive and not a zombie: a server that ended by itself (iperf3 -1) is an unreaped zombie
    // until its new parent reaps it — `kill -0` says yes to those, and the wait below took 1.2 s
    // a test in the lab. The state is the third field of /proc/PID/stat (read, no fork).
    'alive() { [ -r "/proc/$1/stat" ] || return 1; read -r _ _ st _ < "/proc/$1/stat" 2>/dev/null || return 1; [ "$st" != Z ]; }',
    `if [ -f ${q(pidFile)} ]; then p=$(cat ${q(pidFile)}); if alive "$p"; then kill -INT "$p" 2>/dev/null; sleep 0.1; alive "$p" && kill -INT "$p" 2>/dev/null; i=0; while alive "$p" && [ "$i" -lt 20 ]; do sleep 0.1; i=$((i + 1)); done; alive "$p" && kill -KILL "$p" 2>/dev/null; fi; rm -f ${q(pidFile)}; fi`,
    `cat ${q(outFile)} 2>/dev/null; rm -f ${q(outFile)}`,
    'exit 0',
  ].join('\n');
}

/** Every server the run left (an interrupted run, a lost connection): stopped, and the run's folder removed. */
export function cleanupRun(runId: string): string {
  const d = q(runDir(runId));
  return `if [ -d ${d} ]; then for f in ${d}/*.pid; do [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null; done; rm -rf ${d}; fi; exit 0`;
}
