/**
 * The one host-key dialog, in a real Chromium against `overlab serve`, with a real sshd
 * (OpenSSH, on loopback, in a mount namespace of its own so that its /run/sshd is not the
 * machine's; it lets nobody log in, so nothing ever runs through it). site-a's address has
 * another key pinned (the host was "re-created"); site-b's key is unknown.
 *
 * Deploy & measure meets the changed key: the dialog shows the host, address, both
 * fingerprints and what to do, and has no accept button. Deploy and Measure open the same
 * dialog. Once the old pin is removed as the dialog says (ssh-keygen -R), both keys are offered
 * as unknown; Accept sends the fingerprints shown, the keys get past the host-key check (the
 * login then fails) and nothing is pinned. Screenshots in tests/e2e/artifacts/hostkeys-*.png.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { fingerprint } from '../../src/engine/deploy/hostkeys.js';
import { run } from '../../src/engine/exec.js';
import { isRoot, openBrowser, overlab, requireBuilt, screenshot, startServe, stopServe } from './harness.js';

let tmp: string;
let project: string;
let server: ChildProcess | undefined;
let sshd: ChildProcess | undefined;
let browser: Browser | undefined;
let page: Page;
let problems: string[] = [];
/** Calls the server answered with an error status (the browser logs each as a console error). */
const failedCalls: string[] = [];
let port = 0;
let oldFp = '';
let newFp = '';
const shot = (name: string) => screenshot(page, `hostkeys-${name}`);

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });

async function newKey(file: string): Promise<Buffer> {
  await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', path.basename(file), '-f', file]);
  return Buffer.from((await fs.readFile(`${file}.pub`, 'utf8')).split(' ')[1]!, 'base64');
}

async function waitPort(p: number, host: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(p, host, () => (s.destroy(), resolve(true))).on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd is not answering on ${host}:${p}`);
}

const closeDialog = async (title: string): Promise<void> => {
  await page.getByRole('dialog', { name: title }).locator('.modal-foot').getByRole('button', { name: 'Close' }).click();
  await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
};

beforeAll(async () => {
  if (!isRoot) return;
  requireBuilt();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-hostkeys-e2e-'));
  // The key the host presents now, and the one pinned for it before it was "re-created".
  newFp = fingerprint(await newKey(path.join(tmp, 'host_key')));
  const oldKey = await newKey(path.join(tmp, 'old_key'));
  oldFp = fingerprint(oldKey);
  port = await freePort();
  await fs.writeFile(
    path.join(tmp, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      'ListenAddress 127.0.0.2',
      `HostKey ${path.join(tmp, 'host_key')}`,
      `PidFile ${path.join(tmp, 'sshd.pid')}`,
      // Nobody gets in: the test only needs the key exchange.
      'DenyUsers *',
      'AuthorizedKeysFile none',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      '',
    ].join('\n'),
  );
  // sshd wants /run/sshd; a private mount of /run gives it one without touching the machine's.
  sshd = spawn('unshare', ['--mount', 'sh', '-c', `mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 0755 /run/sshd && exec /usr/sbin/sshd -D -e -f ${path.join(tmp, 'sshd_config')}`], { stdio: 'ignore' });
  await waitPort(port, '127.0.0.1');
  await waitPort(port, '127.0.0.2');

  project = path.join(tmp, 'pair');
  await overlab(['new', project, '--template', 'site-to-site', '--hosts', '2', '--kind', 'clean', '--name', 'Host keys']);
  const file = path.join(project, 'overlab.yaml');
  const doc = YAML.parse(await fs.readFile(file, 'utf8')) as { hosts: { name: string; target: unknown; underlay: Record<string, unknown> }[] };
  doc.hosts.forEach((h, i) => {
    h.target = { type: 'ssh', address: `127.0.0.${i + 1}`, port, user: 'root' };
    h.underlay = { ...h.underlay, address: `198.18.0.${i + 1}` };
  });
  await fs.writeFile(file, YAML.stringify(doc));
  await fs.mkdir(path.join(project, '.overlab'), { recursive: true, mode: 0o700 });
  await fs.writeFile(path.join(project, '.overlab', 'known_hosts'), `[127.0.0.1]:${port} ssh-ed25519 ${oldKey.toString('base64')} overlab:host=site-a overlab:fingerprint=${oldFp}\n`);

  const started = await startServe(project, { ...process.env, OVERLAB_CONFIG_DIR: path.join(tmp, 'config') });
  server = started.child;
  ({ browser, page, problems } = await openBrowser());
  page.on('response', (r) => {
    if (r.status() >= 400) failedCalls.push(`${r.status()} ${new URL(r.url()).pathname}`);
  });
  await page.goto(started.url);
  await page.locator('.react-flow__node').nth(1).waitFor({ timeout: 15_000 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stopServe(server);
  if (sshd?.pid && sshd.exitCode === null) {
    const exited = new Promise((r) => sshd!.once('exit', r));
    sshd.kill('SIGTERM');
    await exited;
  }
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

// Root: sshd and its private mount namespace.
describe.skipIf(!isRoot)('the host-key dialog', () => {
  const changedTitle = 'The host key of site-a changed';

  it('Deploy & measure meets a changed key: the dialog shows the host, address, both fingerprints and what to do, and no accept button', async () => {
    await page.keyboard.press('Control+m');
    const dialog = page.getByRole('dialog', { name: changedTitle });
    await dialog.waitFor({ timeout: 60_000 });
    const changed = dialog.getByRole('region', { name: 'Changed key of site-a' });
    const text = (await changed.innerText()).replace(/\s+/g, ' ');
    expect(text).toContain(`site-a at [127.0.0.1]:${port} presented a different key than the one pinned for that address`);
    expect(text).toMatch(new RegExp(`Pinned \\(expected\\) ssh-ed25519 ${oldFp.replace(/[+/]/g, '\\$&')} site-a`));
    expect(text).toMatch(new RegExp(`Presented now ssh-ed25519 ${newFp.replace(/[+/]/g, '\\$&')}`));
    expect(text).toContain(`ssh-keygen -R '[127.0.0.1]:${port}' -f .overlab/known_hosts`);
    expect(text).toContain('someone may be between you and site-a');
    // site-b's key is unknown: shown with its address, but nothing is accepted while a key changed.
    const unknown = dialog.getByRole('table', { name: 'Unknown host keys' });
    expect((await unknown.innerText()).replace(/\s+/g, ' ')).toContain(`site-b [127.0.0.2]:${port} ssh-ed25519 ${newFp}`);
    expect(await dialog.getByText('Nothing is accepted while a host key has changed').count()).toBe(1);
    expect(await dialog.getByRole('button', { name: /Accept/ }).count()).toBe(0);
    await expect.poll(() => page.locator('.run-result').innerText()).toMatch(/^Deploy failed on site-a at connect: site-a: the host key at \[127\.0\.0\.1\]:\d+ CHANGED/);
    await shot('1-deploy-measure-changed');
    await closeDialog(changedTitle);
  }, 90_000);

  it('Deploy and Measure open the same dialog', async () => {
    await page.keyboard.press('Control+Enter');
    const fromDeploy = page.getByRole('dialog', { name: changedTitle });
    await fromDeploy.waitFor({ timeout: 60_000 });
    expect(await fromDeploy.getByRole('region', { name: 'Changed key of site-a' }).innerText()).toContain(oldFp);
    await closeDialog(changedTitle);

    await page.keyboard.press('Control+Alt+m');
    await page.getByRole('dialog', { name: 'Measure' }).getByRole('button', { name: 'Measure', exact: true }).click();
    const fromMeasure = page.getByRole('dialog', { name: changedTitle });
    await fromMeasure.waitFor({ timeout: 60_000 });
    const text = await fromMeasure.innerText();
    expect(text).toContain(oldFp);
    expect(text).toContain(newFp);
    await shot('2-measure-changed');
    await closeDialog(changedTitle);
  }, 120_000);

  it('once the old pin is removed as the dialog says, both keys are offered; Accept sends the fingerprints shown, the keys pass, nothing is pinned without a login', async () => {
    const known = path.join(project, '.overlab', 'known_hosts');
    await run(['ssh-keygen', '-R', `[127.0.0.1]:${port}`, '-f', known]);
    expect((await fs.readFile(known, 'utf8')).trim()).toBe('');
    await page.keyboard.press('Control+Enter');
    const dialog = page.getByRole('dialog', { name: 'Unknown SSH host keys' });
    await dialog.waitFor({ timeout: 60_000 });
    const rows = (await dialog.getByRole('table', { name: 'Unknown host keys' }).innerText()).replace(/\s+/g, ' ');
    expect(rows).toContain(`site-a [127.0.0.1]:${port} ssh-ed25519 ${newFp}`);
    expect(rows).toContain(`site-b [127.0.0.2]:${port} ssh-ed25519 ${newFp}`);
    await shot('3-unknown');
    await dialog.getByRole('button', { name: 'Accept and deploy' }).click();
    // Past the host-key check, to the login, which this sshd refuses to everyone.
    await expect.poll(() => page.locator('.run-result').innerText(), { timeout: 60_000 }).toMatch(/^Deploy failed on site-a at connect: site-a: cannot connect to root@127\.0\.0\.1:\d+: All configured authentication methods failed/);
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect((await fs.readFile(known, 'utf8')).trim()).toBe('');
    // The one failed call is Measure's: a measurement that cannot connect is an API error (HTTP 500,
    // which the browser logs), carrying the refused keys the dialog showed.
    expect(failedCalls).toEqual(['500 /api/measure.run']);
    expect(problems).toEqual(['console: Failed to load resource: the server responded with a status of 500 (Internal Server Error)']);
  }, 90_000);
});
