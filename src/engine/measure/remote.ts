/**
 * The shell a measurement run executes on a host, each fragment named once with the reason for
 * its form. Every value is quoted; nothing here carries a secret.
 */
import path from 'node:path';
import { hex4, OL_PORTS, q } from '../../shared/shell.js';
import { MISSING_PREFIX } from '../../shared/preflight.js';
import { TOOLS } from '../../shared/measure/tools/index.js';

/** Per-run state on a host: the pid files of the servers the run started, removed at the end. */
export const runDir = (runId: string): string => `/run/overlab-measure/${runId}`;

/** Debian packages of the tools (each tool's, from the registry, and the runner's own), for the preflight's "install:" hint. */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  ...Object.assign({}, ...TOOLS.map((t) => t.packages)),
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

/** Ports a test's server may take, from a range Overlab keeps to (20000–39999), spread by `seed`. */
export function candidatePorts(seed: number, count = 12): number[] {
  const out: number[] = [];
  for (let i = 0; out.length < count && i < 1000; i++) {
    const p = 20000 + ((seed * 7919 + i * 104729) % 20000);
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

/**
 * Runs a command with a deadline on the host (coreutils timeout: TERM, then KILL 5 s later), so
 * that nothing a run starts can outlive it.
 */
export const withTimeout = (seconds: number, command: string): string => `timeout -k 5 ${Math.ceil(seconds)} ${command}`;

/** The line a server start prints with the port it took. */
export const PORT_PREFIX = 'port=';


/**
 * Alive and not a zombie: a server that ended by itself (iperf3 -1) is an unreaped zombie until
 * its new parent reaps it — `kill -0` says yes to those, and a stop's wait took 1.2 s a test in
 * the lab. The state is the third field of /proc/PID/stat (read, no fork).
 */
const ALIVE = 'alive() { [ -r "/proc/$1/stat" ] || return 1; read -r _ _ st _ < "/proc/$1/stat" 2>/dev/null || return 1; [ "$st" != Z ]; }';

/**
 * The CPU lines of /proc/stat (the aggregate `cpu` line and one per CPU, all that `cpuUsage`
 * reads), by the shell's own `read`: no `cat` to fork and exec just before and just after the
 * client, where the time counts towards the test. The file's other lines (interrupts, the
 * longest) come after the CPU lines and are not read.
 */
const OL_CPU = `ol_cpu() { while read -r l; do case "$l" in cpu*) printf '%s\\n' "$l" ;; *) break ;; esac; done < /proc/stat; }`;

/**
 * SIGKILL to a pid file's process and to its children: the pid is `timeout`'s (withTimeout), and
 * KILL to timeout alone leaves the server running without a parent — and without the KILL that
 * timeout's `-k` would have sent it. The children from /proc (read, no fork).
 */
const KILL_TREE = 'kill_tree() { kids=; [ -r "/proc/$1/task/$1/children" ] && read -r kids < "/proc/$1/task/$1/children"; kill -KILL $kids "$1" 2>/dev/null; }';

/**
 * One round trip that starts a test's server: the first candidate port nothing listens on (TCP
 * and UDP, from the socket tables), the server for that port in the background (its pid in
 * `pidFile`, its output in `outFile`), `port=N` printed, then a wait until it listens — the
 * tables polled every 10 ms for at least 5 s, since a server binds within milliseconds; a server
 * that exits before it listens (its port taken after all, a bad argument) ends the wait at once,
 * with its output. `servers` holds the command for each candidate port (the ports are digits,
 * the commands quoted).
 */
export function startServer(servers: readonly { readonly port: number; readonly command: string }[], pidFile: string, outFile: string, proto: 'tcp' | 'udp'): string {
  for (const s of servers) if (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535) throw new Error(`bug: port ${s.port}`);
  const ports = servers.map((s) => String(s.port));
  const [state, tables] = proto === 'udp' ? ['07', '/proc/net/udp /proc/net/udp6'] : ['0A', '/proc/net/tcp /proc/net/tcp6'];
  // As few processes as can be (under load each one waits for a core): the folder made once a
  // run, the server (under timeout), one sleep a poll; everything else is the shell's own.
  const dir = q(path.posix.dirname(pidFile));
  return [
    OL_PORTS,
    ALIVE,
    `[ -d ${dir} ] || mkdir -p ${dir}`,
    'ol_ports 0A /proc/net/tcp /proc/net/tcp6; used=$found; ol_ports 07 /proc/net/udp /proc/net/udp6; used="$used$found"',
    'port=',
    `for p in ${servers.map((s) => `${s.port}:${hex4(s.port)}`).join(' ')}; do case "$used" in *" \${p#*:} "*) ;; *) port=\${p%:*} hex=\${p#*:}; break ;; esac; done`,
    `[ -n "$port" ] || { echo "no free port among ${ports.join(', ')}" >&2; exit 1; }`,
    'case "$port" in',
    ...servers.map((s) => `${s.port}) ${s.command} > ${q(outFile)} 2>&1 & ;;`),
    'esac',
    'pid=$!',
    `echo "$pid" > ${q(pidFile)}`,
    `echo "${PORT_PREFIX}$port"`,
    'i=0',
    `until ol_ports ${state} ${tables}; case "$found" in *" $hex "*) true ;; *) false ;; esac; do`,
    `  alive "$pid" || { echo "the server exited before it listened on port $port:" >&2; cat ${q(outFile)} >&2; exit 1; }`,
    `  i=$((i + 1)); if [ "$i" -gt 500 ]; then echo "the server did not listen on port $port within 5 s:" >&2; cat ${q(outFile)} >&2; exit 1; fi`,
    '  sleep 0.01',
    'done',
  ].join('\n');
}

/** Marks around the CPU counters a client's round trip prints before and after the client. */
const CPU_BEFORE = '@@overlab-cpu-before';
const CPU_RUN = '@@overlab-cpu-run';
const CPU_AFTER = '@@overlab-cpu-after';

/**
 * The client in the same round trip as the CPU counters read just before and just after it
 * (`/proc/stat`), so that reading them costs no round trip of its own; exits with the client's
 * status. `splitClient` takes the output apart again.
 */
export const clientWithCpu = (command: string): string =>
  [OL_CPU, `echo ${CPU_BEFORE}; ol_cpu; echo ${CPU_RUN}`, command, 'rc=$?', `printf '\\n%s\\n' ${CPU_AFTER}; ol_cpu`, 'exit "$rc"'].join('\n');

/** What `clientWithCpu` printed: the counters before and after, and the client's own output as it printed it. */
export function splitClient(stdout: string): { before: string; output: string; after: string } {
  const run = stdout.indexOf(`${CPU_RUN}\n`);
  const end = stdout.lastIndexOf(`\n${CPU_AFTER}\n`);
  if (!stdout.startsWith(`${CPU_BEFORE}\n`) || run < 0 || end < run) return { before: '', output: stdout, after: '' };
  return { before: stdout.slice(CPU_BEFORE.length + 1, run), output: stdout.slice(run + CPU_RUN.length + 1, end), after: stdout.slice(end + CPU_AFTER.length + 2) };
}

const CPU_END = '@@overlab-cpu-end';

/**
 * Stops a server by its pid file, after reading the host's CPU counters (the end of the test's
 * window on that host): SIGINT twice (iperf 2 waits for its threads on the first), then SIGKILL
 * to it and its children if it is still there 2 s later; prints its output. Never fails.
 * `splitStop` takes the output apart.
 */
export function stopServer(pidFile: string, outFile: string): string {
  return [
    OL_CPU,
    ALIVE,
    KILL_TREE,
    `ol_cpu; echo ${CPU_END}`,
    `if [ -f ${q(pidFile)} ] && read -r p < ${q(pidFile)} && alive "$p"; then kill -INT "$p" 2>/dev/null; i=0; while alive "$p" && [ "$i" -lt 100 ]; do sleep 0.02; i=$((i + 1)); [ "$i" = 5 ] && kill -INT "$p" 2>/dev/null; done; alive "$p" && kill_tree "$p"; fi`,
    `cat ${q(outFile)} 2>/dev/null; rm -f ${q(pidFile)} ${q(outFile)}`,
    'exit 0',
  ].join('\n');
}

/** What `stopServer` printed: the CPU counters, and the server's output. */
export function splitStop(stdout: string): { cpu: string; output: string } {
  const i = stdout.indexOf(`${CPU_END}\n`);
  return i < 0 ? { cpu: '', output: stdout } : { cpu: stdout.slice(0, i), output: stdout.slice(i + CPU_END.length + 1) };
}

/**
 * Every server the run left (an interrupted run, a lost connection): stopped, and the run's
 * folder removed. A pid file holds `timeout`'s pid: TERM reaches the server through it (timeout
 * relays the signal), where KILL would leave the server running without its parent.
 */
export function cleanupRun(runId: string): string {
  const d = q(runDir(runId));
  return `${ALIVE}\n${KILL_TREE}\nif [ -d ${d} ]; then left=; for f in ${d}/*.pid; do [ -f "$f" ] && read -r p < "$f" && left=1 && kill -TERM "$p" 2>/dev/null; done; if [ -n "$left" ]; then sleep 0.2; for f in ${d}/*.pid; do [ -f "$f" ] && read -r p < "$f" && alive "$p" && kill_tree "$p"; done; fi; rm -rf ${d}; fi; exit 0`;
}
