/**
 * One SSH connection per host (node-ssh over ssh2), with the host key checked against the
 * project's known_hosts before authentication completes.
 *
 * Every remote command has a deadline, and a host that stops answering is found out by SSH
 * keepalives within `NO_ANSWER_SECONDS` whatever command is running: a host whose sshd is
 * stopped still completes TCP handshakes and acknowledges packets, so nothing below SSH ever
 * notices. A command past its deadline, or cancelled, is stopped on the host (see `exec`).
 */
import { NodeSSH } from 'node-ssh';
import os from 'node:os';
import type { Host } from '../../shared/schema.js';
import { quotedText } from '../../shared/shell.js';
import { readText, resolvePath, statFile } from '../safe-fs.js';
import { normalizeFingerprint, type HostKeyConsent } from '../../shared/hostkeys.js';
import { consentMatches, HostKeyError, KnownHosts, knownHostsName } from './hostkeys.js';

export { HostKeyError };

export interface SshTarget {
  readonly host: string;
  readonly address: string;
  readonly port: number;
  readonly user: string;
  /** Private key file; absent ⇒ the agent (SSH_AUTH_SOCK), or the password when one is given. */
  readonly identityFile?: string;
  readonly sudo: boolean;
  /** Whether the login takes a password (the target's `password: true`). */
  readonly usesPassword: boolean;
}

/** Keepalives every 5 s; three unanswered in a row (15 s of silence) and the host counts as gone. */
const KEEPALIVE_INTERVAL_MS = 5_000;
const KEEPALIVE_COUNT_MAX = 2;
/** How long a host may stay silent before it counts as gone. */
export const NO_ANSWER_SECONDS = (KEEPALIVE_INTERVAL_MS * (KEEPALIVE_COUNT_MAX + 1)) / 1000;
/** The deadline of the command that stops another one (past its deadline, or cancelled). */
const STOP_SECONDS = 10;
/**
 * The host's own deadline for a command (coreutils `timeout`) runs this much past ours: it only
 * matters when we can no longer reach the host to stop the command ourselves.
 */
const HOST_DEADLINE_GRACE_SECONDS = 10;

/**
 * Why a remote command gave no exit status:
 * - `no-answer`: the host stopped answering (keepalives, or the command that would stop it, got no reply);
 * - `lost`: the connection closed under it (sshd killed, host rebooted, network cut);
 * - `deadline`: the host answers, but the command ran past its deadline: it was stopped there;
 * - `cancelled`: the run was cancelled: the command was stopped on the host.
 * After `no-answer` and `lost` nobody knows how far the command got.
 */
export type ExecFailure = 'no-answer' | 'lost' | 'deadline' | 'cancelled';

export class RemoteCommandError extends Error {
  /**
   * `summary`: what happened, in words that read after the host's name ("no answer from the
   * host for 15 s"); `detail`: how it was found out, or what became of the command.
   */
  constructor(
    readonly host: string,
    readonly reason: ExecFailure,
    readonly summary: string,
    readonly detail?: string,
  ) {
    super(`${host}: ${summary}${detail ? ` (${detail})` : ''}`);
    this.name = 'RemoteCommandError';
  }

  /** The message with the step the command was for: "spoke-2: no answer from the host for 15 s during apply (…)". */
  during(step: string): string {
    return `${this.host}: ${this.summary} during ${step}${this.detail ? ` (${this.detail})` : ''}`;
  }

  /** The host did not say how the command ended: what it changed is not known. */
  get stateUnknown(): boolean {
    return this.reason === 'no-answer' || this.reason === 'lost';
  }
}

export interface ExecOptions {
  /** Given to the command on stdin (scripts for `sh -s`, files' contents): never on a command line. */
  readonly stdin?: string;
  /** Seconds the command may take; past them it is stopped on the host and the call fails (`deadline`). */
  readonly timeoutSeconds: number;
  /** Aborting stops the command on the host and fails the call (`cancelled`). */
  readonly signal?: AbortSignal;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Connected {
  /** The host's name in the project. */
  readonly host: string;
  /**
   * Runs a POSIX shell command line (already quoted) as root (through sudo when configured).
   * Resolves with its exit status and output; rejects with `RemoteCommandError` when it gave none.
   */
  exec(command: string, o: ExecOptions): Promise<ExecResult>;
  /** Set once the connection is unusable (the host stopped answering, or it closed): every exec then fails at once. */
  readonly lost: RemoteCommandError | undefined;
  dispose(): void;
}

const expandHome = (p: string): string => (p.startsWith('~/') ? `${os.homedir()}${p.slice(1)}` : p);

/**
 * A private key file as ssh would take it: read without following a link root did not make, of
 * a trusted owner, readable by its owner alone (OpenSSH refuses an "unprotected" key too).
 */
async function readIdentity(host: string, file: string): Promise<string> {
  const real = await resolvePath(file);
  const text = await readText(real, { maxBytes: 1 << 20 });
  if (text === undefined) throw new Error(`${host}: the identity file ${file} does not exist: fix identityFile on this host's target`);
  const st = await statFile(real);
  if (st && (st.mode & 0o077) !== 0) throw new Error(`${host}: the identity file ${file} can be read by others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`);
  return text;
}

/**
 * The first line a command prints on stderr: the session id of the shell that runs it, the
 * handle by which the whole command — every process it started, also under `timeout`, which
 * makes a process group of its own — is stopped: sshd gives every channel's command a session
 * of its own (setsid), and only a daemon that means to outlive its starter leaves it. Read from
 * /proc by the shell's `read` (the fields after the command name: state, ppid, pgrp, session).
 */
const SESSION_MARK = '@@overlab-session';
const PRINT_SESSION = `read -r ol_st < /proc/$$/stat; set -- \${ol_st##*) }; printf '%s %s\\n' ${SESSION_MARK} "$4" >&2`;
const SESSION_RE = new RegExp(`^${SESSION_MARK} (\\d+)\\n`, 'm');

/** TERM to every process of a session, then KILL to what is left half a second later. */
const stopSession = (sid: number): string =>
  [
    `ol_sig() { sig=$1; hit=1; for f in /proc/[0-9]*/stat; do read -r l < "$f" 2>/dev/null || continue; set -- \${l##*) }; [ "$4" = ${sid} ] || continue; p=\${f#/proc/}; kill -s "$sig" "\${p%/stat}" 2>/dev/null && hit=0; done; return $hit; }`,
    'if ol_sig TERM; then sleep 0.5; ol_sig KILL; fi',
    'exit 0',
  ].join('\n');

/** Control characters a password cannot hold when sudo reads it as one line from stdin. */
const NOT_ONE_LINE = /[\n\r\0]/;

type Raw = { code: number | null; stdout: string; stderr: string; sid?: number };

/** What this module uses of ssh2's client and channels (ssh2 ships no types). */
interface Channel {
  on(event: 'data', f: (d: Buffer) => void): void;
  on(event: 'exit', f: (code: number | null) => void): void;
  on(event: 'close', f: () => void): void;
  readonly stderr: { on(event: 'data', f: (d: Buffer) => void): void };
  end(data: string): void;
  close(): void;
}
interface Client {
  exec(command: string, cb: (e: Error | undefined, ch: Channel) => void): void;
  on(event: 'error', f: (e: Error & { level?: string }) => void): void;
  on(event: 'close', f: () => void): void;
}

/**
 * `password`: for targets that log in with one (also given to sudo when sudo asks for it). It is
 * never part of an error message or a command line: sudo reads it on stdin (`sudo -S`), as one
 * line, and only when sudo asks (`sudo -n` fails) — on a host where sudo asks nothing, that line
 * would be the root command's first line of input.
 */
export async function connect(target: SshTarget, knownHosts: KnownHosts, consents: readonly HostKeyConsent[], timeoutMs = 15_000, password?: string): Promise<Connected> {
  if (target.usesPassword && password === undefined) {
    throw new Error(`${target.host}: logs in with a password (target.password: true) and none was given: run overlab deploy in a terminal to be asked, or set OVERLAB_SSH_PASSWORD`);
  }
  const ssh = new NodeSSH();
  const name = knownHostsName(target.address, target.port);
  let rejected: HostKeyError | undefined;
  let toAccept: Buffer | undefined;
  const privateKey = target.identityFile ? await readIdentity(target.host, expandHome(target.identityFile)) : undefined;
  try {
    await ssh.connect({
      host: target.address,
      port: target.port,
      username: target.user,
      ...(privateKey ? { privateKey } : target.usesPassword ? {} : { agent: process.env.SSH_AUTH_SOCK }),
      // Keyboard-interactive answers with the same password (servers that only offer that).
      ...(target.usesPassword ? { password: password!, tryKeyboard: true } : {}),
      readyTimeout: timeoutMs,
      keepaliveInterval: KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      hostVerifier: (key: Buffer) => {
        const verdict = knownHosts.verify(name, key);
        if (verdict.status === 'trusted') return true;
        // An unknown key gets in only with the fingerprint the person checked, for this host at
        // this address; a changed key never does.
        if (verdict.status === 'unknown' && consents.some((c) => consentMatches(c, target.host, name, verdict.fingerprint))) {
          toAccept = key;
          return true;
        }
        // A consent for this host and address with another fingerprint: say which, so the person sees the key moved.
        const other = consents.find((c) => c.host === target.host && (c.address === undefined || c.address === name));
        rejected = new HostKeyError(target.host, name, verdict, verdict.status === 'unknown' && other ? normalizeFingerprint(other.fingerprint) : undefined);
        return false;
      },
    });
  } catch (e) {
    ssh.dispose();
    if (rejected) throw rejected;
    let msg = e instanceof Error ? e.message : String(e);
    if (password) msg = msg.split(password).join('[redacted]');
    if (/All configured authentication methods failed/i.test(msg)) {
      msg += target.usesPassword ? ' (wrong password, or the server refuses passwords for this user)' : ` (no key accepted for ${target.user}: ${target.identityFile ? `check ${target.identityFile}` : 'load a key into the SSH agent or set identityFile'})`;
    }
    if (/Timed out while waiting for handshake/i.test(msg)) msg += ` (no answer from the host for ${Math.round(timeoutMs / 1000)} s: is its sshd running, and not stopped?)`;
    throw new Error(`${target.host}: cannot connect to ${target.user}@${target.address}:${target.port}: ${msg}`, { cause: e });
  }
  if (toAccept) {
    // Pinned only once the login worked; a key pinned for the address meanwhile by someone else wins (refused).
    try {
      await knownHosts.accept(name, toAccept, target.host);
    } catch (e) {
      ssh.dispose();
      throw e;
    }
  }
  const conn = new Connection(target.host, ssh);
  try {
    await conn.chooseSudo(target, password);
  } catch (e) {
    conn.dispose();
    throw e;
  }
  return conn;
}

/** One connection's commands: deadlines, cancel, and the connection's health. */
class Connection implements Connected {
  lost: RemoteCommandError | undefined;
  /** Closed by us: not a loss, and nothing runs any more. */
  private disposed = false;
  private readonly client: Client;
  /** How a command line becomes root's: as is, `sudo -n`, or `sudo -S` with the password's line first on stdin. */
  private sudo: { readonly mode: 'root' } | { readonly mode: 'nopasswd' } | { readonly mode: 'password'; readonly line: string } = { mode: 'root' };

  constructor(
    readonly host: string,
    private readonly ssh: NodeSSH,
  ) {
    this.client = ssh.connection as Client;
    // Without a listener an 'error' after the handshake (keepalive timeout, reset) would end the process.
    this.client.on('error', (e: Error & { level?: string }) => {
      if (this.disposed) return;
      this.lost ??=
        e.level === 'client-timeout'
          ? new RemoteCommandError(host, 'no-answer', `no answer from the host for ${NO_ANSWER_SECONDS} s`, 'SSH keepalives unanswered')
          : new RemoteCommandError(host, 'lost', 'the SSH connection was lost', e.message);
    });
    this.client.on('close', () => {
      if (this.disposed) return;
      this.lost ??= new RemoteCommandError(host, 'lost', 'the SSH connection was lost', 'closed by the host or the network');
    });
  }

  /** Decides once how commands become root's: sudo's password only when sudo asks for one. */
  async chooseSudo(target: SshTarget, password: string | undefined): Promise<void> {
    if (!target.sudo || target.user === 'root') return;
    const login = `${target.user}@${target.address}`;
    const asks = await this.raw('sudo -n -- sh -c true', undefined, 30);
    if (asks.code === 0) {
      this.sudo = { mode: 'nopasswd' };
      return;
    }
    const said = (r: Raw): string => (password ? r.stderr.split(password).join('[redacted]') : r.stderr).trim().split('\n').slice(-2).join(' / ');
    if (asks.code === 127) throw new Error(`${this.host}: sudo is not installed for ${login} (${said(asks)}): install it, or log in as root`);
    if (password === undefined) throw new Error(`${this.host}: sudo asks ${login} for a password (${said(asks)}): set password: true on this host's target, or allow ${target.user} sudo without one (NOPASSWD)`);
    if (NOT_ONE_LINE.test(password)) {
      throw new Error(`${this.host}: the password of ${login} contains a line break, carriage return or NUL, and sudo asks for it: sudo -S reads one line, so the rest would reach the root command as input. Change the password, or allow ${target.user} sudo without one (NOPASSWD)`);
    }
    // -k: sudo asks every time (no cached credential), so it always takes the line it is given.
    const check = await this.raw('sudo -k -S -p "" -- sh -c true', `${password}\n`, 30);
    if (check.code !== 0) throw new Error(`${this.host}: sudo refused the password of ${login} (${said(check)}): is ${target.user} allowed sudo on this host?`);
    this.sudo = { mode: 'password', line: `${password}\n` };
  }

  /** The command line as root's, and what goes first on its stdin. */
  private asRoot(command: string): { line: string; first: string } {
    const sh = `sh -c ${quotedText(command)}`;
    if (this.sudo.mode === 'nopasswd') return { line: `sudo -n -- ${sh}`, first: '' };
    if (this.sudo.mode === 'password') return { line: `sudo -k -S -p '' -- ${sh}`, first: this.sudo.line };
    return { line: sh, first: '' };
  }

  exec(command: string, o: ExecOptions): Promise<ExecResult> {
    if (this.disposed) return Promise.reject(this.closed());
    if (this.lost) return Promise.reject(this.lost);
    if (o.signal?.aborted) return Promise.reject(new RemoteCommandError(this.host, 'cancelled', 'cancelled', 'before the command started'));
    const seconds = Math.max(1, Math.ceil(o.timeoutSeconds));
    const body = `${PRINT_SESSION}\nexec timeout -k 5 ${seconds + HOST_DEADLINE_GRACE_SECONDS} sh -c ${quotedText(command)}`;
    return new Promise<ExecResult>((resolve, reject) => {
      let stopping = false;
      const started = this.start(body, o.stdin, (r) => {
        cleanup();
        if (stopping) return;
        if (r.code === null) reject(this.noStatus());
        else resolve({ code: r.code, stdout: r.stdout, stderr: r.stderr });
      });
      const stop = (why: 'deadline' | 'cancelled'): void => {
        if (stopping) return;
        stopping = true;
        cleanup();
        void this.stop(started.sid(), seconds, why).then(reject, reject);
        started.close();
      };
      const timer = setTimeout(() => stop('deadline'), seconds * 1000);
      const onAbort = (): void => stop('cancelled');
      o.signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = (): void => {
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
      };
    });
  }

  /**
   * A command past its deadline, or cancelled: its session stopped by a second command, and the
   * error that says how it ended. The stop needs the host to answer; when it does not, the host's
   * own deadline (`timeout` in `exec`) ends the command, and the connection counts as gone.
   */
  private async stop(sid: number | undefined, seconds: number, why: 'deadline' | 'cancelled'): Promise<RemoteCommandError> {
    if (this.lost) return this.lost;
    const later = `it ends by itself on the host within ${seconds + HOST_DEADLINE_GRACE_SECONDS + 5} s of its start`;
    // Whether the host still answers is the keepalives' to say (they set `lost`): a command that
    // is slow to start or to stop is a busy host's, not a gone one's — 50 lab hosts measured at
    // once on two cores were all "gone" when a slow stop counted as silence.
    if (sid === undefined) {
      if (why === 'cancelled') return new RemoteCommandError(this.host, 'cancelled', 'cancelled', `before the host started the command; ${later}`);
      return new RemoteCommandError(this.host, 'deadline', `the command ran past its ${seconds} s deadline`, `the host had not started it; ${later}`);
    }
    const r = await this.raw(stopSession(sid), undefined, STOP_SECONDS).catch((e: unknown) => e as RemoteCommandError);
    if (r instanceof RemoteCommandError) {
      // (Set meanwhile by the keepalives, if the host went silent while the stop waited.)
      const lost = this.lost as RemoteCommandError | undefined;
      if (lost) return new RemoteCommandError(this.host, lost.reason, lost.summary, `${why === 'cancelled' ? 'cancelled; ' : ''}the command could not be stopped: ${later}`);
      return why === 'cancelled'
        ? new RemoteCommandError(this.host, 'cancelled', 'cancelled', `stopping it took longer than ${STOP_SECONDS} s; ${later}`)
        : new RemoteCommandError(this.host, 'deadline', `the command ran past its ${seconds} s deadline`, `stopping it took longer than ${STOP_SECONDS} s; ${later}`);
    }
    const stopped = r.code === 0 ? 'it was stopped on the host' : `stopping it on the host failed: ${r.stderr.trim().split('\n').slice(-1)[0] ?? ''}; ${later}`;
    return why === 'cancelled'
      ? new RemoteCommandError(this.host, 'cancelled', 'cancelled', stopped)
      : new RemoteCommandError(this.host, 'deadline', `the command ran past its ${seconds} s deadline`, stopped);
  }

  /** A command with only a local deadline, never stopped on the host: the sudo checks and the stop itself. */
  private raw(command: string, stdin: string | undefined, seconds: number): Promise<Raw> {
    if (this.disposed) return Promise.reject(this.closed());
    if (this.lost) return Promise.reject(this.lost);
    return new Promise<Raw>((resolve, reject) => {
      const started = this.start(command, stdin, (r) => {
        clearTimeout(timer);
        if (r.code === null) reject(this.noStatus());
        else resolve(r);
      });
      const timer = setTimeout(() => {
        started.close();
        reject(this.lost ?? new RemoteCommandError(this.host, 'deadline', `the command ran past its ${seconds} s deadline`));
      }, seconds * 1000);
    });
  }

  /**
   * Opens a channel for `command` (as root), feeds its stdin, collects its output; `done` gets
   * the exit status (null: the channel closed without one, or never opened) once the channel closes. The session
   * mark, when the command prints one, is taken out of stderr and kept.
   */
  private start(command: string, stdin: string | undefined, done: (r: Raw) => void): { sid(): number | undefined; close(): void } {
    const { line, first } = this.asRoot(command);
    const out: Buffer[] = [];
    let err = '';
    let sid: number | undefined;
    let channel: Channel | undefined;
    let closed = false;
    let code: number | null = null;
    const finish = (): void => {
      if (closed) return;
      closed = true;
      const m = SESSION_RE.exec(err);
      done({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: m ? err.replace(m[0], '') : err, ...(sid !== undefined ? { sid } : {}) });
    };
    try {
      this.client.exec(line, (e, ch) => {
        if (e) {
          finish();
          return;
        }
        channel = ch;
        if (closed) {
          ch.close();
          return;
        }
        ch.on('data', (d: Buffer) => out.push(d));
        ch.stderr.on('data', (d: Buffer) => {
          err += d.toString('utf8');
          sid ??= Number(SESSION_RE.exec(err)?.[1]) || undefined;
        });
        // No status but a signal's name: the command was killed (a shell says 128 + n; sshd does not).
        ch.on('exit', (c: number | null) => {
          code = typeof c === 'number' ? c : 255;
        });
        ch.on('close', finish);
        ch.end(first + (stdin ?? ''));
      });
    } catch {
      // ssh2 throws when the connection is already gone: the close handler has set `lost`.
      this.lost ??= new RemoteCommandError(this.host, 'lost', 'the SSH connection was lost');
      queueMicrotask(finish);
    }
    return {
      sid: () => sid,
      close: () => {
        channel?.close();
        finish();
      },
    };
  }

  /** Why a channel closed without an exit status: the connection went, or we closed it. */
  private noStatus(): RemoteCommandError {
    return this.lost ?? (this.disposed ? this.closed() : new RemoteCommandError(this.host, 'lost', 'the SSH connection was lost', 'the command ended without an exit status'));
  }

  private closed(): RemoteCommandError {
    return new RemoteCommandError(this.host, 'lost', 'the SSH connection was closed', 'by Overlab, at the end of the run');
  }

  dispose(): void {
    this.disposed = true;
    this.ssh.dispose();
  }
}

/** The SSH target of a topology host; lab hosts go through the lab's management network. */
export function targetOf(h: Host, lab: { mgmtAddress: string; keyPath: string } | undefined): SshTarget {
  if (h.target.type === 'lab') {
    if (!lab) throw new Error(`${h.name}: the lab is not up; run \`overlab lab up\` first`);
    return { host: h.name, address: lab.mgmtAddress, port: 22, user: 'root', identityFile: lab.keyPath, sudo: false, usesPassword: false };
  }
  return {
    host: h.name,
    address: h.target.address,
    port: h.target.port,
    user: h.target.user,
    ...(h.target.identityFile ? { identityFile: h.target.identityFile } : {}),
    sudo: h.target.sudo,
    usesPassword: h.target.password,
  };
}
