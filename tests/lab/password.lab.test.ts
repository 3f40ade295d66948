/**
 * Password logins over real SSH: a second sshd in a lab host that takes passwords, root's and a
 * sudoer's password set in that host's own /etc (the lab's overlay; the machine's /etc/shadow
 * is untouched), and Overlab's connect() logging in with them — also through `sudo -S` for
 * a login that is not root. Needs root; skipped otherwise.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint, KnownHosts } from '../../src/engine/deploy/hostkeys.js';
import { connect, RemoteCommandError, type SshTarget } from '../../src/engine/deploy/ssh.js';
import { run } from '../../src/engine/exec.js';
import { chooseLabLayout, labDown, labExecArgv, labUp, type LabLayout } from '../../src/engine/lab/lab.js';
import { createProject } from '../../src/engine/store/project.js';
import { plan } from '../../src/shared/plan.js';
import { makeTemplate } from '../../src/shared/templates.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const root = process.getuid?.() === 0;
const ROOT_PW = 'r00t pw with spaces & $(not-run)';
const USER_PW = "us'er-pw\\n;`x`";
/** A password with a line break: on a host where sudo asks nothing, its second line was run as root. */
const NL_PW = 'first-line\necho INJECTED';
let dir = '';
let L: LabLayout;
let known: KnownHosts;
/** The second sshd serves site-a's lab host key: accepted by its fingerprint, as a person would. */
let accept: { host: string; fingerprint: string }[] = [];
let sshdPid = 0;
let shadowBefore = '';

const inHost = async (...argv: string[]): Promise<string> => (await run(labExecArgv(L, 'site-a', argv))).stdout;
/** Every remote command has a deadline. */
const T = { timeoutSeconds: 20 };
const target = (over: Partial<SshTarget>): SshTarget => ({ host: 'site-a', address: L.hosts[0]!.mgmtAddress, port: 2222, user: 'root', sudo: false, usesPassword: true, ...over });

describe.skipIf(!root)('password logins (real sshd in a lab host)', () => {
  beforeAll(async () => {
    shadowBefore = await fs.readFile('/etc/shadow', 'utf8');
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-password-'));
    const made = makeTemplate({ template: 'site-to-site', hosts: 2, kind: 'clean' }, defaultRegistry).value!;
    const t = { ...made, lab: { management: '198.18.240.0/20' } };
    await createProject(dir, t, defaultRegistry);
    L = await chooseLabLayout(dir, t, plan(t, defaultRegistry).value!);
    await labUp(dir, L);
    // Passwords go in on stdin, never on a command line.
    await run(labExecArgv(L, 'site-a', ['chpasswd']), { input: `root:${ROOT_PW}\n` });
    await inHost('useradd', '-M', '-N', '-d', '/', '-s', '/bin/sh', 'oltest');
    await run(labExecArgv(L, 'site-a', ['chpasswd']), { input: `oltest:${USER_PW}\n` });
    await inHost('sh', '-c', "echo 'oltest ALL=(ALL) ALL' > /etc/sudoers.d/oltest && chmod 0440 /etc/sudoers.d/oltest");
    // Two more sudoers whose password has a line break (set by its hash: chpasswd reads lines),
    // one whose sudo asks for no password and one whose sudo asks for it.
    const hash = (await run(['openssl', 'passwd', '-6', '-salt', 'olsalt42', NL_PW])).stdout.trim();
    for (const [user, rule] of [['olnopw', 'NOPASSWD: ALL'], ['olnl', 'ALL']] as const) {
      await inHost('useradd', '-M', '-N', '-d', '/', '-s', '/bin/sh', '-p', hash, user);
      await inHost('sh', '-c', `echo '${user} ALL=(ALL) ${rule}' > /etc/sudoers.d/${user} && chmod 0440 /etc/sudoers.d/${user}`);
    }
    // The host's sshd files sit in its own /run (the lab state's site-a/run on this machine).
    const d = path.join(L.state, 'site-a', 'run', 'overlab-lab');
    const inside = '/run/overlab-lab';
    await fs.writeFile(
      path.join(d, 'sshd_password_config'),
      [
        'Port 2222',
        `ListenAddress ${L.hosts[0]!.mgmtAddress}`,
        `HostKey ${inside}/ssh_host_ed25519_key`,
        `PidFile ${inside}/sshd-password.pid`,
        'PermitRootLogin yes',
        'PasswordAuthentication yes',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    await inHost('/usr/sbin/sshd', '-f', `${inside}/sshd_password_config`);
    // sshd writes its pid file from the daemon child, after the parent has returned: wait for it
    // (on a loaded machine it was not there yet when read at once).
    const pidFile = path.join(d, 'sshd-password.pid');
    for (let i = 0; i < 100 && !sshdPid; i++) {
      sshdPid = Number((await fs.readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (!sshdPid) await new Promise((r) => setTimeout(r, 100));
    }
    if (!sshdPid) throw new Error(`the password sshd wrote no pid file (${pidFile}) within 10 s`);
    known = await KnownHosts.load(path.join(dir, 'known_hosts'));
    const pub = (await fs.readFile(path.join(dir, '.overlab', 'secrets', 'lab', 'hostkeys', 'site-a.pub'), 'utf8')).split(' ')[1]!;
    accept = [{ host: 'site-a', fingerprint: fingerprint(Buffer.from(pub, 'base64')) }];
  }, 60_000);

  afterAll(async () => {
    if (sshdPid) process.kill(sshdPid, 'SIGTERM');
    if (dir) {
      await labDown(dir).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('set the passwords in the lab host only, not on the machine', async () => {
    expect(await fs.readFile('/etc/shadow', 'utf8')).toBe(shadowBefore);
    expect(await inHost('sh', '-c', 'grep -c "^oltest:" /etc/passwd')).toBe('1\n');
  });

  it('logs in as root with a password, and runs commands with stdin', async () => {
    const c = await connect(target({}), known, accept, undefined, ROOT_PW);
    try {
      expect((await c.exec('id -u', T)).stdout).toBe('0\n');
      expect((await c.exec('sh -s', { ...T, stdin: 'read x; echo "got $x"\n' })).stdout).toBe('got \n');
      expect((await c.exec('sh -s', { ...T, stdin: 'echo one; echo two\n' })).stdout).toBe('one\ntwo\n');
    } finally {
      c.dispose();
    }
  }, 30_000);

  it('runs as root through sudo -S for a login that is not root, the password never reaching the command', async () => {
    const c = await connect(target({ user: 'oltest', sudo: true }), known, accept, undefined, USER_PW);
    try {
      expect((await c.exec('id -u', T)).stdout).toBe('0\n');
      // The script on stdin gets the rest of stdin, after sudo took its line.
      const r = await c.exec('sh -s', { ...T, stdin: 'echo "user $(id -un)"; cat\n' });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('user root\n');
      expect(r.stdout + r.stderr).not.toContain(USER_PW);
    } finally {
      c.dispose();
    }
  }, 30_000);

  it('gives a root command its stdin intact where sudo asks no password: the password is never sent', async () => {
    const c = await connect(target({ user: 'olnopw', sudo: true }), known, accept, undefined, NL_PW);
    try {
      expect((await c.exec('id -u', T)).stdout).toBe('0\n');
      expect((await c.exec('cat', { ...T, stdin: 'line one\nline two\n' })).stdout).toBe('line one\nline two\n');
      // The password's second line is not run as root.
      const r = await c.exec('sh -s', { ...T, stdin: 'echo ran\n' });
      expect(r.stdout).toBe('ran\n');
      expect(r.stdout + r.stderr).not.toContain('first-line');
    } finally {
      c.dispose();
    }
  }, 30_000);

  it('refuses a password with a line break where sudo asks for it, naming the host and what to do', async () => {
    const e = await connect(target({ user: 'olnl', sudo: true }), known, accept, undefined, NL_PW).then(
      (c) => {
        c.dispose();
        return undefined;
      },
      (x: unknown) => x as Error,
    );
    expect(e?.message).toMatch(/^site-a: the password of olnl@198\.18\.\d+\.\d+ contains a line break.*sudo -S reads one line.*NOPASSWD/);
    expect(e?.message).not.toContain('first-line');
  }, 30_000);

  it('stops a root command past its deadline on the host, through sudo -S, and one that is cancelled', async () => {
    const c = await connect(target({ user: 'oltest', sudo: true }), known, accept, undefined, USER_PW);
    const sleeps = async (): Promise<string[]> => {
      const pids = (await run(['ip', 'netns', 'pids', L.hosts[0]!.netns])).stdout.split('\n').filter(Boolean);
      const cmdlines = await Promise.all(pids.map((p) => fs.readFile(`/proc/${p}/cmdline`, 'utf8').then((s) => s.split('\0').join(' '), () => '')));
      return cmdlines.filter((l) => l.startsWith('sleep 4242'));
    };
    /** The command is running on the host (so that "stopped" below means something). */
    const running = async (): Promise<void> => {
      for (let i = 0; i < 50 && (await sleeps()).length === 0; i++) await new Promise((res) => setTimeout(res, 100));
      expect(await sleeps()).toHaveLength(1);
    };
    try {
      const t0 = Date.now();
      const past = c.exec('sleep 4242; echo never', { timeoutSeconds: 3 }).then(
        () => undefined,
        (x: unknown) => x as RemoteCommandError,
      );
      await running();
      const e = await past;
      expect(e).toBeInstanceOf(RemoteCommandError);
      expect(e!.reason).toBe('deadline');
      expect(e!.message).toBe('site-a: the command ran past its 3 s deadline (it was stopped on the host)');
      // Bounded: the deadline, then the stop's own (10 s), with room for a loaded machine.
      expect(Date.now() - t0).toBeLessThan(3 * 13_000);
      expect(await sleeps()).toEqual([]);
      const ac = new AbortController();
      const cancelled = c.exec('sleep 4242', { timeoutSeconds: 60, signal: ac.signal }).then(
        () => undefined,
        (x: unknown) => x as RemoteCommandError,
      );
      await running();
      ac.abort();
      expect((await cancelled)?.reason).toBe('cancelled');
      expect(await sleeps()).toEqual([]);
      // The connection still serves.
      expect((await c.exec('id -u', T)).stdout).toBe('0\n');
    } finally {
      c.dispose();
    }
  }, 60_000);

  it('refuses a wrong password with a message that says so and does not contain it', async () => {
    const wrong = 'not-the-password-123';
    const e = await connect(target({}), known, accept, 10_000, wrong).then(
      () => undefined,
      (x: unknown) => x as Error,
    );
    expect(e?.message).toMatch(/^site-a: cannot connect to root@198\.18\.\d+\.\d+:2222: .*wrong password/);
    expect(e?.message).not.toContain(wrong);
  }, 30_000);

  it('says how to give the password when none was given', async () => {
    await expect(connect(target({}), known, accept)).rejects.toThrow(/site-a: logs in with a password \(target\.password: true\) and none was given: run overlab deploy in a terminal to be asked, or set OVERLAB_SSH_PASSWORD/);
  });
});
