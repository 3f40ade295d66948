/**
 * `overlab export ansible` for real: Debian's ansible-playbook runs the exported playbooks
 * against an embedded-lab hub-spoke whose three links are of three kinds this kernel carries —
 * VXLAN, WireGuard (wireguard-go, with PSKs) and OpenVPN (a small PKI and tls-crypt) — with
 * the vault encrypted by the export itself (`--vault-password-file`), so that every playbook run
 * below (`ansible-playbook --vault-password-file` with the same file) proves it decrypts. Then:
 *  - every file lands byte for byte as `overlab render` makes it, and the tunnels pass the
 *    proofs of tests/tunnels/prove.ts (ping across, a DF ping that fills the planned MTU
 *    crosses and one byte more does not), LAN to LAN through the hub;
 *  - a second run reports changed=0, and overlab's own deploy (dry run) sees every host
 *    unchanged; a host deployed by overlab is unchanged for the playbook too;
 *  - a host whose up.sh fails is rolled back to what it was, with the reason printed;
 *  - the teardown playbook leaves every host as it was before (the proofs' host snapshot);
 *  - no secret of the project (keys, PSKs, the lab's SSH key) appears in any exported file but
 *    the vault (a plaintext export beside it), in the encrypted export at all, or in anything
 *    Ansible printed;
 *  - ansible-lint finds nothing, when it is installed.
 * Needs root and ansible-playbook; skipped otherwise.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { labExecArgv, loadLab, type LabLayout } from '../../src/engine/lab/lab.js';
import { renderProject } from '../../src/engine/services/bundles.js';
import { SECRETS_DIR } from '../../src/engine/store/project.js';
import { VAULT_FILE } from '../../src/shared/export/ansible.js';
import type { Plan } from '../../src/shared/plan.js';
import type { HostBundle } from '../../src/shared/render.js';
import { PUBLIC_PARTS } from '../../src/shared/secrets.js';
import { makeTemplate } from '../../src/shared/templates.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const registry = defaultRegistry;
const root = process.getuid?.() === 0;
const has = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const ansible = has('ansible-playbook');
const lint = has('ansible-lint');

/** Runs argv; never throws: the exit code says how it went. */
function sh(argv: readonly string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// ---- the proofs' host snapshot (tests/tunnels/prove.ts runs main() on import, so it is repeated here) ----

const FALLBACK = /^(gre0|gretap0|erspan0|tunl0|ip_vti0|ip6_vti0|ip6tnl0|ip6gre0|sit0)(@|$)/;

/** Links, addresses, routes, xfrm, FOU, nftables, iptables, /run, processes, files written under /etc, /var/lib, /var/log. */
async function snapshot(L: LabLayout, host: string): Promise<string> {
  const script = [
    "printf 'link show\\naddr show\\nroute show table all\\n' | ip -br -o -batch - 2>/dev/null",
    'ip -o xfrm state 2>/dev/null; ip -o xfrm policy 2>/dev/null; ip fou show 2>/dev/null',
    'echo @@nft; nft list ruleset 2>/dev/null',
    'echo @@ipt; iptables-save 2>/dev/null',
    'echo @@run; find /run -mindepth 1 2>/dev/null',
  ].join('\n');
  const r = await sh(labExecArgv(L, host, ['sh', '-c', script]));
  const sections: Record<string, string[]> = { ip: [] };
  let cur = sections.ip!;
  for (const line of r.stdout.split('\n')) {
    const m = /^@@(nft|ipt|run)$/.exec(line);
    if (m) sections[m[1]!] = cur = [];
    else cur.push(line);
  }
  const ipLines = sections
    .ip!.filter((l) => l && !FALLBACK.test(l.split(/\s/)[0]!) && !/fe80::/.test(l))
    .map((l) => (/^src /.test(l) ? l.split('\\').map((s) => s.trim()).filter((s) => /^(src|proto|dir|tmpl|mark|if_id) /.test(s) || /^src /.test(s)).join(' |') : l.replace(/\s+/g, ' ')))
    .sort();
  const iptLines = (sections.ipt ?? []).filter((l) => l && !l.startsWith('#')).map((l) => l.replace(/\[[0-9]+:[0-9]+\]/, ''));
  const runLines = (sections.run ?? []).filter((l) => l && !l.startsWith('/run/sshd')).sort();
  const pids = (await sh(['ip', 'netns', 'pids', L.hosts.find((h) => h.name === host)!.netns])).stdout.split('\n').filter(Boolean);
  const procs: string[] = [];
  for (const p of pids) {
    const comm = (await fs.readFile(`/proc/${p}/comm`, 'utf8').catch(() => '')).trim();
    if (comm && comm !== 'sshd') procs.push(`process ${comm}`);
  }
  const state = path.join(L.state, host);
  const written: string[] = [];
  for (const [upper, lower] of [['etc.upper', '/etc'], ['varlib.upper', '/var/lib'], ['varlog.upper', '/var/log']] as const) {
    const walk = async (dir: string, rel: string): Promise<void> => {
      for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const r = `${rel}/${e.name}`;
        if (e.isDirectory()) {
          if (!(await fs.stat(`${lower}${r}`).then(() => true, () => false))) written.push(`new directory ${lower}${r}`);
          await walk(path.join(dir, e.name), r);
        } else written.push(`${upper}${r}`);
      }
    };
    await walk(path.join(state, upper), '');
  }
  return [...ipLines, '--', (sections.nft ?? []).join('\n'), '--', ...iptLines, '--', ...runLines, '--', ...procs.sort(), '--', ...written.sort(), ''].join('\n');
}

// ---- the run ----------------------------------------------------------------------------------

/** What a failed run says of itself: every `fatal:` and `failed:` line (they come before the retries' noise), then the end. */
function why(stdout: string): string {
  const lines = stdout.split('\n').filter((l) => /^(fatal|failed):/.test(l)).map((l) => l.slice(0, 1500));
  return [...lines, '…', stdout.slice(-1500)].join('\n');
}

/** `host : ok=N changed=N unreachable=N failed=N …` per host, from the PLAY RECAP. */
function recap(stdout: string): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  const at = stdout.lastIndexOf('PLAY RECAP');
  for (const line of stdout.slice(at).split('\n').slice(1)) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    out.set(m[1]!, Object.fromEntries([...m[2]!.matchAll(/(\w+)=(\d+)/g)].map((x) => [x[1]!, Number(x[2])])));
  }
  return out;
}

describe.skipIf(!root || !ansible)('the Ansible export, run by ansible-playbook against the embedded lab', () => {
  const engine = createEngine({ registry });
  const hosts = ['hub', 'spoke-1', 'spoke-2', 'spoke-3'];
  let dir = '';
  let out = '';
  /** The same project exported without a password: its vault is plaintext. */
  let plain = '';
  let pw = '';
  let L: LabLayout;
  let plan: Plan;
  let bundles: readonly HostBundle[] = [];
  const before = new Map<string, string>();
  /** Everything Ansible printed, checked for secrets at the end. */
  const printed: string[] = [];

  const playbook = async (file: string, extra: readonly string[] = []): Promise<{ code: number; stdout: string; stderr: string; recap: Map<string, Record<string, number>> }> => {
    const r = await sh(['ansible-playbook', file, '--vault-password-file', pw, ...extra], { cwd: out, timeoutMs: 180_000, env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0' } });
    printed.push(r.stdout, r.stderr);
    return { ...r, recap: recap(r.stdout) };
  };
  const inHost = (host: string, argv: string[]) => sh(labExecArgv(L, host, argv));

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-ansible-'));
    out = path.join(dir, 'ansible');
    plain = path.join(dir, 'ansible-plain');
    pw = path.join(dir, 'vault-password');
    const made = makeTemplate({ template: 'hub-spoke', hosts: 4, kind: 'vxlan' }, registry).value!;
    const kinds: [string, Record<string, unknown>][] = [['vxlan', {}], ['wireguard', { implementation: 'go', presharedKey: true }], ['openvpn', {}]];
    const t = {
      ...made,
      name: 'ansible hand-off',
      // A management range of its own, clear of the other lab tests' and the tunnel proofs' first ones.
      lab: { management: '198.18.248.0/22' },
      links: made.links.map((l, i) => ({ ...l, kind: kinds[i]![0], options: { ...kinds[i]![1] } })),
    };
    await engine['project.create']({ dir, template: 'hub-spoke', hosts: 4, kind: 'vxlan' });
    expect((await engine['project.save']({ dir, topology: t })).topology).toBeDefined();
    await engine['lab.up']({ dir });
    plan = (await engine['plan.compute']({ dir })).plan!;
    L = (await loadLab(dir, t, plan))!;
    for (const h of hosts) before.set(h, await snapshot(L, h));
    await fs.writeFile(pw, 'correct horse battery staple\n', { mode: 0o600 });
    expect((await engine['export.ansible']({ dir, out, vaultPasswordFile: pw })).encrypted).toBe(true);
    expect((await engine['export.ansible']({ dir, out: plain })).encrypted).toBe(false);
    bundles = (await renderProject(dir, registry)).bundles!;
  }, 90_000);

  afterAll(async () => {
    if (dir) {
      await engine['lab.down']({ dir }).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  /** The project's secret store: every secret's content (and the lab's SSH keys), and the public parts apart. */
  const store = async (): Promise<{ secret: string[]; pub: string }> => {
    const secret: string[] = [];
    const pub: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await fs.readdir(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.name !== 'spec.json') (e.name.endsWith('.pub') || PUBLIC_PARTS.has(e.name) ? pub : secret).push((await fs.readFile(p, 'utf8')).trim());
      }
    };
    await walk(path.join(dir, SECRETS_DIR));
    return { secret, pub: pub.join('\n') };
  };
  /** A secret's value or one of its base64 lines (but a line public material has too: an EC key's PEM holds its public point). */
  const leaked = async (text: string): Promise<string | undefined> => {
    const { secret, pub } = await store();
    for (const v of secret) {
      if (text.includes(v)) return v.slice(0, 12);
      for (const l of v.split('\n')) if (l.length >= 16 && !l.startsWith('-----') && text.includes(l) && !pub.includes(l)) return l.slice(0, 12);
      if (!/\s/.test(v) && v.length > 32 && text.includes(v.slice(0, 32))) return v.slice(0, 12);
    }
    return undefined;
  };
  const exported = async (folder: string): Promise<{ rel: string; text: string }[]> => {
    const files: { rel: string; text: string }[] = [];
    for (const rel of (await fs.readdir(folder, { recursive: true })) as string[]) {
      const p = path.join(folder, rel);
      if ((await fs.stat(p)).isFile()) files.push({ rel, text: await fs.readFile(p, 'utf8') });
    }
    return files;
  };

  it('writes no secret outside the vault; encrypted by the export, the folder holds none at all and opens with the password file; ansible-lint is clean', async () => {
    const vault = await fs.readFile(path.join(plain, VAULT_FILE), 'utf8');
    expect(await leaked(vault), 'the vault holds the secrets').toBeDefined();
    for (const f of await exported(plain)) if (f.rel !== VAULT_FILE) expect(await leaked(f.text), f.rel).toBeUndefined();
    expect((await fs.readFile(path.join(out, VAULT_FILE), 'utf8')).startsWith('$ANSIBLE_VAULT;')).toBe(true);
    for (const f of await exported(out)) expect(await leaked(f.text), f.rel).toBeUndefined();
    // The same values as the plaintext export's, once opened with the same password file.
    const view = await sh(['ansible-vault', 'view', '--vault-password-file', pw, VAULT_FILE], { cwd: out });
    expect(view.code, view.stderr).toBe(0);
    expect(view.stdout).toBe(vault);
    if (lint) {
      const r = await sh(['ansible-lint', '--offline', '--nocolor'], { cwd: out, timeoutMs: 120_000 });
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    }
  }, 120_000);

  it('rolls a host back when its up.sh fails, and says why', async () => {
    // A file where up.sh needs a directory makes its install step fail (as in deploy.lab.test.ts).
    await inHost('spoke-1', ['touch', '/etc/overlab']);
    try {
      const r = await playbook('deploy.yml', ['--limit', 'spoke-1']);
      expect(r.code).not.toBe(0);
      expect(r.recap.get('spoke-1')).toMatchObject({ failed: 1 });
      expect(r.stdout).toMatch(/up\.sh failed and was rolled back: .*\/etc\/overlab/);
    } finally {
      await inHost('spoke-1', ['rm', '-f', '/etc/overlab']);
    }
    expect(await snapshot(L, 'spoke-1')).toBe(before.get('spoke-1'));
  }, 60_000);

  it('deploys every bundle byte for byte, and the tunnels pass the proofs', async () => {
    const r = await playbook('deploy.yml');
    expect(r.code, why(r.stdout)).toBe(0);
    for (const h of hosts) expect(r.recap.get(h), h).toMatchObject({ failed: 0, unreachable: 0 });
    for (const h of hosts) expect(r.recap.get(h)!.changed, h).toBeGreaterThan(0);
    for (const b of bundles) {
      const got = await inHost(b.host, ['sh', '-c', 'cd /var/lib/overlab/bundle && for f in up.sh down.sh $(cd files && find . -type f | sed "s#^\\.##"); do case $f in up.sh|down.sh) p=$f;; *) p=files$f;; esac; printf "@@%s\\n" "$f"; cat "$p"; done']);
      const files = new Map(got.stdout.split(/^@@/m).filter(Boolean).map((chunk) => [chunk.slice(0, chunk.indexOf('\n')), chunk.slice(chunk.indexOf('\n') + 1)]));
      expect(files.get('up.sh'), `${b.host} up.sh`).toBe(b.up);
      expect(files.get('down.sh'), `${b.host} down.sh`).toBe(b.down);
      for (const f of b.files) expect(files.get(f.path), `${b.host}:${f.path}`).toBe(f.content);
      expect(files.size).toBe(2 + b.files.length);
    }
    for (const l of plan.links) {
      const peer = l.addresses.b.split('/')[0]!;
      const fill = l.mtu - 28;
      expect((await inHost(l.a, ['ping', '-c', '1', '-W', '2', peer])).code, `${l.label} (${l.kind}): ${l.a} reaches ${peer}`).toBe(0);
      // Path MTU settles after the first large packets on some stacks (outer UDP without DF).
      await inHost(l.a, ['ping', '-c', '2', '-i', '0.2', '-W', '1', '-s', String(fill), peer]);
      expect((await inHost(l.a, ['ping', '-c', '2', '-i', '0.2', '-W', '2', '-M', 'do', '-s', String(fill), peer])).code, `${l.label}: DF ping of ${fill} bytes (MTU ${l.mtu}) crosses`).toBe(0);
      expect((await inHost(l.a, ['ping', '-c', '1', '-W', '2', '-M', 'do', '-s', String(fill + 1), peer])).code, `${l.label}: one byte over MTU ${l.mtu} does not cross`).not.toBe(0);
    }
    // LAN to LAN, spoke to spoke through the hub (VXLAN in, OpenVPN out).
    const lan = (h: string): string => plan.hosts.find((x) => x.name === h)!.lan!.replace(/\.0\/\d+$/, '.1');
    expect((await inHost('spoke-1', ['ping', '-c', '2', '-i', '0.2', '-W', '2', '-I', lan('spoke-1'), lan('spoke-3')])).code).toBe(0);
  }, 180_000);

  it('changes nothing the second time, and overlab deploy sees every host unchanged', async () => {
    const r = await playbook('deploy.yml');
    expect(r.code, why(r.stdout)).toBe(0);
    for (const h of hosts) expect(r.recap.get(h), h).toMatchObject({ changed: 0, failed: 0 });
    const dry = await engine['deploy.apply']({ dir, dryRun: true });
    expect(dry.hosts.map((h) => [h.host, h.status])).toEqual(hosts.map((h) => [h, 'unchanged']));
  }, 120_000);

  it('tears down to the hosts as they were, and a host deployed by overlab is unchanged for the playbook', async () => {
    const down = await playbook('teardown.yml');
    expect(down.code, why(down.stdout)).toBe(0);
    for (const h of hosts) expect(down.recap.get(h)!.changed, h).toBe(1);
    for (const h of hosts) expect(await snapshot(L, h), `${h} after teardown.yml`).toBe(before.get(h));
    // The other way round: overlab deploys, the playbook finds its own bundle there.
    const d = await engine['deploy.apply']({ dir });
    expect(d.ok, JSON.stringify(d.hosts.filter((h) => h.status === 'failed'))).toBe(true);
    const again = await playbook('deploy.yml');
    for (const h of hosts) expect(again.recap.get(h), h).toMatchObject({ changed: 0, failed: 0 });
    const down2 = await playbook('teardown.yml');
    expect(down2.code).toBe(0);
    for (const h of hosts) expect(await snapshot(L, h), `${h} after overlab deploy and teardown.yml`).toBe(before.get(h));
  }, 180_000);

  it('printed no secret in any run', async () => {
    expect(printed.length).toBeGreaterThan(0);
    expect(await leaked(printed.join('\n'))).toBeUndefined();
  });
});
