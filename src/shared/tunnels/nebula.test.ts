import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nebulaGenerators } from '../../engine/secrets/nebula.js';
import { hasErrors } from '../diagnostics.js';
import { plan, type Plan } from '../plan.js';
import { render, type HostBundle } from '../render.js';
import type { Shape, Topology } from '../schema.js';
import type { SecretSpec } from '../secrets.js';
import { makeTemplate } from '../templates.js';
import { validateTopology } from '../validate.js';
import { defaultRegistry } from './index.js';
import { nebula } from './nebula.js';
import type { NetworkDraft } from './types.js';

const registry = defaultRegistry;
const work = mkdtempSync(path.join(tmpdir(), 'overlab-nebula-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const has = (bin: string, ...args: string[]): boolean => spawnSync(bin, args).status === 0;
const hasShellcheck = has('shellcheck', '--version');
const hasNebula = has('nebula', '-version') && has('nebula-cert', '-version');

function topology(shape: Shape, hosts: number, options: Record<string, unknown> = {}, mtu = 1500): Topology {
  const t = makeTemplate({ template: shape, hosts, kind: 'nebula', underlayMtu: mtu }, registry);
  if (!t.value) throw new Error(JSON.stringify(t.diagnostics));
  return { ...t.value, links: t.value.links.map((l) => ({ ...l, options })) };
}

function planned(t: Topology): Plan {
  const p = plan(t, registry);
  if (!p.value || hasErrors(p.diagnostics)) throw new Error(JSON.stringify(p.diagnostics));
  return p.value;
}

/** Real certificates, made by the generators the main process uses, in the plan's order (CA first). */
function secretsFor(specs: readonly SecretSpec[]): (ref: string, part?: string) => string {
  const store = new Map<string, Record<string, string>>();
  const lookup = (ref: string, part = 'value'): string => {
    const v = store.get(ref)?.[part];
    if (v === undefined) throw new Error(`no ${ref}:${part}`);
    return v;
  };
  for (const s of specs) store.set(s.ref, nebulaGenerators[s.kind.type as 'nebula-ca' | 'nebula-cert'](s.kind, lookup));
  return lookup;
}

function bundles(p: Plan): HostBundle[] {
  return render(p, registry, secretsFor(p.secrets));
}

const file = (b: HostBundle, suffix: string): string => b.files.find((f) => f.path.endsWith(suffix))!.content;
/** The lines of a YAML section (two-space indented block under `name:`). */
const section = (yaml: string, name: string): string[] => {
  const lines = yaml.split('\n');
  const start = lines.indexOf(`${name}:`);
  if (start < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.startsWith(' ')) break;
    out.push(l);
  }
  return out;
};

describe('nebula: overhead', () => {
  it('plans the MTUs proven with DF pings: 1440 on 1500 and 8940 on 9000 (IPv4), 20 bytes less on IPv6', () => {
    for (const [mtu, inner] of [
      [1500, 1440],
      [9000, 8940],
    ] as const) {
      const p = planned(topology('site-to-site', 2, {}, mtu));
      expect(p.links[0]).toMatchObject({ mtu: inner, mss: inner - 40, overheadBytes: 60 });
      for (const b of bundles(p)) expect(section(file(b, '/config.yml'), 'tun')).toContain(`  mtu: ${inner}`);
    }
    const t = topology('site-to-site', 2);
    const v6 = planned({ ...t, underlay: { ...t.underlay, subnet: '2001:db8::/64' } });
    expect(v6.links[0]!.mtu).toBe(1420);
    const config = file(bundles(v6)[1]!, '/config.yml');
    expect(config).toContain(`"${v6.links[0]!.addresses.a.split('/')[0]}": ["[${v6.hosts[0]!.underlay.address}]:4242"]`);
    expect(config).toContain(`"${v6.hosts[1]!.underlay.address}/128": true`);
    expect(config).toContain('host: "[::]"');
  });

  it('the cipher does not change the overhead: both AEADs add a 16-byte tag and no padding', () => {
    expect(nebula.overhead(nebula.options.parse({ cipher: 'chachapoly' }), 4, 1500)).toBe(nebula.overhead(nebula.options.parse({}), 4, 1500));
  });
});

describe('nebula: lighthouse and peers', () => {
  const cases: [Shape, number, string][] = [
    ['site-to-site', 2, 'site-a'],
    ['multi-site', 4, 'main'],
    ['hub-spoke', 4, 'hub'],
    ['mesh', 4, 'node-1'],
  ];
  for (const [shape, n, lighthouse] of cases) {
    it(`${shape}: ${lighthouse} is the lighthouse; every other host finds it at its planned underlay address`, () => {
      const p = planned(topology(shape, n, { port: 4343, cipher: 'chachapoly' }));
      const net = p.networks[0]!;
      const lh = net.members.find((m) => m.host === lighthouse)!;
      const all = bundles(p);
      const ca = file(all[0]!, '/ca.crt');
      for (const b of all) {
        const config = file(b, '/config.yml');
        const me = net.members.find((m) => m.host === b.host)!;
        expect(file(b, '/ca.crt')).toBe(ca);
        expect(config).toContain('\ncipher: chachapoly\n');
        expect(section(config, 'listen')).toEqual(['  host: "0.0.0.0"', '  port: 4343']);
        expect(section(config, 'tun')).toContain(`  dev: ${me.ifname}`);
        expect(section(config, 'lighthouse')).toContain(`    "${me.underlay}/32": true`);
        if (b.host === lighthouse) {
          expect(section(config, 'lighthouse')).toEqual(expect.arrayContaining(['  am_lighthouse: true', '  hosts: []']));
          expect(config).toContain('\nstatic_host_map: {}\n');
        } else {
          expect(section(config, 'lighthouse')).toEqual(expect.arrayContaining(['  am_lighthouse: false', '  hosts:', `    - "${lh.address.split('/')[0]}"`]));
          expect(section(config, 'static_host_map')).toEqual([`  "${lh.address.split('/')[0]}": ["${lh.underlay}:4343"]`]);
        }
        const key = b.files.find((f) => f.path.endsWith('/host.key'))!;
        expect(key).toMatchObject({ mode: 0o600, secret: true });
      }
    });
  }

  it('routes every LAN straight to the member that owns it, whose certificate lists it', () => {
    const p = planned(topology('hub-spoke', 4));
    const net = p.networks[0]!;
    const spoke = bundles(p).find((b) => b.host === 'spoke-1')!;
    const routes = section(file(spoke, '/config.yml'), 'tun').join('\n');
    for (const h of p.hosts.filter((x) => x.name !== 'spoke-1')) {
      const owner = net.members.find((m) => m.host === h.name)!;
      expect(routes).toContain(`    - route: ${h.lan}\n      via: ${owner.address.split('/')[0]}`);
    }
    // Given members that carry their LAN, the certificate requests list it as a subnet.
    const draft: NetworkDraft<ReturnType<typeof nebula.options.parse>> = {
      id: 'n0',
      ordinal: 0,
      options: nebula.options.parse({}),
      family: 4,
      members: net.members.map((m) => ({ ...m, lan: p.hosts.find((h) => h.name === m.host)!.lan })),
      edges: net.edges,
      subnet: net.subnet,
      mtu: net.mtu,
      mss: net.mss,
    };
    const certs = nebula.plan(draft).secrets.filter((s) => s.kind.type === 'nebula-cert');
    expect(certs.map((s) => (s.kind.type === 'nebula-cert' ? [s.kind.name, s.kind.ip, s.kind.subnets] : []))).toEqual(
      net.members.map((m) => [m.host, m.address, [p.hosts.find((h) => h.name === m.host)!.lan]]),
    );
  });
});

describe('nebula: daemon, options and scripts', () => {
  it('up.sh starts nebula once with its pid file and log; down.sh stops exactly it', () => {
    const [a] = bundles(planned(topology('site-to-site', 2)));
    expect(a!.up).toContain(
      'ol_running /run/overlab/nebula-overlab-n0.pid nebula || { nebula -config /etc/nebula/overlab-n0/config.yml >> /run/overlab/nebula-overlab-n0.log 2>&1 & echo $! > /run/overlab/nebula-overlab-n0.pid; }',
    );
    expect(a!.down).toContain('ol_stop /run/overlab/nebula-overlab-n0.pid nebula');
    expect(a!.down).toContain('rm -f /run/overlab/nebula-overlab-n0.log');
  });

  it('refuses unknown ciphers and bad ports at the option', () => {
    const bad = (options: Record<string, unknown>): string[] =>
      validateTopology(topology('site-to-site', 2, options), registry).diagnostics.filter((d) => d.severity === 'error').map((d) => d.path);
    expect(bad({ cipher: 'aes-128-gcm' })).toEqual(['links[0].options.cipher']);
    expect(bad({ port: 0 })).toEqual(['links[0].options.port']);
    expect(bad({ lighthouse: 'hub' })).toEqual(['links[0].options.lighthouse']);
  });

  it.skipIf(!hasShellcheck)('rendered scripts pass shellcheck -s sh with no finding', () => {
    for (const b of bundles(planned(topology('hub-spoke', 3)))) {
      for (const [which, text] of [['up', b.up], ['down', b.down]] as const) {
        const f = path.join(work, `${b.host}-${which}.sh`);
        writeFileSync(f, text);
        const r = spawnSync('shellcheck', ['-s', 'sh', f], { encoding: 'utf8' });
        expect(r.stdout, f).toBe('');
        expect(r.status).toBe(0);
      }
    }
  });

  it.skipIf(!hasNebula)('nebula -test accepts every rendered configuration, and nebula-cert verifies every certificate against the CA', () => {
    for (const shape of ['hub-spoke', 'mesh'] as const) {
      const p = planned(topology(shape, 4));
      for (const b of bundles(p)) {
        const root = path.join(work, shape, b.host);
        for (const f of b.files) {
          const target = path.join(root, f.path);
          mkdirSync(path.dirname(target), { recursive: true });
          // The configuration names its files by absolute path: point it at the copies.
          writeFileSync(target, f.path.endsWith('.yml') ? f.content.replaceAll(' /etc/nebula/', ` ${root}/etc/nebula/`) : f.content, { mode: f.mode });
        }
        const dir = path.join(root, 'etc/nebula/overlab-n0');
        const test = spawnSync('nebula', ['-test', '-config', path.join(dir, 'config.yml')], { encoding: 'utf8' });
        expect(test.status, `${b.host}: ${test.stderr}${test.stdout}`).toBe(0);
        const verify = spawnSync('nebula-cert', ['verify', '-ca', path.join(dir, 'ca.crt'), '-crt', path.join(dir, 'host.crt')], { encoding: 'utf8' });
        expect(verify.status, verify.stdout + verify.stderr).toBe(0);
        const printed = JSON.parse(spawnSync('nebula-cert', ['print', '-json', '-path', path.join(dir, 'host.crt')], { encoding: 'utf8' }).stdout) as { details: { name: string; ips: string[] } };
        const me = p.networks[0]!.members.find((m) => m.host === b.host)!;
        expect(printed.details).toMatchObject({ name: b.host, ips: [me.address] });
      }
    }
  });
});
