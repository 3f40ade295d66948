import { spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasErrors } from '../diagnostics.js';
import { plan, type Plan } from '../plan.js';
import { render, type HostBundle } from '../render.js';
import type { Shape, Topology } from '../schema.js';
import { makeTemplate } from '../templates.js';
import { validateTopology } from '../validate.js';
import { defaultRegistry } from './index.js';
import { lanOwners, tinc, TINC_MAX_INNER, tincInnerMtu } from './tinc.js';

const registry = defaultRegistry;
const work = mkdtempSync(path.join(tmpdir(), 'overlab-tinc-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const has = (bin: string, ...args: string[]): boolean => spawnSync(bin, args).status === 0;
const hasShellcheck = has('shellcheck', '--version');

// Real RSA keys, one pair per reference, so that tincd can load what is rendered.
const keys = new Map<string, { private: string; public: string }>();
const secret = (ref: string, part = 'value'): string => {
  let k = keys.get(ref);
  if (!k) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    k = { private: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), public: publicKey.export({ type: 'pkcs1', format: 'pem' }).toString() };
    keys.set(ref, k);
  }
  return k[part as 'private' | 'public'];
};

function topology(shape: Shape, hosts: number, options: Record<string, unknown> = {}, mtu = 1500): Topology {
  const t = makeTemplate({ template: shape, hosts, kind: 'tinc', underlayMtu: mtu }, registry);
  if (!t.value) throw new Error(JSON.stringify(t.diagnostics));
  return { ...t.value, links: t.value.links.map((l) => ({ ...l, options })) };
}

function planned(t: Topology): Plan {
  const p = plan(t, registry);
  if (!p.value || hasErrors(p.diagnostics)) throw new Error(JSON.stringify(p.diagnostics));
  return p.value;
}

/** `Key = Value` lines of a tinc file, in order. */
const entries = (text: string): [string, string][] =>
  text
    .split('\n')
    .filter((l) => /^[A-Za-z]+ = /.test(l))
    .map((l) => l.split(' = ', 2) as [string, string]);
const values = (text: string, key: string): string[] => entries(text).filter(([k]) => k === key).map(([, v]) => v);
const pem = (text: string): string => text.slice(text.indexOf('-----BEGIN'));
const file = (b: HostBundle, suffix: string): string | undefined => b.files.find((f) => f.path.endsWith(suffix))?.content;

/** Outer packet of tinc 1.0's legacy UDP protocol for an inner packet of `inner` bytes, worked out byte by byte. */
function outerSize(inner: number, family: 4 | 6, mac: number): number {
  const plaintext = 4 /* seqno */ + 14 /* Ethernet header */ + inner;
  const ciphertext = (Math.floor(plaintext / 16) + 1) * 16; // PKCS#7 always adds 1..16 bytes
  return (family === 4 ? 20 : 40) + 8 + ciphertext + mac;
}

describe('tinc: overhead', () => {
  it('the inner MTU is the largest packet whose encrypted, padded, authenticated datagram fits the underlay', () => {
    for (const family of [4, 6] as const) {
      for (const mac of [0, 4, 16, 32]) {
        for (let mtu = 576; mtu <= 1600; mtu++) {
          let best = 0;
          for (let inner = 1; inner <= mtu; inner++) if (outerSize(inner, family, mac) <= mtu) best = inner;
          expect(tincInnerMtu({ macLength: mac }, family, mtu), `IPv${family}, MAC ${mac}, MTU ${mtu}`).toBe(Math.min(best, TINC_MAX_INNER));
        }
      }
    }
  });

  it('plans the figures proven with DF pings: 1437 on 1500, and tinc 1.0’s 1504-byte cap on 9000', () => {
    const cases = [
      { mtu: 1500, inner: 1437 },
      { mtu: 9000, inner: 1504 },
    ];
    for (const c of cases) {
      const p = planned(topology('site-to-site', 2, {}, c.mtu));
      expect(p.links[0]!.mtu).toBe(c.inner);
      expect(p.links[0]!.mss).toBe(c.inner - 40);
      expect(p.links[0]!.overheadBytes).toBe(c.mtu - c.inner);
    }
  });

  it('an IPv6 underlay costs 20 bytes more, minus what the padding absorbs', () => {
    const t = topology('site-to-site', 2);
    const p = planned({ ...t, underlay: { ...t.underlay, subnet: '2001:db8::/64' } });
    expect(p.family).toBe(6);
    expect(p.links[0]!.mtu).toBe(1421);
    expect(tinc.overhead(tinc.options.parse({}), 6, 9000)).toBe(9000 - 1504);
    const bundles = render(p, registry, secret);
    expect(file(bundles[0]!, '/tinc.conf')).toContain('AddressFamily = ipv6');
    expect(values(file(bundles[0]!, '/hosts/site_b')!, 'Address')).toEqual([p.hosts[1]!.underlay.address]);
  });

  it('a longer MAC shrinks the MTU by whole cipher blocks only when it crosses one', () => {
    const at = (macLength: number): number => planned(topology('site-to-site', 2, { macLength, digest: 'sha512' })).links[0]!.mtu;
    expect(at(4)).toBe(1437);
    expect(at(16)).toBe(1437);
    expect(at(17)).toBe(1421);
    expect(at(20)).toBe(1421);
    expect(at(64)).toBe(1389);
  });
});

describe('tinc: the ends of every link agree', () => {
  for (const shape of ['site-to-site', 'multi-site', 'hub-spoke', 'mesh'] as const) {
    it(`${shape}: host files, ConnectTo, keys, ports and subnets`, () => {
      const p = planned(topology(shape, shape === 'site-to-site' ? 2 : 4, { port: 6655 }));
      const net = p.networks[0]!;
      const bundles = render(p, registry, secret);
      const byHost = new Map(bundles.map((b) => [b.host, b]));
      const name = (host: string): string => host.replace(/-/g, '_');
      const netname = String(net.params.netname);
      for (const l of p.links) {
        const a = byHost.get(l.a)!;
        const b = byHost.get(l.b)!;
        // Exactly one end dials the other.
        const aDials = values(file(a, '/tinc.conf')!, 'ConnectTo').includes(name(l.b));
        const bDials = values(file(b, '/tinc.conf')!, 'ConnectTo').includes(name(l.a));
        expect(aDials !== bDials, `${l.id}: one ConnectTo`).toBe(true);
        // Both ends hold the same host file of each end.
        for (const end of [l.a, l.b]) {
          const fa = file(a, `/etc/tinc/${netname}/hosts/${name(end)}`);
          const fb = file(b, `/etc/tinc/${netname}/hosts/${name(end)}`);
          expect(fa, `${l.a} holds hosts/${name(end)}`).toBeDefined();
          expect(fb).toBe(fa);
        }
      }
      for (const [i, m] of net.members.entries()) {
        const own = byHost.get(m.host)!;
        const conf = file(own, '/tinc.conf')!;
        expect(values(conf, 'Name')).toEqual([name(m.host)]);
        expect(values(conf, 'Interface')).toEqual([m.ifname]);
        for (const target of values(conf, 'ConnectTo')) expect(file(own, `/hosts/${target}`), `${m.host} dials ${target}`).toBeDefined();
        const hostFile = file(own, `/hosts/${name(m.host)}`)!;
        expect(values(hostFile, 'Address')).toEqual([m.underlay]);
        expect(values(hostFile, 'Port')).toEqual(['6655']);
        expect(values(hostFile, 'Subnet')[0]).toBe(`${m.address.split('/')[0]}/32`);
        expect(values(hostFile, 'Cipher')).toEqual(['aes-256-cbc']);
        // The public key every peer holds is the one of this host's private key.
        const priv = own.files.find((f) => f.path === `/etc/tinc/${netname}/rsa_key.priv`)!;
        expect(priv.secret).toBe(true);
        expect(priv.mode).toBe(0o600);
        const derived = createPublicKey(priv.content).export({ type: 'pkcs1', format: 'pem' }).toString().trim();
        expect(pem(hostFile).trim()).toBe(derived);
        // Every LAN of the project is announced by exactly the host it belongs to.
        const lan = p.hosts.find((h) => h.name === m.host)!.lan!;
        const announced = bundles.filter((b) => values(file(b, `/hosts/${name(m.host)}`) ?? '', 'Subnet').includes(lan));
        expect(announced.length, `${lan} announced`).toBeGreaterThan(0);
        for (const other of net.members) if (other.host !== m.host) expect(values(file(byHost.get(other.host)!, `/hosts/${name(other.host)}`)!, 'Subnet')).not.toContain(lan);
        expect(i).toBe(net.members.indexOf(m));
      }
    });
  }

  it('hub-spoke: spokes are reached through the hub (IndirectData), the hub directly; a full mesh has no detour', () => {
    const hs = render(planned(topology('hub-spoke', 4)), registry, secret);
    const hub = hs.find((b) => b.host === 'hub')!;
    expect(values(file(hub, '/hosts/hub')!, 'IndirectData')).toEqual([]);
    for (const s of ['spoke_1', 'spoke_2', 'spoke_3']) expect(values(file(hub, `/hosts/${s}`)!, 'IndirectData')).toEqual(['yes']);
    // Spokes dial the hub and hold only the hub's host file besides their own.
    const spoke = hs.find((b) => b.host === 'spoke-2')!;
    expect(values(file(spoke, '/tinc.conf')!, 'ConnectTo')).toEqual(['hub']);
    expect(spoke.files.filter((f) => f.path.includes('/hosts/')).map((f) => path.basename(f.path)).sort()).toEqual(['hub', 'spoke_2']);
    const mesh = render(planned(topology('mesh', 4)), registry, secret);
    for (const b of mesh) for (const f of b.files) expect(f.content).not.toContain('IndirectData');
  });

  it('a LAN reached through a chain of next hops belongs to the last member of the chain', () => {
    const members = ['a', 'b', 'c'].map((host) => ({ host, ifname: 'x', address: '198.19.0.1/29', underlay: '198.18.0.1', underlayDev: 'eth0', role: 'peer' as const }));
    const routes = [
      { host: 'a', dst: '198.18.30.0/24', viaHost: 'b', via: '198.19.0.2' },
      { host: 'b', dst: '198.18.30.0/24', viaHost: 'c', via: '198.19.0.3' },
      { host: 'c', dst: '198.18.31.0/24', viaHost: 'a', via: '198.19.0.1' },
    ];
    expect(lanOwners({ members, routes })).toEqual([['198.18.31.0/24'], [], ['198.18.30.0/24']]);
  });
});

describe('tinc: daemon, options and scripts', () => {
  it('up.sh starts tincd once, in the foreground with its pid file; down.sh stops exactly it and removes its log', () => {
    const [a] = render(planned(topology('site-to-site', 2)), registry, secret);
    expect(a!.up).toMatch(/ol_running \/run\/overlab\/tinc-overlab-n0\.pid tincd \|\| \{ tincd -n overlab-n0 -D --pidfile=\/run\/overlab\/tinc-overlab-n0\.pid /);
    expect(a!.up.indexOf('ol_wait_link oltinc0')).toBeLessThan(a!.up.indexOf('link set dev oltinc0 mtu 1437'));
    expect(a!.down).toContain('ol_stop /run/overlab/tinc-overlab-n0.pid tincd');
    expect(a!.down).toContain('rm -f /run/overlab/tinc-overlab-n0.log');
  });

  it('refuses a MAC longer than the digest, and ciphers tinc cannot use safely, at the option', () => {
    const bad = (options: Record<string, unknown>): string[] =>
      validateTopology(topology('site-to-site', 2, options), registry).diagnostics.filter((d) => d.severity === 'error').map((d) => d.path);
    expect(bad({ macLength: 33 })).toEqual(['links[0].options.macLength']);
    expect(bad({ macLength: 33, digest: 'sha512' })).toEqual([]);
    expect(bad({ cipher: 'bf-cbc' })).toEqual(['links[0].options.cipher']);
    expect(bad({ cipher: 'aes-256-ctr' })).toEqual(['links[0].options.cipher']);
    expect(bad({ rsaBits: 1024 })).toEqual(['links[0].options.rsaBits']);
  });

  it.skipIf(!hasShellcheck)('rendered scripts pass shellcheck -s sh with no finding', () => {
    for (const shape of ['site-to-site', 'hub-spoke'] as const) {
      for (const b of render(planned(topology(shape, shape === 'hub-spoke' ? 4 : 2)), registry, secret)) {
        for (const [which, text] of [['up', b.up], ['down', b.down]] as const) {
          const f = path.join(work, `${shape}-${b.host}-${which}.sh`);
          writeFileSync(f, text);
          const r = spawnSync('shellcheck', ['-s', 'sh', f], { encoding: 'utf8' });
          expect(r.stdout, f).toBe('');
          expect(r.status).toBe(0);
        }
      }
    }
  });

  // tincd 1.0 has no dry-run: start each host's daemon on its rendered files in a scratch mount
  // and network namespace for a moment, and read its log.
  const canRun = process.getuid?.() === 0 && has('tincd', '--version') && has('unshare', '--version') && spawnSync('test', ['-d', '/etc/tinc']).status === 0;
  it.skipIf(!canRun)('tincd loads every rendered configuration (keys, ciphers, host files) and gets ready', () => {
    const p = planned(topology('hub-spoke', 3));
    for (const b of render(p, registry, secret)) {
      const root = path.join(work, `etc-${b.host}`);
      for (const f of b.files.filter((x) => x.path.startsWith('/etc/tinc/'))) {
        const target = path.join(root, f.path.slice('/etc/tinc/'.length));
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(target, f.content, { mode: f.mode });
      }
      const netname = String(p.networks[0]!.params.netname);
      const log = path.join(work, `${b.host}.log`);
      const script = `mount --bind "$1" /etc/tinc && exec timeout 1.5 tincd -n "$2" -D --pidfile="$3.pid" --logfile="$3"`;
      const r = spawnSync('unshare', ['--mount', '--net', '--propagation', 'private', 'sh', '-c', script, 'sh', root, netname, log], { encoding: 'utf8' });
      const text = spawnSync('cat', [log], { encoding: 'utf8' }).stdout;
      expect(r.status, `${b.host}: ${text}`).toBe(124); // still running when the timeout stopped it
      expect(text).toContain('Ready');
      expect(text).not.toMatch(/Unrecognized|failed|[Ee]rror/);
    }
  });
});
