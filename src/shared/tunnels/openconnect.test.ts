import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSecrets } from '../../engine/secrets/store.js';
import { formatAddress, parsePrefix, type Prefix } from '../net.js';
import { plan, type Plan } from '../plan.js';
import { render, type HostBundle } from '../render.js';
import type { Shape, Topology } from '../schema.js';
import { placeholderSecrets } from '../secrets.js';
import { makeTemplate } from '../templates.js';
import { validateTopology } from '../validate.js';
import { openconnect } from './openconnect.js';
import type { Registry, SecretLookup } from './types.js';

const registry: Registry = { kinds: [openconnect] };
const have = (bin: string, ...args: string[]): boolean => spawnSync(bin, args).error === undefined;
const isRoot = process.getuid?.() === 0;

function topology(template: Shape, hosts: number, mtu = 1500, options: Record<string, unknown> = {}): Topology {
  const t = makeTemplate({ template, hosts, kind: 'openconnect', underlayMtu: mtu }, registry);
  if (!t.value) throw new Error(JSON.stringify(t.diagnostics));
  return { ...t.value, links: t.value.links.map((l) => ({ ...l, options })) };
}

function planOf(t: Topology): Plan {
  const p = plan(t, registry);
  if (!p.value) throw new Error(JSON.stringify(p.diagnostics));
  return p.value;
}

const bundles = (p: Plan, secret: SecretLookup = placeholderSecrets): HostBundle[] => render(p, registry, secret);
const file = (b: HostBundle, suffix: string): string => {
  const f = b.files.find((x) => x.path.endsWith(suffix));
  if (!f) throw new Error(`${b.host} has no file ${suffix}: ${b.files.map((x) => x.path).join(', ')}`);
  return f.content;
};
/** Values of a `key = value` setting in an ocserv config file. */
const setting = (conf: string, key: string): string[] =>
  conf
    .split('\n')
    .filter((l) => l.startsWith(`${key} = `))
    .map((l) => l.slice(key.length + 3));
/** The openconnect command line in a spoke's up.sh, as words. */
const clientCommand = (up: string): string[] => {
  const line = up.split('\n').find((l) => l.includes('{ openconnect '));
  if (!line) throw new Error('no openconnect command in up.sh');
  // Values here never hold a quote or a space, so a quoted word is the value between its quotes.
  return line
    .slice(line.indexOf('{ openconnect ') + 2, line.indexOf(' <'))
    .split(' ')
    .map((w) => w.replace(/^'(.*)'$/, '$1'));
};
/** A spoke's openconnect options file (`name=value` or a bare `name` per line). */
const clientOptions = (b: HostBundle): Record<string, string> =>
  Object.fromEntries(
    file(b, '/etc/openconnect/oloc0/openconnect.conf')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.split('=')[0]!, l.includes('=') ? l.slice(l.indexOf('=') + 1) : '']),
  );

describe('openconnect plan', () => {
  it('gives every spoke exactly its planned address on the server, and the LAN behind it', () => {
    const p = planOf(topology('hub-spoke', 4));
    expect(p.networks).toHaveLength(1);
    const net = p.networks[0]!;
    expect(net.members.map((m) => [m.host, m.role])).toEqual([
      ['hub', 'server'],
      ['spoke-1', 'client'],
      ['spoke-2', 'client'],
      ['spoke-3', 'client'],
    ]);
    const b = bundles(p);
    const conf = file(b[0]!, '/etc/ocserv/oloc0/ocserv.conf');
    expect(setting(conf, 'ipv4-network')).toEqual([net.subnet]);
    // ocserv puts its own end of every client device on the network's first address: the plan's server address.
    const subnet = parsePrefix(net.subnet) as Prefix;
    expect(net.members[0]!.address).toBe(`${formatAddress(4, subnet.network + 1n)}/${subnet.length}`);
    expect(setting(conf, 'listen-host')).toEqual([net.members[0]!.underlay]);
    for (const [i, m] of net.members.entries()) {
      if (i === 0) continue;
      const user = file(b[0]!, `/etc/ocserv/oloc0/users/${m.host}`);
      expect(setting(user, 'explicit-ipv4')).toEqual([m.address.split('/')[0]]);
      expect(setting(user, 'iroute')).toEqual([p.hosts.find((h) => h.name === m.host)!.lan]);
      expect(clientCommand(b[i]!.up)).toEqual(['openconnect', '--config', '/etc/openconnect/oloc0/openconnect.conf', `https://${net.members[0]!.underlay}:443/`]);
      expect(clientOptions(b[i]!).interface).toBe(m.ifname);
      expect(b[i]!.up).toContain(`addr replace ${m.address} dev ${m.ifname}`);
    }
    // The hub routes to spoke LANs through ocserv's iroutes (on the per-client devices), not through a device of its own.
    expect(b[0]!.up).not.toContain('ip route replace');
    expect(setting(conf, 'route-add-cmd')).toEqual(['"ip route replace %{RI} dev %{D}"']);
  });

  it('pairs each spoke’s password with its hash in the server’s passwd file, and trusts only the network’s CA for the server', () => {
    const p = planOf(topology('hub-spoke', 3));
    const net = p.networks[0]!;
    const b = bundles(p);
    const passwd = file(b[0]!, '/etc/ocserv/oloc0/passwd').trim().split('\n');
    expect(passwd).toHaveLength(2);
    for (const [i, m] of net.members.entries()) {
      if (i === 0) continue;
      const pw = file(b[i]!, '/etc/openconnect/oloc0/password').trim();
      const ref = /^<secret:(.*):value>$/.exec(pw)![1]!;
      expect(passwd).toContain(`${m.host}:*:<secret:${ref}:hash>`);
      const opts = clientOptions(b[i]!);
      expect(opts.user).toBe(m.host);
      expect(opts['passwd-on-stdin']).toBe('');
      expect(opts['non-inter']).toBe('');
      expect(b[i]!.up).toContain('</etc/openconnect/oloc0/password ');
      // The server is checked against this network's CA only, for the address the client dials.
      expect(opts).toMatchObject({ cafile: '/etc/openconnect/oloc0/ca.crt', 'no-system-trust': '' });
      expect(file(b[i]!, '/etc/openconnect/oloc0/ca.crt')).toBe(placeholderSecrets(net.secrets[0]!.ref, 'cert'));
      expect(net.secrets.find((s) => s.kind.type === 'x509-cert' && s.kind.usage === 'server')!.kind).toMatchObject({ sans: [net.members[0]!.underlay] });
    }
    expect(b[0]!.files.find((f) => f.path.endsWith('/passwd'))).toMatchObject({ mode: 0o600, secret: true });
  });

  it('with certificate auth, gives each spoke a client certificate and the server the CA', () => {
    const p = planOf(topology('hub-spoke', 3, 1500, { auth: 'certificate' }));
    const net = p.networks[0]!;
    expect(net.secrets[0]!.kind.type).toBe('x509-ca');
    for (const m of net.members) {
      const s = net.secrets.find((x) => x.kind.type === 'x509-cert' && x.kind.commonName === m.host);
      expect(s?.kind).toMatchObject({ usage: m.role === 'server' ? 'server' : 'client' });
    }
    const b = bundles(p);
    const conf = file(b[0]!, 'ocserv.conf');
    expect(setting(conf, 'auth')).toEqual(['"certificate"']);
    expect(setting(conf, 'cert-user-oid')).toEqual(['2.5.4.3']);
    expect(file(b[0]!, '/etc/ocserv/oloc0/ca.crt')).toBe(placeholderSecrets(net.secrets[0]!.ref, 'cert'));
    expect(clientOptions(b[1]!)).toMatchObject({ certificate: '/etc/openconnect/oloc0/client.crt', sslkey: '/etc/openconnect/oloc0/client.key' });
    expect(clientOptions(b[1]!).user).toBeUndefined();
    expect(b[1]!.files.find((f) => f.path.endsWith('client.key'))).toMatchObject({ mode: 0o600, secret: true });
  });

  it.each([
    ['AES-256-GCM', 1500, 4, 1434],
    ['AES-256-GCM', 9000, 4, 8934],
    ['AES-256-GCM', 1500, 6, 1414],
    ['AES-256-GCM', 9000, 6, 8914],
    ['AES-128-GCM', 1500, 4, 1434],
    ['CHACHA20-POLY1305', 1500, 4, 1442],
    ['CHACHA20-POLY1305', 9000, 6, 8922],
  ])('with %s on a %i-byte IPv%i underlay, plans MTU %i and makes ocserv compute the same', (cipher, mtu, family, expected) => {
    let t = topology('site-to-site', 2, mtu, { cipher });
    if (family === 6) t = { ...t, underlay: { ...t.underlay, subnet: '2001:db8:0:1::/64' } };
    const p = planOf(t);
    expect(p.links[0]!.mtu).toBe(expected);
    const b = bundles(p);
    const conf = file(b[0]!, 'ocserv.conf');
    // ocserv: data MTU = link MTU − the cipher's DTLS overhead; the link MTU given is the one that yields the plan.
    expect(setting(conf, 'mtu')).toEqual([String(mtu)]);
    expect(setting(conf, 'tls-priorities')[0]).toMatch(new RegExp(`-CIPHER-ALL:\\+${cipher}"$`));
    expect(clientOptions(b[1]!)['base-mtu']).toBe(String(mtu));
    expect(b[1]!.up).toContain(`link set dev oloc0 mtu ${expected}`);
  });

  it('follows a smaller MTU override: ocserv is given the link MTU that yields it', () => {
    const t = topology('site-to-site', 2);
    const p = planOf({ ...t, links: [{ ...t.links[0]!, mtu: 1400 }] });
    expect(p.links[0]!.mtu).toBe(1400);
    expect(setting(file(bundles(p)[0]!, 'ocserv.conf'), 'mtu')).toEqual(['1466']);
  });

  it('keeps its sockets and pid file in the run directory, not the packaged instance’s', () => {
    const conf = file(bundles(planOf(topology('site-to-site', 2)))[0]!, 'ocserv.conf');
    for (const k of ['socket-file', 'occtl-socket-file', 'pid-file']) expect(setting(conf, k)[0]).toMatch(/^\/run\/overlab\/oloc0/);
  });

  it('renders the same bytes twice', () => {
    const t = topology('hub-spoke', 4);
    expect(bundles(planOf(t))).toEqual(bundles(planOf(t)));
  });
});

describe('openconnect validation', () => {
  it('refuses a mesh, saying why', () => {
    const t = makeTemplate({ template: 'mesh', hosts: 3, kind: 'openconnect' }, registry);
    expect(t.value).toBeUndefined();
    expect(t.diagnostics.find((d) => d.code === 'shape-unsupported')?.message).toMatch(/supports site-to-site, multi-site, hub-spoke/);
    expect(openconnect.capabilities.shapes.mesh).toMatchObject({ no: expect.stringMatching(/mesh/) });
    expect(openconnect.shapes).not.toContain('mesh');
  });

  it('reports bad options at their path', () => {
    const t = topology('site-to-site', 2);
    const r = validateTopology({ ...t, links: [{ ...t.links[0]!, options: { auth: 'pam', cipher: 'RC4', port: 70000 } }] }, registry);
    const paths = r.diagnostics.map((d) => d.path);
    for (const f of ['auth', 'cipher', 'port']) expect(paths).toContain(`links[0].options.${f}`);
  });
});

describe('openconnect scripts', () => {
  it('stop exactly the daemons they started and remove devices, logs and files', () => {
    const b = bundles(planOf(topology('site-to-site', 2)));
    expect(b[0]!.up).toMatch(/ol_running \/run\/overlab\/oloc0\.pid ocserv-main \|\| \{ ocserv --foreground --config \/etc\/ocserv\/oloc0\/ocserv\.conf /);
    expect(b[0]!.down).toContain('ol_stop /run/overlab/oloc0.pid ocserv-main');
    expect(b[0]!.down).toContain('rm -f /var/log/overlab/ocserv-oloc0.log');
    expect(b[1]!.down).toContain('ol_stop /run/overlab/oloc0.pid openconnect');
    expect(b[1]!.down).toContain('ip link del dev oloc0 2>/dev/null');
    for (const x of b) for (const f of x.files) expect(x.down).toContain(`rm -f ${f.path}`);
  });

  it('wait for the client to connect, bounded, restarting openconnect while the server is not up yet', () => {
    const up = bundles(planOf(topology('site-to-site', 2)))[1]!.up;
    expect(up).toContain('until ip -o link show dev oloc0 | grep -q LOWER_UP; do');
    expect(up).toMatch(/if \[ "\$i" -gt 30 \]; then echo .* >&2; exit 1; fi; sleep 1/);
  });

  it.skipIf(!have('shellcheck', '--version')).each([
    ['site-to-site', 2, 1500, {}],
    ['hub-spoke', 4, 9000, { auth: 'certificate' }],
    ['multi-site', 3, 1500, { cipher: 'CHACHA20-POLY1305' }],
  ] as [Shape, number, number, Record<string, unknown>][])('pass shellcheck (%s, %i hosts, MTU %i, %j)', (shape, n, mtu, options) => {
    for (const b of bundles(planOf(topology(shape, n, mtu, options)))) {
      for (const s of [b.up, b.down]) {
        const r = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: s, encoding: 'utf8' });
        expect(r.stdout + r.stderr).toBe('');
        expect(r.status).toBe(0);
      }
    }
  });
});

/** Writes a host's bundle files under `root`, with every absolute path of `moves` moved there too. */
function installUnder(root: string, b: HostBundle, moves: readonly string[]): (text: string) => string {
  const move = (text: string): string => moves.reduce((t, m) => t.split(m).join(path.join(root, m)), text);
  for (const f of b.files) {
    const target = path.join(root, f.path);
    mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    writeFileSync(target, move(f.content), { mode: f.mode });
  }
  return move;
}

describe.skipIf(!have('ocserv', '--version'))('ocserv --test-config', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'overlab-ocserv-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(['password', 'certificate'])('accepts the rendered server config (%s auth, real secrets)', async (auth) => {
    const p = planOf(topology('hub-spoke', 3, 1500, { auth }));
    const secrets = await ensureSecrets(path.join(dir, auth), p.secrets);
    const hub = bundles(p, secrets.lookup)[0]!;
    const root = path.join(dir, auth, 'root');
    installUnder(root, hub, ['/etc/ocserv/', '/run/overlab']);
    const r = spawnSync('ocserv', ['--test-config', '-c', path.join(root, '/etc/ocserv/oloc0/ocserv.conf')], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/error|unknown/i);
  });

  it('rejects a broken config (the check is real)', () => {
    const conf = path.join(dir, 'broken.conf');
    writeFileSync(conf, 'auth = "plain[passwd=/nonexistent]"\ntcp-port = 443\nno-such-option = 1\n');
    expect(spawnSync('ocserv', ['--test-config', '-c', conf]).status).not.toBe(0);
  });
});

/**
 * The rendered ocserv config and openconnect command line, with real secrets, in two
 * network namespaces on a veth pair: the client must log in, bring DTLS up and carry a
 * don't-fragment ping that fills the planned MTU.
 */
describe.skipIf(!isRoot || !have('ocserv', '--version') || !have('openconnect', '--version') || !existsSync('/dev/net/tun'))('ocserv and openconnect carry the plan', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'overlab-oc-'));
    chmodSync(dir, 0o755);
  });
  const procs: ChildProcess[] = [];
  const namespaces: string[] = [];
  afterAll(async () => {
    // Wait for each daemon to be gone (and reaped) before its namespace goes.
    await Promise.all(procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((r) => (p.once('exit', r), p.kill('SIGTERM'))))));
    for (const n of namespaces) spawnSync('ip', ['netns', 'del', n]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const sh = (...args: string[]): void => {
    const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  };

  it.each(['password', 'certificate'])('%s auth: logs in, DTLS up, a DF ping at the planned MTU crosses', async (auth) => {
    const tag = `olt${process.pid % 10000}${auth[0]}`;
    const ns = [`${tag}s`, `${tag}c`];
    namespaces.push(...ns);
    const p = planOf(topology('site-to-site', 2, 1500, { auth }));
    const secrets = await ensureSecrets(path.join(dir, auth), p.secrets);
    // ocserv's workers run as nobody and reach sec-mod's socket under this tree.
    chmodSync(path.join(dir, auth), 0o755);
    const b = bundles(p, secrets.lookup);
    const net = p.networks[0]!;
    for (const n of ns) sh('ip', 'netns', 'add', n);
    sh('ip', 'link', 'add', `${tag}a`, 'netns', ns[0]!, 'type', 'veth', 'peer', 'name', `${tag}b`, 'netns', ns[1]!);
    for (const [i, m] of net.members.entries()) {
      const x = (...a: string[]): void => sh('ip', 'netns', 'exec', ns[i]!, ...a);
      x('ip', 'addr', 'add', `${m.underlay}/24`, 'dev', `${tag}${i === 0 ? 'a' : 'b'}`);
      x('ip', 'link', 'set', `${tag}${i === 0 ? 'a' : 'b'}`, 'up');
      x('ip', 'link', 'set', 'lo', 'up');
    }
    const [server, client] = net.members;
    const root = path.join(dir, auth, 'root');
    const logs = [path.join(dir, auth, 'ocserv.log'), path.join(dir, auth, 'openconnect.log')];
    installUnder(root, b[0]!, ['/etc/ocserv/', '/run/overlab']);
    mkdirSync(path.join(root, '/run/overlab'), { recursive: true });
    procs.push(spawn('ip', ['netns', 'exec', ns[0]!, 'ocserv', '--foreground', '--config', path.join(root, '/etc/ocserv/oloc0/ocserv.conf')], { stdio: ['ignore', openSync(logs[0]!, 'a'), openSync(logs[0]!, 'a')] }));
    // The spoke's device as up.sh makes it.
    const x = (...a: string[]): void => sh('ip', 'netns', 'exec', ns[1]!, ...a);
    x('ip', 'tuntap', 'add', 'dev', client!.ifname, 'mode', 'tun');
    x('ip', 'link', 'set', 'dev', client!.ifname, 'mtu', String(net.mtu));
    x('ip', 'addr', 'add', client!.address, 'dev', client!.ifname);
    x('ip', 'link', 'set', 'dev', client!.ifname, 'up');
    const move = installUnder(root, b[1]!, ['/etc/openconnect/']);
    const words = clientCommand(b[1]!.up).map(move);
    const stdin = auth === 'password' ? path.join(root, '/etc/openconnect/oloc0/password') : '/dev/null';
    await new Promise((r) => setTimeout(r, 500));
    procs.push(spawn('ip', ['netns', 'exec', ns[1]!, ...words], { stdio: [openSync(stdin, 'r'), openSync(logs[1]!, 'a'), openSync(logs[1]!, 'a')] }));
    const deadline = Date.now() + 15_000;
    const connected = (): boolean => existsSync(logs[1]!) && readFileSync(logs[1]!, 'utf8').includes('DTLS connected');
    while (!connected() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const clientLog = readFileSync(logs[1]!, 'utf8');
    expect(connected(), `ocserv:\n${readFileSync(logs[0]!, 'utf8')}\nopenconnect:\n${clientLog}`).toBe(true);
    expect(clientLog).toContain(`Configured as ${client!.address.split('/')[0]}`);
    const ping = (from: number, to: string, size: number) =>
      spawnSync('ip', ['netns', 'exec', ns[from]!, 'ping', '-c', '1', '-W', '2', '-M', 'do', '-s', String(size), to], { encoding: 'utf8' });
    const toServer = ping(1, server!.address.split('/')[0]!, net.mtu - 28);
    expect(toServer.status, toServer.stdout + toServer.stderr).toBe(0);
    const toClient = ping(0, client!.address.split('/')[0]!, net.mtu - 28);
    expect(toClient.status, toClient.stdout + toClient.stderr).toBe(0);
    // ocserv sized its device for this client as the plan did.
    const link = spawnSync('ip', ['netns', 'exec', ns[0]!, 'ip', '-o', 'link', 'show', `${String(net.params.device)}0`], { encoding: 'utf8' });
    expect(link.stdout).toContain(` mtu ${net.mtu} `);
  }, 40_000);
});
