/**
 * One SSH connection per host (node-ssh over ssh2), with the host key checked against the
 * project's known_hosts before authentication completes.
 */
import { NodeSSH } from 'node-ssh';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import type { Host } from '../../shared/schema.js';
import { q } from '../../shared/shell.js';
import { KnownHosts, knownHostsName, type HostKeyVerdict } from './hostkeys.js';

export interface SshTarget {
  readonly host: string;
  readonly address: string;
  readonly port: number;
  readonly user: string;
  /** Private key file; absent ⇒ the agent (SSH_AUTH_SOCK). */
  readonly identityFile?: string;
  readonly sudo: boolean;
}

export class HostKeyError extends Error {
  constructor(
    readonly host: string,
    readonly verdict: HostKeyVerdict,
  ) {
    super(
      verdict.status === 'unknown'
        ? `${host}: unknown host key ${verdict.fingerprint} (${verdict.keyType}); check it on the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub) and accept it with --accept-host-key ${host}`
        : verdict.status === 'changed'
          ? `${host}: the host key CHANGED to ${verdict.fingerprint} (pinned: ${verdict.expected.join(', ')}); refusing to connect — if the host was reinstalled, remove its line from .overlab/known_hosts`
          : `${host}: host key problem`,
    );
    this.name = 'HostKeyError';
  }
}

export interface Connected {
  readonly ssh: NodeSSH;
  /** Runs a shell command line (already quoted), as root (through sudo -n when configured). */
  exec(command: string, stdin?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  writeFile(path: string, content: string, mode: number): Promise<void>;
  dispose(): void;
}

const expandHome = (p: string): string => (p.startsWith('~/') ? `${os.homedir()}${p.slice(1)}` : p);

export async function connect(target: SshTarget, knownHosts: KnownHosts, acceptNew: boolean, timeoutMs = 15_000): Promise<Connected> {
  const ssh = new NodeSSH();
  const name = knownHostsName(target.address, target.port);
  let rejected: HostKeyVerdict | undefined;
  let toAccept: Buffer | undefined;
  const privateKey = target.identityFile ? await fs.readFile(expandHome(target.identityFile), 'utf8') : undefined;
  try {
    await ssh.connect({
      host: target.address,
      port: target.port,
      username: target.user,
      ...(privateKey ? { privateKey } : { agent: process.env.SSH_AUTH_SOCK }),
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer) => {
        const verdict = knownHosts.verify(name, key);
        if (verdict.status === 'trusted') return true;
        if (verdict.status === 'unknown' && acceptNew) {
          toAccept = key;
          return true;
        }
        rejected = verdict;
        return false;
      },
    });
  } catch (e) {
    ssh.dispose();
    if (rejected) throw new HostKeyError(target.host, rejected);
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`${target.host}: cannot connect to ${target.user}@${target.address}:${target.port}: ${msg}`, { cause: e });
  }
  if (toAccept) await knownHosts.accept(name, toAccept);
  const wrap = (command: string): string => (target.sudo && target.user !== 'root' ? `sudo -n sh -c ${q(command)}` : command);
  let sftp: Awaited<ReturnType<NodeSSH['requestSFTP']>> | undefined;
  return {
    ssh,
    exec: async (command, stdin) => {
      const r = await ssh.execCommand(wrap(command), { ...(stdin !== undefined ? { stdin } : {}), noTrim: true });
      return { code: r.code ?? 255, stdout: r.stdout, stderr: r.stderr };
    },
    writeFile: async (path, content, mode) => {
      sftp ??= await ssh.requestSFTP();
      const s = sftp;
      await new Promise<void>((resolve, reject) => s.writeFile(path, content, { mode }, (err: Error | null | undefined) => (err ? reject(err) : resolve())));
    },
    dispose: () => ssh.dispose(),
  };
}

/** The SSH target of a topology host; lab hosts go through the lab's management network. */
export function targetOf(h: Host, lab: { mgmtAddress: string; keyPath: string } | undefined): SshTarget {
  if (h.target.type === 'lab') {
    if (!lab) throw new Error(`${h.name}: the lab is not up; run \`overlab lab up\` first`);
    return { host: h.name, address: lab.mgmtAddress, port: 22, user: 'root', identityFile: lab.keyPath, sudo: false };
  }
  return { host: h.name, address: h.target.address, port: h.target.port, user: h.target.user, ...(h.target.identityFile ? { identityFile: h.target.identityFile } : {}), sudo: h.target.sudo };
}
