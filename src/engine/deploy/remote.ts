/**
 * The shell that deploy and teardown run on a host, each fragment named once with the reason
 * it is written the way it is. Every value in them is quoted (`q`); none carries a secret
 * (keys travel on the script's stdin into files, never on a command line).
 */
import path from 'node:path';
import { q, quotedText } from '../../shared/shell.js';

/** Where a bundle lives on a host. */
export const REMOTE_ROOT = '/var/lib/overlab';
/** The bundle that is up. */
export const BUNDLE = `${REMOTE_ROOT}/bundle`;
/** The upload area, swapped in once the old bundle is down: an upload never touches what is running. */
export const INCOMING = `${REMOTE_ROOT}/incoming`;
/** The bundle a re-deploy replaced, kept until the run succeeds: a rollback brings it back. */
export const PREVIOUS = `${REMOTE_ROOT}/previous`;
/** The SHA-256 of the bundle that is up, read back by the preflight (unchanged bundles are only re-applied). */
export const HASH_FILE = `${BUNDLE}/bundle.sha256`;

const upSh = (dir: string): string => q(`${dir}/up.sh`);
const downSh = (dir: string): string => q(`${dir}/down.sh`);

/** What `installScript` prints once the whole bundle is written, before anything running is touched. */
export const WRITTEN = '@@overlab-bundle-written';

/**
 * The bundle written and applied in one round trip, read by `sh -s` from stdin (so its files,
 * secrets included, are never in a command line, a log or a temporary file outside the 0700
 * upload area): the upload area emptied and made 0700, each file written by the shell's own
 * `printf` (a builtin: no process, and nothing in a process list) under the umask that gives
 * its mode, the modes with execute bits set by one `chmod` each, `WRITTEN` printed, then
 * `applyScript`. A failure while writing stops before `WRITTEN`, with nothing running touched;
 * the exit status is otherwise up.sh's. On a fleet deployed at once every process counts (each
 * costs ~5 ms, and all the hosts wait for the same cores): a base64 and a chmod per file were
 * half of a spoke's processes.
 */
export function installScript(files: readonly { readonly path: string; readonly content: string; readonly mode: number }[], replacesOther: boolean): string {
  const dirs = [...new Set(files.map((f) => path.posix.dirname(`${INCOMING}/${f.path}`)))].filter((d) => d !== INCOMING);
  const lines = [
    // The bundle's files are private while written; up.sh then runs with the login's own umask
    // (daemons it starts create sockets and logs other users may need: ocserv's workers do).
    'umask_was=$(umask)',
    'umask 077',
    `written() { echo "overlab: cannot write the bundle into ${INCOMING}: $1" >&2; exit 1; }`,
    `{ [ ! -e ${q(INCOMING)} ] || rm -rf ${q(INCOMING)}; } && mkdir -p -m 0700 ${[INCOMING, ...dirs].map(q).join(' ')} || written ${q(INCOMING)}`,
  ];
  const chmods = new Map<number, string[]>();
  for (const f of files) {
    const file = `${INCOMING}/${f.path}`;
    // A new file (the area was emptied) gets 0666 less the umask: the mode itself when it has no
    // execute or special bits; those are added by chmod below, the file private until then.
    const binary = f.content.includes('\0');
    const plain = !binary && (f.mode & 0o7111) === 0;
    if (binary) {
      // Not text (no bundle file is today): base64 has no quoting to get wrong.
      const body = Buffer.from(f.content).toString('base64').replace(/.{1,76}/g, '$&\n');
      lines.push(`base64 -d > ${q(file)} <<'__OVERLAB_B64__' || written ${q(f.path)}`, `${body}__OVERLAB_B64__`);
    } else {
      lines.push(`umask ${(plain ? 0o777 & ~f.mode : 0o077).toString(8).padStart(3, '0')}; printf '%s' ${quotedText(f.content)} > ${q(file)} || written ${q(f.path)}`);
    }
    if (!plain) chmods.set(f.mode, [...(chmods.get(f.mode) ?? []), file]);
  }
  for (const [mode, paths] of chmods) lines.push(`chmod ${mode.toString(8)} ${paths.map(q).join(' ')} || written ${q(paths.map((p) => path.posix.relative(INCOMING, p)).join(', '))}`);
  lines.push(`echo ${WRITTEN}`, 'umask "$umask_was"', applyScript(replacesOther), '');
  return lines.join('\n');
}

/**
 * Swaps the uploaded bundle in and runs its up.sh. A different bundle deployed earlier goes
 * down first by its *own* down.sh (only it knows what it made) and is kept aside as PREVIOUS
 * for a rollback; its down.sh output is dropped since a partly-broken old bundle must not stop
 * the new one. The same bundle (or none) needs no down.sh: up.sh is idempotent.
 */
export function applyScript(replacesOther: boolean): string {
  const swap = replacesOther
    ? `if [ -f ${downSh(BUNDLE)} ]; then sh ${downSh(BUNDLE)} >/dev/null 2>&1; fi; rm -rf ${q(PREVIOUS)} && mv ${q(BUNDLE)} ${q(PREVIOUS)}`
    : `{ [ ! -e ${q(PREVIOUS)} ] && [ ! -e ${q(BUNDLE)} ] || rm -rf ${q(PREVIOUS)} ${q(BUNDLE)}; }`;
  return `${swap} && mv ${q(INCOMING)} ${q(BUNDLE)} && sh ${upSh(BUNDLE)}`;
}

/** What `verifyScript` prints on stderr before the peers that did not answer. */
export const NO_ANSWER = 'no answer over the tunnel from:';

/**
 * Each peer's tunnel address must answer a ping, within one deadline for all of them. A ping
 * can fail at once (no route yet, no WireGuard session, ARP pending), so a failed attempt
 * pauses before the next: the wait is counted in seconds, never in attempts (30 instant
 * failures once ended a 30-"attempt" wait in milliseconds).
 */
export function verifyScript(peers: readonly { peer: string; address: string }[], waitSeconds: number): string {
  return [
    'failed=""',
    `end=$(($(date +%s) + ${Math.max(1, Math.round(waitSeconds))}))`,
    ...peers.map(
      (p) => `until ping -c 1 -W 1 ${q(p.address)} >/dev/null 2>&1; do if [ "$(date +%s)" -ge "$end" ]; then failed="$failed ${p.peer}(${p.address})"; break; fi; sleep 0.2; done`,
    ),
    `if [ -n "$failed" ]; then echo "${NO_ANSWER}$failed" >&2; exit 1; fi`,
    '',
  ].join('\n');
}

/** What `ROLLBACK` prints when the bundle it replaced is up again. */
export const RESTORED = 'restored';

/**
 * Takes this run's bundle down and brings back the one it replaced (PREVIOUS), or, when there
 * was none, leaves the host with nothing of Overlab's. `;` rather than `&&`: each step is tried
 * whatever the one before did, since a rollback must get as far as it can.
 */
export const ROLLBACK = [
  `if [ -f ${downSh(BUNDLE)} ]; then sh ${downSh(BUNDLE)}; fi`,
  `rm -rf ${q(BUNDLE)} ${q(INCOMING)}`,
  `if [ -d ${q(PREVIOUS)} ]; then mv ${q(PREVIOUS)} ${q(BUNDLE)} && sh ${upSh(BUNDLE)} >/dev/null && echo ${RESTORED}; else rm -rf ${q(REMOTE_ROOT)}; fi`,
].join('; ');

/**
 * The rollback of a host whose apply may have been stopped part-way (cancelled, past its
 * deadline): `ROLLBACK` once this run's bundle (`hash`) is in place or the replaced one is set
 * aside; before that (stopped while writing, or between the old bundle's down.sh and the swap)
 * the upload area goes and the bundle still in place is brought up again (up.sh is idempotent),
 * so a stop at the wrong moment never takes down what was deployed before.
 */
export function rollbackScript(hash: string): string {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`bug: bundle hash ${JSON.stringify(hash)}`);
  return [
    `ol_h=; [ -r ${q(HASH_FILE)} ] && read -r ol_h < ${q(HASH_FILE)}`,
    `if [ -d ${q(PREVIOUS)} ] || [ "$ol_h" = ${hash} ]; then ${ROLLBACK}; else rm -rf ${q(INCOMING)}; if [ -f ${upSh(BUNDLE)} ]; then sh ${upSh(BUNDLE)} >/dev/null && echo ${RESTORED}; fi; fi`,
  ].join('\n');
}

/** The run stands: the bundle it replaced is no longer needed. */
export const DROP_PREVIOUS = `rm -rf ${q(PREVIOUS)}`;

/** What `TEARDOWN` prints when a bundle was there and went down. */
export const REMOVED = 'removed';

/**
 * down.sh of the deployed bundle (it always succeeds when there is nothing to remove), then the
 * folder goes. A down.sh that fails anyway fails the teardown with its output, and its bundle
 * stays: it is the only record of what is still on the host, and a second teardown retries it.
 */
export const TEARDOWN = `if [ -f ${downSh(BUNDLE)} ]; then sh ${downSh(BUNDLE)} || { rc=$?; echo "overlab: down.sh exited $rc; the bundle stays in ${BUNDLE} for another teardown" >&2; exit "$rc"; }; echo ${REMOVED}; fi; rm -rf ${q(REMOTE_ROOT)}`;
