/**
 * One SSH connection per host (node-ssh over ssh2), with the host key checked against the
 * project's known_hosts before authentication completes.
 */
import { NodeSSH } from 'node-ssh';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import type { Host } from '../../shared/schema.js';
import { q } from '../../shared/shell.js';
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

export interface Connected {
  readonly ssh: NodeSSH;
  /** Runs a shell command line (already quoted), as root (through sudo -n when configured). */
  exec(command: string, stdin?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  dispose(): void;
}

const expandHome = (p: string): string => (p.startsWith('~/') ? `${os.homedir()}${p.slice(1)}` : p);

/**
 * `password`: for targets that log in with one (also given to sudo). It is never part of an
 * error message or a command line: sudo reads it on stdin (`sudo -S`).
 */
export async function connect(target: SshTarget, knownHosts: KnownHosts, consents: readonly HostKeyConsent[], timeoutMs = 15_000, password?: string): Promise<Connected> {
  if (target.usesPassword && password === undefined) {
    throw new Error(`${target.host}: logs in with a password (target.password: true) and none was given: run overlab deploy in a terminal to be asked, or set OVERLAB_SSH_PASSWORD`);
  }
  const ssh = new NodeSSH();
  const name = knownHostsName(target.address, target.port);
  let rejected: HostKeyError | undefined;
  let toAccept: Buffer | undefined;
  const privateKey = target.identityFile ? await fs.readFile(expandHome(target.identityFile), 'utf8') : undefined;
  try {
    await ssh.connect({
      host: target.address,
      port: target.port,
      username: target.user,
      ...(privateKey ? { privateKey } : target.usesPassword ? {} : { agent: process.env.SSH_AUTH_SOCK }),
      // Keyboard-interactive answers with the same password (servers that only offer that).
      ...(target.usesPassword ? { password: password!, tryKeyboard: true } : {}),
      readyTimeout: timeoutMs,
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
  const viaSudo = target.sudo && target.user !== 'root';
  // sudo -S reads the password's line from stdin byte by byte; the rest of stdin is the command's.
  const sudoPassword = viaSudo && target.usesPassword ? password : undefined;
  const wrap = (command: string): string => (!viaSudo ? command : sudoPassword !== undefined ? `sudo -S -p '' sh -c ${q(command)}` : `sudo -n sh -c ${q(command)}`);
  return {
    ssh,
    exec: async (command, stdin) => {
      const input = sudoPassword !== undefined ? `${sudoPassword}\n${stdin ?? ''}` : stdin;
      const r = await ssh.execCommand(wrap(command), { ...(input !== undefined ? { stdin: input } : {}), noTrim: true });
      return { code: r.code ?? 255, stdout: r.stdout, stderr: r.stderr };
    },
    dispose: () => ssh.dispose(),
  };
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
