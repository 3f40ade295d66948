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
import { connect, type SshTarget } from '../../src/engine/deploy/ssh.js';
import { run } from '../../src/engine/exec.js';
import { chooseLabLayout, labDown, labExecArgv, labUp, type LabLayout } from '../../src/engine/lab/lab.js';
import { createProject } from '../../src/engine/store/project.js';
import { plan } from '../../src/shared/plan.js';
import { makeTemplate } from '../../src/shared/templates.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const root = process.getuid?.() === 0;
const ROOT_PW = 'r00t pw with spaces & $(not-run)';
const USER_PW = "us'er-pw\\n;`x`";
let dir = '';
let L: LabLayout;
let known: KnownHosts;
/** The second sshd serves site-a's lab host key: accepted by its fingerprint, as a person would. */
let accept: { host: string; fingerprint: string }[] = [];
let sshdPid = 0;
let shadowBefore = '';

const inHost = async (...argv: string[]): Promise<string> => (await run(labExecArgv(L, 'site-a', argv))).stdout;
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
      expect((await c.exec('id -u')).stdout).toBe('0\n');
      expect((await c.exec('sh -s', 'read x; echo "got $x"\n')).stdout).toBe('got \n');
      expect((await c.exec('sh -s', 'echo one; echo two\n')).stdout).toBe('one\ntwo\n');
    } finally {
      c.dispose();
    }
  }, 30_000);

  it('runs as root through sudo -S for a login that is not root, the password never reaching the command', async () => {
    const c = await connect(target({ user: 'oltest', sudo: true }), known, accept, undefined, USER_PW);
    try {
      expect((await c.exec('id -u')).stdout).toBe('0\n');
      // The script on stdin gets the rest of stdin, after sudo took its line.
      const r = await c.exec('sh -s', 'echo "user $(id -un)"; cat\n');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('user root\n');
      expect(r.stdout + r.stderr).not.toContain(USER_PW);
    } finally {
      c.dispose();
    }
  }, 30_000);

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
