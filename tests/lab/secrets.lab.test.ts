/**
 * Secrets never leave the secret store except inside a host's bundle: after the whole job on the
 * lab — lab up, deploy, measure, reports (PDF, HTML, CSV, JSON), the Ansible export (encrypted,
 * and plain), a failing deploy, a failing teardown whose down.sh prints a key, teardown, lab down —
 * no private key, PSK, password or certificate key appears in what the commands printed, in the
 * run folder, the reports (the PDF's text too), the exports (but the plain vault file), the
 * errors, or anything the engine hands the UI (its answers and its events). Every file holding a
 * secret is 0600. The commands run as the CLI runs (separate processes) so their logs are real.
 * Needs root; skipped otherwise.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { run } from '../../src/engine/exec.js';
import { labExecArgv, loadLab } from '../../src/engine/lab/lab.js';
import { PUBLIC_PARTS } from '../../src/shared/secrets.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const root = process.getuid?.() === 0;
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const registry = defaultRegistry;

/** Everything the commands printed, by command. */
const logs: { cmd: string; out: string }[] = [];
/** What the engine handed the UI: its answers and events. */
const uiState: unknown[] = [];

const overlab = (...args: string[]): Promise<{ code: number; out: string }> =>
  new Promise((resolve) => {
    execFile('node', [path.join(ROOT, 'bin', 'overlab.mjs'), ...args], { cwd: ROOT, timeout: 600_000, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const out = `${stdout}${stderr}`;
      logs.push({ cmd: args.join(' '), out });
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out });
    });
  });

/** Every file below `dir` (no links followed), with its mode. */
async function files(dir: string): Promise<{ file: string; mode: number }[]> {
  const out: { file: string; mode: number }[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push({ file: p, mode: (await fs.stat(p)).mode & 0o777 });
    }
  };
  await walk(dir);
  return out;
}

/**
 * The secret values of the store: every part but the public ones, at least 8 characters, and
 * each line of a PEM body (a re-wrapped key is still the key) — but a line that is also in the
 * public material (an EC key's last line holds its public point, which its certificate carries
 * too, at times with the same base64 alignment) is not a secret.
 */
async function secretValues(dir: string): Promise<{ name: string; value: string }[]> {
  const store = path.join(dir, '.overlab', 'secrets');
  const all = await files(store);
  const isPublic = (name: string): boolean => name === 'spec.json' || name.endsWith('.pub') || PUBLIC_PARTS.has(name);
  const publicText = (await Promise.all(all.filter((f) => isPublic(path.basename(f.file))).map((f) => fs.readFile(f.file, 'utf8')))).join('\n').replace(/\s+/g, '');
  const out: { name: string; value: string }[] = [];
  for (const { file } of all) {
    if (isPublic(path.basename(file))) continue;
    const text = (await fs.readFile(file, 'utf8')).trim();
    const pieces = [text, ...text.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----') && !publicText.includes(l))];
    for (const v of pieces) if (v.length >= 8) out.push({ name: path.relative(store, file), value: v });
  }
  return out;
}

describe.skipIf(!root)('secrets through the whole job on the lab', () => {
  let dir = '';
  let out = '';
  const engine = createEngine({ registry, emit: (event, payload) => uiState.push({ event, payload }) });

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-secrets-'));
    out = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-secrets-out-'));
    const t = (await engine['project.create']({ dir, template: 'hub-spoke', hosts: 4, kind: 'vxlan' })).topology!;
    // Three kinds with three kinds of secrets: X25519 keys, a PKI with tls-crypt, RSA host keys.
    const kinds = [
      { kind: 'wireguard', options: { implementation: 'go', presharedKey: true } },
      { kind: 'openvpn', options: {} },
      { kind: 'tinc', options: {} },
    ];
    const saved = await engine['project.save']({ dir, topology: { ...t, lab: { management: '198.18.144.0/20' }, links: t.links.map((l, i) => ({ ...l, ...kinds[i]! })) } });
    expect(saved.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    if (dir) {
      await overlab('teardown', dir);
      await overlab('lab', 'down', dir);
      await fs.rm(dir, { recursive: true, force: true });
    }
    if (out) await fs.rm(out, { recursive: true, force: true });
  });

  it('runs the whole job, failures included', async () => {
    expect((await overlab('lab', 'up', dir)).code).toBe(0);
    const d = await overlab('deploy', dir);
    expect(d.code, d.out).toBe(0);
    const m = await overlab('measure', dir, '--suite', 'quick', '--duration', '1');
    expect(m.code, m.out).toBe(0);
    expect((await overlab('report', dir, '--pdf', path.join(out, 'report.pdf'))).code).toBe(0);
    for (const format of ['html', 'csv', 'json']) expect((await overlab('report', dir, '--format', format, '--out', path.join(out, `report.${format}`))).code).toBe(0);
    await fs.writeFile(path.join(out, 'vault-password'), 'a vault password\n', { mode: 0o600 });
    expect((await overlab('export', 'ansible', dir, '--out', path.join(out, 'ansible-encrypted'), '--vault-password-file', path.join(out, 'vault-password'))).code).toBe(0);
    expect((await overlab('export', 'ansible', dir, '--out', path.join(out, 'ansible-plain'))).code).toBe(0);

    // What the UI reads of the project, and the events of a deploy it starts.
    uiState.push(await engine['project.open']({ dir }), await engine['plan.compute']({ dir }), await engine['runs.list']({ dir }), await engine['report.appendix']({ dir }));
    const runs = await engine['runs.list']({ dir });
    uiState.push(await engine['runs.get']({ dir, runId: runs[0]!.runId }), await engine['runs.get']({ dir, runId: runs[0]!.runId, lean: true }));
    uiState.push(await engine['deploy.apply']({ dir }));

    const L = (await loadLab(dir, (await engine['project.open']({ dir })).topology!, (await engine['plan.compute']({ dir })).plan!))!;
    // A failing deploy: a file where tinc's up.sh writes its configuration folder, on spoke-3.
    await run(labExecArgv(L, 'spoke-3', ['sh', '-c', 'mv /etc/tinc /etc/tinc.aside; touch /etc/tinc']));
    const failing = await overlab('deploy', dir);
    expect(failing.code, failing.out).not.toBe(0);
    uiState.push(await engine['deploy.apply']({ dir }));
    await run(labExecArgv(L, 'spoke-3', ['sh', '-c', 'rm -f /etc/tinc; mv /etc/tinc.aside /etc/tinc']));
    expect((await overlab('deploy', dir)).code).toBe(0);

    // A failing teardown whose down.sh prints the hub's WireGuard key and the tls-crypt key.
    const secrets = await secretValues(dir);
    const wgKey = secrets.find((s) => /^wg\b|wireguard/.test(s.name) && /private$/.test(s.name))?.value;
    expect(wgKey, secrets.map((s) => s.name).join(', ')).toBeDefined();
    await run(labExecArgv(L, 'hub', ['sh', '-c', 'cp /var/lib/overlab/bundle/down.sh /var/lib/overlab/down.sh.real && cat > /var/lib/overlab/bundle/down.sh']), {
      input: `echo "key: ${wgKey}"\ncat /var/lib/overlab/bundle/files/etc/openvpn/*/*.key 2>/dev/null\necho "stderr key: ${wgKey}" >&2\nexit 1\n`,
    });
    const down = await overlab('teardown', dir);
    expect(down.code).not.toBe(0);
    expect(down.out).toMatch(/hub .*down/);
    uiState.push(await engine['deploy.teardown']({ dir }));
    await run(labExecArgv(L, 'hub', ['sh', '-c', 'mv /var/lib/overlab/down.sh.real /var/lib/overlab/bundle/down.sh']));
    expect((await overlab('teardown', dir)).code).toBe(0);
    expect((await overlab('lab', 'down', dir)).code).toBe(0);
  }, 900_000);

  it('shows no secret in any log, run folder, report, export, error or UI state, and keeps every secret file 0600', async () => {
    const secrets = await secretValues(dir);
    expect(secrets.length).toBeGreaterThan(10);
    const leaks: string[] = [];
    const check = (where: string, text: string): void => {
      for (const s of secrets) if (text.includes(s.value)) leaks.push(`${where}: ${s.name}`);
    };
    for (const l of logs) check(`the output of overlab ${l.cmd}`, l.out);
    check('the UI state (engine answers and events)', JSON.stringify(uiState));
    // The project folder, but for the store itself.
    for (const { file } of await files(dir)) if (!file.includes(`${path.sep}.overlab${path.sep}secrets${path.sep}`)) check(path.relative(dir, file), await fs.readFile(file, 'latin1'));
    // Reports and exports; the plain export's vault is the one file that holds them by design.
    const plainVault = path.join(out, 'ansible-plain', 'group_vars', 'all', 'vault.yml');
    for (const { file } of await files(out)) if (file !== plainVault) check(path.relative(out, file), await fs.readFile(file, 'latin1'));
    const pdfText = (await run(['pdftotext', path.join(out, 'report.pdf'), '-'])).stdout;
    expect(pdfText).toContain('Measurement run');
    check('the PDF report’s text', pdfText);
    expect(leaks).toEqual([]);

    // The plain vault holds them, private (0600), and says it is not encrypted nearby.
    const vaultText = await fs.readFile(plainVault, 'utf8');
    expect(secrets.some((s) => vaultText.includes(s.value))).toBe(true);
    expect((await fs.stat(plainVault)).mode & 0o777).toBe(0o600);
    expect(logs.find((l) => l.cmd.startsWith('export ansible') && !l.cmd.includes('vault-password'))!.out).toContain('NOT ENCRYPTED');
    // The encrypted one opens with ansible-vault only.
    expect((await fs.readFile(path.join(out, 'ansible-encrypted', 'group_vars', 'all', 'vault.yml'), 'utf8')).startsWith('$ANSIBLE_VAULT;')).toBe(true);

    // Every file of the store that holds a secret is 0600, in 0700 folders.
    for (const { file, mode } of await files(path.join(dir, '.overlab', 'secrets'))) {
      const name = path.basename(file);
      if (name.endsWith('.pub') || PUBLIC_PARTS.has(name) || name === 'spec.json') continue;
      expect(mode, path.relative(dir, file)).toBe(0o600);
    }
    // The redacted teardown said which secret it hid.
    expect(logs.some((l) => l.cmd.startsWith('teardown') && /\[secret [a-z0-9/._-]+\]|«redacted/.test(l.out))).toBe(true);
  });
});
