import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasErrors } from './diagnostics.js';
import { plan } from './plan.js';
import { helperCalls, render, type HostBundle } from './render.js';
import { SHAPES, type Shape, type Topology } from './schema.js';
import { placeholderSecrets } from './secrets.js';
import { makeTemplate } from './templates.js';
import { defaultRegistry } from './tunnels/index.js';

const registry = defaultRegistry;
const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;
const work = mkdtempSync(path.join(tmpdir(), 'overlab-render-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sizes: Record<Shape, number> = { 'site-to-site': 2, 'multi-site': 3, 'hub-spoke': 4, mesh: 4 };

function bundlesFor(shape: Shape, kind: string, mtu: number): { topology: Topology; bundles: HostBundle[] } {
  const t = makeTemplate({ template: shape, hosts: sizes[shape], kind, underlayMtu: mtu }, registry);
  if (!t.value) throw new Error(`${kind}/${shape}: ${JSON.stringify(t.diagnostics)}`);
  const p = plan(t.value, registry);
  if (!p.value || hasErrors(p.diagnostics)) throw new Error(`${kind}/${shape}: ${JSON.stringify(p.diagnostics)}`);
  return { topology: t.value, bundles: render(p.value, registry, placeholderSecrets) };
}

describe('render: every kind, every shape it supports, MTU 1500 and 9000', () => {
  const scripts: string[] = [];
  for (const kind of registry.kinds) {
    for (const shape of SHAPES) {
      if (!kind.shapes.includes(shape)) {
        it(`${kind.id} refuses ${shape} with a reason`, () => {
          const t = makeTemplate({ template: shape, hosts: sizes[shape], kind: kind.id }, registry);
          expect(t.value).toBeUndefined();
          const d = t.diagnostics.find((x) => x.code === 'shape-unsupported');
          expect(d?.path).toBe('kind');
          expect(d?.message).toContain(kind.id);
        });
        continue;
      }
      for (const mtu of [1500, 9000]) {
        it(`${kind.id} renders a ${shape} on a ${mtu}-byte underlay`, () => {
          const { topology, bundles } = bundlesFor(shape, kind.id, mtu);
          expect(bundles.map((b) => b.host)).toEqual(topology.hosts.map((h) => h.name));
          for (const b of bundles) {
            expect(b.up.startsWith('#!/bin/sh\n')).toBe(true);
            expect(b.up).toContain('\nset -eu\n');
            expect(b.down).toMatch(/\nexit 0\n$/);
            // Secret material only in files marked secret, and those are 0600.
            for (const f of b.files) {
              if (f.content.includes('<secret:')) {
                expect(f.secret, `${f.path} holds a secret`).toBe(true);
              }
              if (f.secret) expect(f.mode).toBe(0o600);
              expect(path.posix.isAbsolute(f.path)).toBe(true);
            }
            expect(b.up).not.toContain('<secret:');
            expect(b.down).not.toContain('<secret:');
            const dir = path.join(work, `${kind.id}-${shape}-${mtu}`, b.host);
            mkdirSync(dir, { recursive: true });
            writeFileSync(path.join(dir, 'up.sh'), b.up);
            writeFileSync(path.join(dir, 'down.sh'), b.down);
            // Findings do not depend on the numbers, and hosts past the second repeat a role:
            // check MTU 1500 and the first two hosts of each shape (shellcheck is slow).
            if (mtu === 1500 && bundles.indexOf(b) < 2) scripts.push(path.join(dir, 'up.sh'), path.join(dir, 'down.sh'));
          }
        });
      }
    }
  }

  it.skipIf(!hasShellcheck)(
    'every rendered script passes shellcheck with no finding at all',
    async () => {
      expect(scripts.length).toBeGreaterThan(0);
      // Two shellcheck processes, one per core.
      const half = Math.ceil(scripts.length / 2);
      const results = await Promise.all(
        [scripts.slice(0, half), scripts.slice(half)].map(
          (chunk) =>
            new Promise<{ status: number | null; stdout: string }>((resolve) => {
              const child = spawn('shellcheck', ['-s', 'sh', '-f', 'gcc', ...chunk]);
              let stdout = '';
              child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
              child.on('close', (status) => resolve({ status, stdout }));
            }),
        ),
      );
      for (const r of results) {
        expect(r.stdout.replaceAll(work, '')).toBe('');
        expect(r.status).toBe(0);
      }
    },
    180_000,
  );
});

describe('render: determinism', () => {
  for (const kind of registry.kinds) {
    it(`${kind.id}: the same project renders to the same bytes`, () => {
      const shape = kind.shapes.includes('hub-spoke') ? 'hub-spoke' : kind.shapes[0]!;
      const a = bundlesFor(shape, kind.id, 1500).bundles;
      const b = bundlesFor(shape, kind.id, 1500).bundles;
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    });
  }
});

describe('render: scripts quote every value', () => {
  it('a project name with shell metacharacters only appears inside a comment, JSON-quoted', () => {
    const t = makeTemplate({ template: 'site-to-site', hosts: 2, kind: 'vxlan', name: 'x"; rm -rf / #$(id)`id`' }, registry);
    const p = plan(t.value!, registry);
    const [b] = render(p.value!, registry, placeholderSecrets);
    const lines = b!.up.split('\n').filter((l) => l.includes('rm -rf'));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith('#')).toBe(true);
    if (hasShellcheck) {
      const f = path.join(work, 'evil-up.sh');
      writeFileSync(f, b!.up);
      expect(() => execFileSync('shellcheck', ['-s', 'sh', f])).not.toThrow();
    }
  });
});

describe('render: finding the shell helpers a script calls', () => {
  const names = ['ol_running', 'ol_wait_link', 'ol_stop', 'ol_started', 'ol_mkdir'];
  // The test the walk replaces: a name at a word start, followed by a space or the end of a line.
  const byRegex = (text: string): string[] => names.filter((n) => new RegExp(`(^|[\\s;|&({])${n}( |$)`, 'm').test(text)).sort();
  const texts = [
    'ol_running /run/x.pid pluto',
    'if ! ol_running "$p" pluto; then',
    'x=1; ol_stop "$p" wg',
    'a && ol_mkdir /etc/x\nb || ol_wait_link ol0',
    'ol_wait_link',
    'echo ol_running',
    'ol_runningx /a',
    'xol_running /a',
    'echo "ol_running /a"',
    '$(ol_started p n)',
    '{ ol_started p n; }',
    'ol_stop\tp',
    'ol_stop\r\nol_started p',
    'ol_stopped p; ol_sto p; ol_stop',
    'cat ol_ ol_x ol_mkdir',
    'ol_ol_running p',
    '',
  ];
  it('finds what the per-helper regular expression finds', () => {
    for (const t of texts) expect([...helperCalls(t, names)].sort(), JSON.stringify(t)).toEqual(byRegex(t));
  });
  it('finds calls anywhere in a long script, and only those', () => {
    const filler = Array.from({ length: 5000 }, (_, i) => `ip link set dev ol${i} up # not ol_stopping here`).join('\n');
    const text = `${filler}\n  ol_wait_link olwg0\n${filler}\nol_running "$RUN/x.pid" x || exit 1`;
    expect([...helperCalls(text, names)].sort()).toEqual(['ol_running', 'ol_wait_link']);
    expect(byRegex(text)).toEqual(['ol_running', 'ol_wait_link']);
  });
});

describe('render: an IPv6 underlay under IPv4 LANs and tunnels', () => {
  const v6 = (kind: string, shape: Shape = 'hub-spoke'): HostBundle[] => {
    const t = makeTemplate({ template: shape, hosts: shape === 'site-to-site' ? 2 : 3, kind, underlaySubnet: 'fd00:b15::/64' }, registry);
    if (!t.value) throw new Error(JSON.stringify(t.diagnostics));
    const p = plan(t.value, registry);
    if (!p.value || hasErrors(p.diagnostics)) throw new Error(JSON.stringify(p.diagnostics));
    expect(p.value.family).toBe(6);
    return render(p.value, registry, placeholderSecrets);
  };

  it('turns on IPv4 forwarding (the family it forwards), not IPv6 forwarding (the underlay family)', () => {
    for (const kind of ['vxlan', 'wireguard', 'clean']) {
      const hub = v6(kind).find((b) => b.host === 'hub')!;
      expect(hub.up, kind).toContain('echo 1 > /proc/sys/net/ipv4/ip_forward');
      expect(hub.up, kind).not.toContain('net/ipv6/conf/all/forwarding');
      expect(hub.down, kind).toContain('"$RUN/net.ipv4.ip_forward.orig"');
    }
  });

  it('routes IPv4 LANs through an IPv6 gateway with `via inet6` where the kind adds no tunnel (clean)', () => {
    const spoke = v6('clean').find((b) => b.host === 'spoke-1')!;
    // spoke-1 reaches the hub's LAN and spoke-2's LAN via the hub's underlay address.
    expect(spoke.up).toMatch(/^(ip )?route replace 198\.18\.16\.0\/24 via inet6 fd00:b15::1 dev eth0$/m);
    expect(spoke.up).toMatch(/^(ip )?route replace 198\.18\.18\.0\/24 via inet6 fd00:b15::1 dev eth0$/m);
    expect(spoke.down).toMatch(/^(ip )?route del 198\.18\.16\.0\/24 via inet6 fd00:b15::1 dev eth0$/m);
    // A tunnel with IPv4 inner addresses keeps a plain `via`.
    const vx = v6('vxlan').find((b) => b.host === 'spoke-1')!;
    expect(vx.up).toMatch(/^(ip )?route replace 198\.18\.18\.0\/24 via 198\.19\.0\.0 dev olvx0$/m);
  });

  it('an IPv4 project renders its forwarding and routes as before', () => {
    const { bundles } = bundlesFor('hub-spoke', 'clean', 1500);
    const hub = bundles.find((b) => b.host === 'hub')!;
    expect(hub.up).toContain('echo 1 > /proc/sys/net/ipv4/ip_forward');
    expect(hub.up).toMatch(/^(ip )?route replace 198\.18\.17\.0\/24 via 198\.18\.0\.2 dev eth0$/m);
    expect(hub.up).not.toContain('inet6');
  });
});
