/**
 * The Ansible export without Ansible: every kind's secrets end up in the vault and nowhere else,
 * each template filled in from the vault gives back the rendered file byte for byte (the lab
 * test runs the real ansible-playbook), hostile values are refused with the field named, text
 * that looks like Jinja stays text, the output is stable, and OUTDIR is written at once or not
 * at all.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { runCli } from '../../src/cli/main.js';
import { ApiError, createEngine } from '../../src/engine/engine.js';
import { bundleHash } from '../../src/engine/deploy/deploy.js';
import { REMOTE } from '../../src/engine/export/ansible.js';
import { MARKER } from '../../src/engine/safe-fs.js';
import { ensureSecrets } from '../../src/engine/secrets/store.js';
import { ansibleExport, secretMarkers, VAULT_FILE, VAULT_VAR, type AnsibleExport, type AnsibleHost, type AnsibleTarget } from '../../src/shared/export/ansible.js';
import { plan, type Plan } from '../../src/shared/plan.js';
import { render, type HostBundle } from '../../src/shared/render.js';
import type { Topology } from '../../src/shared/schema.js';
import { PUBLIC_PARTS } from '../../src/shared/secrets.js';
import { makeTemplate } from '../../src/shared/templates.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';
import type { SecretLookup } from '../../src/shared/tunnels/types.js';

const registry = defaultRegistry;
/** Debian's ansible-core (scripts/install-system-deps.sh); the vault tests that run it are skipped without it. */
const ansibleVault = ['/usr/bin/ansible-vault', '/usr/local/bin/ansible-vault'].find((p) => spawnSync(p, ['--version']).status === 0) ?? '';

/** `overlab …` in this process, its output captured. */
async function runCliCapture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}
let root = '';
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-ansible-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** A project whose hosts are SSH machines (no lab needed), each link of its own kind. */
function sshTopology(template: 'site-to-site' | 'hub-spoke', hosts: number, kinds: readonly [string, Record<string, unknown>][], name?: string): Topology {
  const t = makeTemplate({ template, hosts, kind: kinds[0]![0] }, registry).value!;
  const base = t.underlay.subnet.split('/')[0]!.split('.').map(Number);
  return {
    ...t,
    ...(name ? { name } : {}),
    hosts: t.hosts.map((h, i) => ({
      ...h,
      target: { type: 'ssh', address: `192.0.2.${10 + i}`, port: 22 + i, user: i === 0 ? 'root' : 'ops', identityFile: '/keys/id_ed25519', sudo: i > 0, password: false },
      underlay: { ...h.underlay, address: `${base[0]}.${base[1]}.${base[2]}.${base[3]! + 10 + i}` },
    })),
    links: t.links.map((l, i) => ({ ...l, kind: kinds[i % kinds.length]![0], options: { ...kinds[i % kinds.length]![1] } })),
  };
}

interface Exported {
  readonly plan: Plan;
  readonly bundles: readonly HostBundle[];
  readonly lookup: SecretLookup;
  readonly result: AnsibleExport;
}

async function exportOf(t: Topology, dir: string): Promise<Exported> {
  const p = plan(t, registry);
  expect(p.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const secrets = await ensureSecrets(dir, p.value!.secrets);
  const bundles = render(p.value!, registry, secrets.lookup);
  const markers = secretMarkers(secrets.lookup);
  const marked = render(p.value!, registry, markers.lookup);
  const hosts: AnsibleHost[] = t.hosts.map((h, index) => {
    const tg = h.target as Extract<Topology['hosts'][number]['target'], { type: 'ssh' }>;
    const target: AnsibleTarget = { address: tg.address, port: tg.port, user: tg.user, identityFile: tg.identityFile!, become: tg.sudo, password: false, lab: false };
    const bundle = bundles.find((b) => b.host === h.name)!;
    return { name: h.name, index, target, bundle, marked: marked.find((b) => b.host === h.name)!, hash: bundleHash(bundle) };
  });
  const x = ansibleExport({ plan: p.value!, hosts, markers, remote: REMOTE, knownHosts: '' });
  expect(x.diagnostics).toEqual([]);
  return { plan: p.value!, bundles, lookup: secrets.lookup, result: x.value! };
}

const fileOf = (x: AnsibleExport, p: string): string => {
  const f = x.files.find((g) => g.path === p);
  if (!f) throw new Error(`no ${p} in the export: ${x.files.map((g) => g.path).join(', ')}`);
  return f.content;
};

/** The vault as Ansible reads it: `!unsafe` scalars are plain strings. */
const vaultOf = (x: AnsibleExport): Record<string, string> =>
  (parse(fileOf(x, VAULT_FILE), { customTags: [{ tag: '!unsafe', resolve: (s: string) => s }] }) as Record<string, Record<string, string>>)[VAULT_VAR]!;

/**
 * Ansible's template module on the only Jinja the export writes: escapes and vault references
 * with the filters it uses. Anything else is an error, so unescaped text that Jinja would read fails here.
 */
function fill(template: string, vault: Record<string, string>): string {
  let out = '';
  let i = 0;
  for (;;) {
    const open = template.slice(i).search(/\{[{%#]/);
    if (open < 0) return out + template.slice(i);
    out += template.slice(i, i + open);
    const start = i + open;
    const end = template.indexOf(' }}', start);
    const expr = template.slice(start, end + 3);
    i = end + 3;
    if (expr === "{{ '{' }}") out += '{';
    else if (expr === "{{ '#' }}") out += '#';
    else {
      const m = /^\{\{ vault_overlab_secrets\['([^']+)'\](?: \| (trim|wordwrap\((\d+), true\)))? \}\}$/.exec(expr);
      if (!m) throw new Error(`Jinja the export does not write: ${expr.slice(0, 60)}`);
      const v = vault[m[1]!];
      if (v === undefined) throw new Error(`no ${m[1]} in the vault`);
      out += m[2] === 'trim' ? v.trim() : m[3] ? (v.match(new RegExp(`.{1,${m[3]}}`, 'g')) ?? []).join('\n') : v;
    }
  }
}

/** What Ansible puts on each host, from the export alone: path in the bundle → content. */
function installed(x: AnsibleExport, host: string): Map<string, string> {
  const vars = parse(fileOf(x, `host_vars/${host}/overlab.yml`)) as { overlab_copy: { src: string; dest: string }[]; overlab_templates: { src: string; dest: string }[] };
  const vault = vaultOf(x);
  const out = new Map<string, string>();
  for (const c of vars.overlab_copy) out.set(c.dest.slice(REMOTE.incoming.length + 1), fileOf(x, c.src));
  for (const t of vars.overlab_templates) out.set(t.dest.slice(REMOTE.incoming.length + 1), fill(fileOf(x, t.src), vault));
  return out;
}

/** Every non-public part of every secret the plan asks for. */
function secretValues(p: Plan, lookup: SecretLookup): string[] {
  const parts: Record<string, readonly string[]> = { x25519: ['private'], random: ['value'], password: ['value', 'hash'], rsa: ['private'], 'x509-ca': ['key'], 'x509-cert': ['key'], 'nebula-ca': ['key'], 'nebula-cert': ['key'] };
  return p.secrets.flatMap((s) => (parts[s.kind.type] ?? []).filter((part) => !PUBLIC_PARTS.has(part)).map((part) => lookup(s.ref, part)));
}

/** Every public part (certificates, public keys) the plan's secrets have. */
function publicValues(p: Plan, lookup: SecretLookup): string[] {
  return p.secrets.flatMap((s) => [...PUBLIC_PARTS].flatMap((part) => {
    try {
      return [lookup(s.ref, part)];
    } catch {
      return [];
    }
  }));
}

/** A secret, or a line of one that is not also public (an EC key's PEM holds its public point), found in a text. */
const leaks = (text: string, values: readonly string[], pub: readonly string[]): boolean =>
  values.some(
    (v) =>
      text.includes(v) ||
      text.includes(v.trim()) ||
      v.split('\n').some((l) => l.length >= 16 && !l.startsWith('-----') && text.includes(l) && !pub.some((u) => u.includes(l))) ||
      (!/\s/.test(v) && v.length > 32 && text.includes(v.slice(0, 32))),
  );

describe('overlab export ansible: the generator', () => {
  // Every kind once (site-to-site), and a hub-spoke that mixes kinds the way the lab test does.
  const cases: [string, Topology][] = [
    ...registry.kinds.map((k): [string, Topology] => [k.id, sshTopology('site-to-site', 2, [[k.id, {}]])]),
    ['hub-spoke of vxlan, wireguard (go, PSK) and openvpn', sshTopology('hub-spoke', 4, [['vxlan', {}], ['wireguard', { implementation: 'go', presharedKey: true }], ['openvpn', {}]])],
  ];

  it.each(cases)('%s: secrets only in the vault, and what Ansible installs is the rendered bundle byte for byte', async (_name, t) => {
    const dir = await fs.mkdtemp(path.join(root, 'kind-'));
    const { plan: p, bundles, lookup, result: x } = await exportOf(t, dir);
    const values = secretValues(p, lookup);
    const pub = publicValues(p, lookup);
    for (const f of x.files) {
      if (f.path === VAULT_FILE) continue;
      expect(leaks(f.content, values, pub), `${f.path} holds a secret`).toBe(false);
    }
    // Every secret a host gets is in the vault (a CA's key, which no host gets, is not).
    const vault = fileOf(x, VAULT_FILE);
    const shipped = bundles.flatMap((b) => [b.up, b.down, ...b.files.map((f) => f.content)]).join('\n');
    for (const v of values) if (leaks(shipped, [v], pub)) expect(vault.includes(v.trim().split('\n')[1] ?? v.trim()), 'a secret the hosts get is in the vault').toBe(true);
    expect(x.files.find((f) => f.path === VAULT_FILE)!.mode).toBe(0o600);
    for (const b of bundles) {
      const got = installed(x, b.host);
      expect(got.get('up.sh')).toBe(b.up);
      expect(got.get('down.sh')).toBe(b.down);
      for (const f of b.files) expect(got.get(`files${f.path}`), `${b.host}:${f.path}`).toBe(f.content);
      expect(got.size).toBe(2 + b.files.length);
      expect((parse(fileOf(x, `host_vars/${b.host}/overlab.yml`)) as { overlab_bundle_sha256: string }).overlab_bundle_sha256).toBe(bundleHash(b));
    }
  });

  it('names each secret in the templates it fills (no whole file in the vault for WireGuard or OpenVPN)', async () => {
    const { result: x } = await exportOf(sshTopology('hub-spoke', 4, [['vxlan', {}], ['wireguard', { implementation: 'go', presharedKey: true }], ['openvpn', {}]]), await fs.mkdtemp(path.join(root, 'mix-')));
    const keys = Object.keys(vaultOf(x));
    expect(keys.some((k) => k.startsWith('file:'))).toBe(false);
    expect(keys).toContain('openvpn/n2/tls-crypt:value');
    expect(fileOf(x, 'bundles/hub/files/etc/wireguard/olwg0.conf.j2')).toContain(`PrivateKey = {{ ${VAULT_VAR}['wireguard/n1/hub:private'] }}`);
  });

  it('plays the same convention as overlab deploy: hash file, upload area, swap and teardown scripts', async () => {
    const { result: x } = await exportOf(sshTopology('site-to-site', 2, [['vxlan', {}]]), await fs.mkdtemp(path.join(root, 'conv-')));
    const deploy = fileOf(x, 'deploy.yml');
    const flat = (s: string): string => s.replace(/\n\s+/g, ' ');
    for (const s of [REMOTE.hashFile, REMOTE.incomingHashFile, REMOTE.applyFresh, REMOTE.applyReplacing, REMOTE.rollback]) expect(flat(deploy)).toContain(s);
    expect(flat(fileOf(x, 'teardown.yml'))).toContain(REMOTE.teardown);
    expect(deploy).toContain('when: overlab_deployed != overlab_bundle_sha256');
    const inv = parse(fileOf(x, 'inventory.yml')) as { all: { children: { overlab: { hosts: Record<string, Record<string, unknown>> } } } };
    expect(inv.all.children.overlab.hosts['site-b']).toMatchObject({ ansible_host: '192.0.2.11', ansible_port: 23, ansible_user: 'ops', ansible_become: true, ansible_ssh_private_key_file: '/keys/id_ed25519' });
    expect(inv.all.children.overlab.hosts['site-a']!.ansible_become).toBeUndefined();
  });

  it('is stable: the same project gives the same files, in order', async () => {
    const dir = await fs.mkdtemp(path.join(root, 'stable-'));
    const t = sshTopology('hub-spoke', 3, [['wireguard', { implementation: 'go' }], ['openvpn', {}]]);
    const a = (await exportOf(t, dir)).result;
    const b = (await exportOf(t, dir)).result;
    expect(b.files).toEqual(a.files);
    expect(a.files.map((f) => f.path)).toEqual([...a.files.map((f) => f.path)].sort());
  });

  it('keeps a hostile project name out of everything Ansible evaluates', async () => {
    const evil = "{{ lookup('pipe', 'touch /tmp/pwned') }} {% raw %}'; rm -rf / #";
    const { result: x } = await exportOf(sshTopology('site-to-site', 2, [['wireguard', { implementation: 'go' }]], evil), await fs.mkdtemp(path.join(root, 'evil-')));
    for (const f of x.files.filter((g) => g.path.endsWith('.yml'))) {
      // Comments may name the project; no value Ansible reads does.
      const values: string[] = [];
      const walk = (v: unknown): void => {
        if (typeof v === 'string') values.push(v);
        else if (v && typeof v === 'object') for (const w of Object.values(v)) walk(w);
      };
      for (const d of parseAllDocuments(f.content, { customTags: [{ tag: '!unsafe', resolve: (s: string) => s }] }) as { toJS(): unknown }[]) walk(d.toJS());
      expect(values.some((v) => v.includes('pwned')), f.path).toBe(false);
    }
    // The bundles carry the name in their comments; the templates print it as text (fill() refuses other Jinja).
    expect(installed(x, 'site-a').get('up.sh')).toContain('pwned');
  });

  it('prints Jinja-looking text of a file with secrets as text', () => {
    const real: SecretLookup = (ref, part = 'value') => `S3CRET-${ref}-${part}-0123456789`;
    const markers = secretMarkers(real);
    const text = (lookup: SecretLookup): string => `#jinja2: trim_blocks: False\nkey = ${lookup('k/a')}\n{{ not a var }} {% if %} {# c #} \${#x} {{{\nend {`;
    const bundle: HostBundle = { host: 'h', files: [{ path: '/etc/x.conf', mode: 0o600, content: text(real), secret: true }], up: '#!/bin/sh\n', down: '#!/bin/sh\n', steps: [] };
    const marked: HostBundle = { ...bundle, files: [{ ...bundle.files[0]!, content: text(markers.lookup) }] };
    const x = ansibleExport({ plan: { ...plan(sshTopology('site-to-site', 2, [['clean', {}]]), registry).value!, networks: [] }, hosts: [host('h', 0, bundle, marked)], markers, remote: REMOTE, knownHosts: '' }).value!;
    const tpl = fileOf(x, 'bundles/h/files/etc/x.conf.j2');
    expect(tpl.startsWith("{{ '#' }}jinja2:")).toBe(true);
    expect(fill(tpl, vaultOf(x))).toBe(text(real));
    expect(tpl).not.toContain('S3CRET');
  });

  it('puts a file whose secret no filter reproduces in the vault whole', () => {
    const real: SecretLookup = () => 'abcdefghijklmnopqrstuvwxyz0123456789';
    const markers = secretMarkers(real);
    // A kind that prints its secret reversed.
    const rev = (s: string): string => [...s].reverse().join('');
    const bundle: HostBundle = { host: 'h', files: [{ path: '/etc/x.key', mode: 0o600, content: `k ${rev(real('k/a'))}\n`, secret: true }], up: '#!/bin/sh\n', down: '#!/bin/sh\n', steps: [] };
    const marked: HostBundle = { ...bundle, files: [{ ...bundle.files[0]!, content: `k ${rev(markers.lookup('k/a'))}\n` }] };
    const x = ansibleExport({ plan: { ...plan(sshTopology('site-to-site', 2, [['clean', {}]]), registry).value!, networks: [] }, hosts: [host('h', 0, bundle, marked)], markers, remote: REMOTE, knownHosts: '' }).value!;
    expect(fileOf(x, 'bundles/h/files/etc/x.key.j2')).toBe(`{{ ${VAULT_VAR}['file:h:files/etc/x.key'] }}`);
    expect(vaultOf(x)['file:h:files/etc/x.key']).toBe(bundle.files[0]!.content);
  });

  it('refuses to write a secret that reached a bundle without the lookup', () => {
    const leaked = 'LEAKED-0123456789abcdef';
    const markers = secretMarkers(() => leaked);
    // up.sh prints the value itself (the same in both renders); the config asks the lookup for it.
    const real: HostBundle = { host: 'h', files: [{ path: '/etc/x.conf', mode: 0o600, content: `k ${leaked}\n` }], up: `#!/bin/sh\necho ${leaked}\n`, down: '#!/bin/sh\n', steps: [] };
    const marked: HostBundle = { ...real, files: [{ ...real.files[0]!, content: `k ${markers.lookup('k/a')}\n` }] };
    const r = ansibleExport({ plan: { ...plan(sshTopology('site-to-site', 2, [['clean', {}]]), registry).value!, networks: [] }, hosts: [host('h', 0, real, marked)], markers, remote: REMOTE, knownHosts: '' });
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([['secret-inline', expect.stringMatching(/bundles\/h\/up\.sh .*nothing was written/)]]);
  });

  it('refuses hostile values with the field and the fix, and writes nothing', () => {
    const b: HostBundle = { host: 'x', files: [{ path: '/etc/a b.conf', mode: 0o644, content: '' }], up: '#!/bin/sh\n', down: '#!/bin/sh\n', steps: [] };
    const bad: AnsibleHost[] = [
      host('Hub;rm', 0, b, b),
      { ...host('spoke', 1, b, b), target: { address: '-oProxyCommand=sh', port: 70000, user: '-oProxyCommand=id', identityFile: '/k"ey; $(id) %h', become: true, password: false, lab: false } },
    ];
    const r = ansibleExport({ plan: plan(sshTopology('site-to-site', 2, [['clean', {}]]), registry).value!, hosts: bad, markers: secretMarkers(() => ''), remote: REMOTE, knownHosts: '' });
    expect(r.value).toBeUndefined();
    const by = new Map(r.diagnostics.map((d) => [d.path, d]));
    expect(by.get('hosts[0].name')!.message).toMatch(/lowercase letters/);
    expect(by.get('hosts[1].target.address')!.message).toMatch(/DNS name or an IP/);
    expect(by.get('hosts[1].target.port')!.message).toMatch(/1–65535/);
    expect(by.get('hosts[1].target.user')!.message).toMatch(/POSIX user name/);
    expect(by.get('hosts[1].target.identityFile')!.message).toMatch(/move or link the key/);
    expect(r.diagnostics.some((d) => d.code === 'bad-bundle-path')).toBe(true);
  });
});

function host(name: string, index: number, bundle: HostBundle, marked: HostBundle): AnsibleHost {
  return { name, index, target: { address: '192.0.2.1', port: 22, user: 'root', become: false, password: false, lab: false }, bundle, marked, hash: bundleHash(bundle) };
}

describe('overlab export ansible: the engine operation writes OUTDIR at once', () => {
  const engine = createEngine({ registry });
  let dir = '';
  beforeAll(async () => {
    dir = path.join(root, 'project');
    await engine['project.create']({ dir, template: 'site-to-site', hosts: 2, kind: 'wireguard' });
    const snap = await engine['project.save']({ dir, topology: sshTopology('site-to-site', 2, [['wireguard', { implementation: 'go' }]]) });
    expect(snap.topology).toBeDefined();
  });

  it('writes a new folder, the vault 0600, and says how many secrets it holds', async () => {
    const out = path.join(root, 'out-new');
    const r = await engine['export.ansible']({ dir, out });
    expect(r.hosts).toEqual(['site-a', 'site-b']);
    expect(r.secrets).toBe(2);
    expect(r.vault).toBe(path.join(out, VAULT_FILE));
    expect((await fs.stat(r.vault)).mode & 0o777).toBe(0o600);
    expect((await fs.readdir(path.dirname(out))).filter((n) => n.includes('.overlab-'))).toEqual([]);
  });

  it('marks every export as Overlab\'s (the marker file), so that --force may replace it later', async () => {
    const out = path.join(root, 'out-marked');
    await engine['export.ansible']({ dir, out });
    expect(await fs.readFile(path.join(out, MARKER), 'utf8')).toMatch(/^This folder was written by overlab export ansible;/);
  });

  it('refuses a non-empty folder without --force, and with --force too unless an earlier export made it; changes nothing', async () => {
    const out = path.join(root, 'out-busy');
    await fs.mkdir(out);
    await fs.writeFile(path.join(out, 'mine.txt'), 'keep');
    const refused = await engine['export.ansible']({ dir, out }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).message).toMatch(/not empty.*--force/);
    const forced = await engine['export.ansible']({ dir, out, force: true }).catch((e: unknown) => e);
    expect(forced).toBeInstanceOf(ApiError);
    expect((forced as ApiError).message).toBe(`--out ${out} was not written by overlab export ansible (it has no ${MARKER} file), and --force replaces only a folder Overlab made; pick another folder, or move ${out} away yourself`);
    expect(await fs.readdir(out)).toEqual(['mine.txt']);
    expect((await fs.readdir(root)).filter((n) => n.includes('.overlab-'))).toEqual([]);
  });

  it('replaces an earlier export with --force, and an empty folder without it', async () => {
    const out = path.join(root, 'out-again');
    await engine['export.ansible']({ dir, out });
    await fs.writeFile(path.join(out, 'stale.yml'), 'from an older export');
    await engine['export.ansible']({ dir, out, force: true });
    expect(await fs.readdir(out)).toContain('deploy.yml');
    expect(await fs.readdir(out)).not.toContain('stale.yml');
    const empty = path.join(root, 'out-empty');
    await fs.mkdir(empty);
    await engine['export.ansible']({ dir, out: empty });
    expect(await fs.readdir(empty)).toContain(MARKER);
    expect((await fs.readdir(root)).filter((n) => n.includes('.overlab-'))).toEqual([]);
  });

  it('refuses an OUTDIR that is a symbolic link, even to an earlier export, with or without --force; writes nothing through it', async () => {
    const real = path.join(root, 'out-real');
    await engine['export.ansible']({ dir, out: real });
    const before = (await fs.readdir(real)).sort();
    await fs.writeFile(path.join(real, 'mine.txt'), 'keep');
    const link = path.join(root, 'out-link');
    await fs.symlink(real, link);
    for (const force of [false, true]) {
      const e = (await engine['export.ansible']({ dir, out: link, force }).catch((x: unknown) => x)) as ApiError;
      expect(e).toBeInstanceOf(ApiError);
      expect(e.message).toMatch(/^--out .*out-link is a symbolic link: Overlab writes the export into a real folder and never through a link/);
    }
    expect((await fs.lstat(link)).isSymbolicLink()).toBe(true);
    expect((await fs.readdir(real)).sort()).toEqual([...before, 'mine.txt'].sort());
  });

  it.skipIf(process.getuid?.() !== 0)('refuses a symbolic link on the way to OUTDIR that root did not make (a linked parent folder)', async () => {
    const realParent = path.join(root, 'real-parent');
    await fs.mkdir(realParent);
    await fs.symlink(realParent, path.join(root, 'linked-parent'));
    // Made by another user (uid 4242): root follows only links root made.
    execFileSync('chown', ['-h', '4242:4242', path.join(root, 'linked-parent')]);
    const e = (await engine['export.ansible']({ dir, out: path.join(root, 'linked-parent', 'out') }).catch((x: unknown) => x)) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect(e.message).toMatch(/linked-parent is a symbolic link made by uid 4242/);
    expect(await fs.readdir(realParent)).toEqual([]);
  });

  describe('the vault, encrypted with --vault-password-file', () => {
    const PASSWORD = 'correct horse battery staple';
    let pw = '';
    /** A wrapper first in PATH that records the argv ansible-vault gets, then runs the real one. */
    let argvLog = '';
    let wrapperDir = '';
    beforeAll(async () => {
      pw = path.join(root, 'vault-password');
      await fs.writeFile(pw, `${PASSWORD}\n`, { mode: 0o600 });
      wrapperDir = path.join(root, 'bin');
      argvLog = path.join(root, 'ansible-vault.argv');
      await fs.mkdir(wrapperDir);
      await fs.writeFile(path.join(wrapperDir, 'ansible-vault'), `#!/bin/sh\nprintf '%s\\n' "$@" >> ${argvLog}\nexec ${ansibleVault} "$@"\n`, { mode: 0o755 });
    });
    const withPath = async <T,>(dirs: string, f: () => Promise<T>): Promise<T> => {
      const was = process.env.PATH;
      process.env.PATH = dirs;
      try {
        return await f();
      } finally {
        process.env.PATH = was;
      }
    };

    it.skipIf(!ansibleVault)('encrypts it so that ansible-vault opens it with the same file; the password is on no command line, in no file and in no output', async () => {
      const out = path.join(root, 'out-vault');
      const r = await withPath(`${wrapperDir}:${process.env.PATH}`, () => engine['export.ansible']({ dir, out, vaultPasswordFile: pw }));
      expect(r.encrypted).toBe(true);
      const vault = await fs.readFile(r.vault, 'utf8');
      expect(vault.startsWith('$ANSIBLE_VAULT;1.1;AES256\n')).toBe(true);
      expect((await fs.stat(r.vault)).mode & 0o777).toBe(0o600);
      const view = await promisify(execFile)(ansibleVault, ['view', '--vault-password-file', pw, VAULT_FILE], { cwd: out });
      const opened = parse(view.stdout, { customTags: [{ tag: '!unsafe', resolve: (t: string) => t }] }) as Record<string, Record<string, string>>;
      expect(Object.keys(opened[VAULT_VAR]!)).toHaveLength(r.secrets);
      // What ansible-vault was given on its command line: the stdin as password file, never the password.
      const argv = await fs.readFile(argvLog, 'utf8');
      expect(argv.split('\n')).toEqual(['encrypt', '--vault-password-file', '/dev/stdin', expect.stringMatching(/group_vars\/all\/vault\.yml$/), '']);
      for (const rel of (await fs.readdir(out, { recursive: true })) as string[]) {
        const p = path.join(out, rel);
        if ((await fs.stat(p)).isFile()) expect(await fs.readFile(p, 'utf8'), rel).not.toContain(PASSWORD);
      }
      const readme = await fs.readFile(path.join(out, 'README.md'), 'utf8');
      expect(readme).toContain('encrypted with ansible-vault');
      expect(readme).toContain('ansible-playbook deploy.yml --vault-password-file FILE');
      // The command line says the same, with the file to give ansible-playbook.
      const cli = await runCliCapture(['export', 'ansible', dir, '--out', out, '--force', '--vault-password-file', pw]);
      expect(cli.code, cli.err).toBe(0);
      expect(cli.out).toContain(`encrypted with ansible-vault (the password in ${pw})`);
      expect(cli.out).toContain(`ansible-playbook deploy.yml --vault-password-file ${pw}`);
      expect(cli.out + cli.err).not.toContain(PASSWORD);
    });

    it('says clearly, in the output and the README, when the vault is not encrypted', async () => {
      const out = path.join(root, 'out-plain');
      const cli = await runCliCapture(['export', 'ansible', dir, '--out', out]);
      expect(cli.code, cli.err).toBe(0);
      expect(cli.out).toMatch(/2 secret value\(s\) are in .*vault\.yml, NOT ENCRYPTED \(mode 0600; --vault-password-file FILE encrypts it\)/);
      expect(cli.out).toContain('  ansible-vault encrypt ');
      expect(await fs.readFile(path.join(out, 'README.md'), 'utf8')).toContain('NOT ENCRYPTED (mode 0600). Encrypt it before sharing:');
      expect((await fs.readFile(path.join(out, VAULT_FILE), 'utf8')).startsWith('$ANSIBLE_VAULT')).toBe(false);
    });

    it.each<[string, (f: string) => Promise<void>, RegExp]>([
      ['is executable (Ansible would run it)', (f) => fs.chmod(f, 0o700), /is executable: Ansible would run it as a script for the password, Overlab reads it as text; remove the execute bits/],
      ['is a symbolic link', async (f) => { await fs.rename(f, `${f}.real`); await fs.symlink(`${f}.real`, f); }, /is a symbolic link/],
      ['is owned by another user', (f) => fs.chown(f, 65534, 65534), /is owned by nobody \(uid 65534\), not by root or by you/],
      ['can be written by others', (f) => fs.chmod(f, 0o646), /can be written by other users/],
      ['is empty', (f) => fs.writeFile(f, '\n'), /is empty; write the vault password in it/],
      ['does not exist', (f) => fs.rm(f), /does not exist; write the vault password in a file/],
    ])('refuses a password file that %s, naming it, before writing anything', async (_why, spoil, message) => {
      const f = path.join(root, `pw-${Math.random().toString(36).slice(2)}`);
      await fs.writeFile(f, `${PASSWORD}\n`, { mode: 0o600 });
      await spoil(f);
      const out = path.join(root, 'out-refused');
      const e = (await engine['export.ansible']({ dir, out, vaultPasswordFile: f }).catch((x: unknown) => x)) as ApiError;
      expect(e).toBeInstanceOf(ApiError);
      expect(e.message).toContain(`--vault-password-file ${f}`);
      expect(e.message).toMatch(message);
      expect(e.message).not.toContain(PASSWORD);
      await expect(fs.access(out)).rejects.toThrow();
    });

    it('says what to install when ansible-vault is missing, and leaves nothing behind', async () => {
      const out = path.join(root, 'out-no-ansible');
      const e = (await withPath(path.join(root, 'empty-path'), () => engine['export.ansible']({ dir, out, vaultPasswordFile: pw }).catch((x: unknown) => x))) as ApiError;
      expect(e).toBeInstanceOf(ApiError);
      expect(e.message).toMatch(/^ansible-vault is not installed, so the vault cannot be encrypted: install Ansible \(apt-get install ansible-core\)/);
      await expect(fs.access(out)).rejects.toThrow();
      expect((await fs.readdir(root)).filter((n) => n.includes('.overlab-'))).toEqual([]);
    });
  });

  it('refuses to replace the project folder or one that holds it', async () => {
    for (const out of [dir, root]) {
      const e = (await engine['export.ansible']({ dir, out, force: true }).catch((x: unknown) => x)) as ApiError;
      expect(e).toBeInstanceOf(ApiError);
      expect(e.message).toMatch(/^--out .* is the project folder or holds it; pick another folder/);
    }
    expect(await fs.readdir(dir)).toContain('overlab.yaml');
  });

  it('needs the running lab for lab hosts, and says so for each', async () => {
    const lab = path.join(root, 'lab-project');
    await engine['project.create']({ dir: lab, template: 'site-to-site', hosts: 2, kind: 'vxlan' });
    const e = (await engine['export.ansible']({ dir: lab, out: path.join(root, 'out-lab') }).catch((x: unknown) => x)) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect(e.diagnostics!.map((d) => [d.path, d.code])).toEqual([
      ['hosts[0].target', 'lab-not-up'],
      ['hosts[1].target', 'lab-not-up'],
    ]);
    expect(e.diagnostics![0]!.message).toMatch(/overlab lab up/);
    await expect(fs.access(path.join(root, 'out-lab'))).rejects.toThrow();
  });
});
