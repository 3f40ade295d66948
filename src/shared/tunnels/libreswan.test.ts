import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostBundle } from '../render.js';
import { makeTemplate } from '../templates.js';
import { validateTopology } from '../validate.js';
import { ipHeader } from './common.js';
import { defaultRegistry } from './index.js';
import { ESP, espInnerMtu, type EspName } from './libreswan.js';
import { build, fakeSecrets, fileOf, parseConns } from './ipsec-testkit.js';
import { requireKind, type TunnelKind } from './types.js';

const registry = defaultRegistry;
const IPSEC_KINDS = ['ipsec-tunnel', 'ipsec-transport', 'ipsec-vti', 'ipsec-xfrmi', 'gre-ipsec', 'gretap-ipsec', 'vxlan-ipsec', 'geneve-ipsec', 'ipip-ipsec'];
/** The overlay each `<overlay>-ipsec` kind carries, and what the overlay alone costs. */
const OVERLAY: Record<string, string> = { 'gre-ipsec': 'gre', 'gretap-ipsec': 'gretap', 'vxlan-ipsec': 'vxlan', 'geneve-ipsec': 'geneve', 'ipip-ipsec': 'ipip' };
const MODE: Record<string, 'tunnel' | 'transport'> = { 'ipsec-tunnel': 'tunnel', 'ipsec-vti': 'tunnel', 'ipsec-xfrmi': 'tunnel' };
const modeOf = (kind: string): 'tunnel' | 'transport' => MODE[kind] ?? 'transport';
const kindOf = (id: string): TunnelKind => requireKind(registry, id);

const has = (bin: string, ...args: string[]): boolean => spawnSync(bin, args).status === 0;
const hasShellcheck = has('shellcheck', '--version');
const hasIpsec = has('ipsec', '--version');
const isRoot = process.getuid?.() === 0;
const work = mkdtempSync(path.join(tmpdir(), 'overlab-libreswan-'));
/** This kernel makes XFRM interfaces (pluto checks when it adds an ipsec-interface= connection). */
const canXfrmi = isRoot && spawnSync('unshare', ['-n', 'ip', 'link', 'add', 'x', 'type', 'xfrm', 'if_id', '1']).status === 0;

/**
 * Starts a pluto with the bundle's own pluto config and secrets in a new network namespace,
 * adds the named connections of `conf` to it, and returns its log.
 */
function plutoAdd(b: HostBundle, conf: string, names: readonly string[]): string {
  const dir = mkdtempSync(path.join(work, 'pluto-'));
  const put = (name: string, content: string): string => {
    writeFileSync(path.join(dir, name), content, { mode: 0o600 });
    return path.join(dir, name);
  };
  put('ipsec.conf', fileOf(b, '/etc/overlab/ipsec/ipsec.conf')!);
  put('conn.conf', fileOf(b, conf)!);
  put('conn.secrets', fileOf(b, conf.replace(/\.conf$/, '.secrets'))!);
  // The bundle's include names /etc/ipsec.d; here the secrets sit beside the config.
  put('ipsec.secrets', fileOf(b, '/etc/overlab/ipsec/ipsec.secrets')!.replace('/etc/ipsec.d/overlab-*.secrets', path.join(dir, 'conn.secrets')));
  mkdirSync(path.join(dir, 'nss'));
  mkdirSync(path.join(dir, 'run'));
  const script = [
    'set -e',
    'ip link set lo up',
    'ipsec initnss --nssdir "$0/nss" >/dev/null',
    'ipsec pluto --nofork --config "$0/ipsec.conf" --rundir "$0/run" --nssdir "$0/nss" --secretsfile "$0/ipsec.secrets" --logfile "$0/pluto.log" </dev/null >/dev/null 2>&1 & p=$!',
    'i=0; while [ ! -S "$0/run/pluto.ctl" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done',
    'ipsec addconn --ctlsocket "$0/run/pluto.ctl" --config "$0/conn.conf" "$@" || true',
    'kill "$p"; wait "$p" || true',
  ].join('\n');
  spawnSync('unshare', ['-n', 'sh', '-c', script, dir, ...names], { encoding: 'utf8', timeout: 20_000 });
  return readFileSync(path.join(dir, 'pluto.log'), 'utf8');
}
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Sizes as the wire has them: the smallest ESP packet that carries `inner` bytes. */
function espPacket(esp: EspName, mode: 'tunnel' | 'transport', family: 4 | 6, inner: number): number {
  const c = ESP[esp];
  const ip = ipHeader(family);
  const payload = mode === 'tunnel' ? inner : inner - ip;
  const padded = Math.ceil((payload + 2) / c.block) * c.block;
  return ip + 8 + c.iv + padded + c.icv;
}

describe('ESP overhead', () => {
  it('the inner MTU is the largest packet whose ESP packet fits, for every cipher, mode, family and MTU', () => {
    for (const esp of Object.keys(ESP) as EspName[]) {
      for (const mode of ['tunnel', 'transport'] as const) {
        for (const family of [4, 6] as const) {
          for (let mtu = 576; mtu <= 9216; mtu += 7) {
            const inner = espInnerMtu(esp, mode, family, mtu);
            expect(espPacket(esp, mode, family, inner), `${esp} ${mode} v${family} ${mtu}`).toBeLessThanOrEqual(mtu);
            expect(espPacket(esp, mode, family, inner + 1), `${esp} ${mode} v${family} ${mtu}`).toBeGreaterThan(mtu);
          }
        }
      }
    }
  });

  it('padding makes the overhead depend on the MTU, not only on the headers', () => {
    // CBC pads to 16 bytes: over 32 consecutive MTUs the inner MTU takes two values, 16 apart.
    const inner = Array.from({ length: 32 }, (_, i) => espInnerMtu('aes256-sha2_256', 'tunnel', 4, 1500 + i));
    expect([...new Set(inner)]).toEqual([1438, 1454]);
  });

  it.skipIf(!hasIpsec)("the table's transforms are the ones Libreswan negotiates for each esp= name, IKEv2 and IKEv1", () => {
    for (const [name, c] of Object.entries(ESP)) {
      for (const v of ['-v2', '-v1']) {
        const r = spawnSync('ipsec', ['algparse', v, `esp=${name}`], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        const got = r.stdout.split('\n')[1]!.trim();
        // GCM has no separate integrity algorithm: Libreswan prints it as -NONE.
        expect(got.replace(/-NONE$/, '')).toBe(c.label);
        // The ICV size the overhead uses is the one the name says: GCM_16 → 16, HMAC_…_96 → 12, …_128 → 16.
        const icv = /GCM_(\d+)/.exec(c.label)?.[1] ?? String(Number(/_(\d+)$/.exec(c.label)![1]) / 8);
        expect(Number(icv)).toBe(c.icv);
      }
    }
  });
});

describe('every IPsec kind', () => {
  for (const id of IPSEC_KINDS) {
    const kind = kindOf(id);
    describe(id, () => {
      it('plans MTU and MSS from the ESP overhead (and the overlay inside it), for MTU 1500 and 9000 and both underlay families', () => {
        for (const mtu of [1500, 9000]) {
          for (const v6 of [false, true]) {
            const family = v6 ? 6 : 4;
            const { plan: p } = build(id, { mtu, v6 });
            let expected = espInnerMtu('aes_gcm256', modeOf(id), family, mtu);
            const overlay = OVERLAY[id];
            if (overlay) expected -= kindOf(overlay).overhead(kindOf(overlay).options.parse({}), family, expected);
            const link = p.links[0]!;
            expect(link.mtu, `${mtu} v${family}`).toBe(expected);
            expect(link.overheadBytes).toBe(mtu - expected);
            // Transport mode measures between the underlay addresses: their family sets the MSS.
            const innerFamily = id === 'ipsec-transport' ? family : 4;
            expect(link.mss).toBe(expected - (innerFamily === 4 ? 40 : 60));
          }
        }
      });

      it('follows the cipher: a CBC cipher costs more than GCM', () => {
        const gcm = build(id).plan.links[0]!;
        const cbc = build(id, { options: { esp: 'aes256-sha2_256' } }).plan.links[0]!;
        expect(cbc.overheadBytes).toBeGreaterThan(gcm.overheadBytes);
        expect(cbc.mtu).toBe(gcm.mtu - (espInnerMtu('aes_gcm256', modeOf(id), 4, 1500) - espInnerMtu('aes256-sha2_256', modeOf(id), 4, 1500)));
      });

      for (const shape of ['site-to-site', 'hub-spoke'] as const) {
        it(`both ends of every ${shape} link agree: mirrored conns, one initiator, the same PSK and IDs`, () => {
          const { plan: p, bundles } = build(id, { shape });
          for (const net of p.networks) {
            const [a, b] = net.members.map((m) => bundles.find((x) => x.host === m.host)!);
            const conf = `/etc/ipsec.d/overlab-${net.id}.conf`;
            const ca = parseConns(fileOf(a!, conf)!);
            const cb = parseConns(fileOf(b!, conf)!);
            expect([...ca.keys()].sort()).toEqual([...cb.keys()].sort());
            expect(ca.size).toBeGreaterThan(0);
            for (const [name, x] of ca) {
              const y = cb.get(name)!;
              expect(x.left).toBe(net.members[0]!.underlay);
              expect(y.left).toBe(net.members[1]!.underlay);
              for (const k of ['left', 'leftid', 'leftsubnet', 'leftprotoport']) expect(y[k.replace('left', 'right')], `${name} ${k}`).toBe(x[k]);
              for (const k of ['type', 'ikev2', 'esp', 'authby', 'mark', 'ipsec-interface', 'negotiationshunt', 'keyingtries']) expect(y[k], `${name} ${k}`).toBe(x[k]);
              // Held traffic leaves larval states; tunnel mode's device drops unprotected packets anyway.
              expect(x.negotiationshunt).toBe(modeOf(id) === 'tunnel' ? 'passthrough' : undefined);
              // One initiator: the other end only answers, so the two never cross with two IKE SAs.
              expect([x.auto, y.auto].sort()).toEqual(['add', 'start']);
            }
            // The PSK lines name the same two IDs, and carry the network's own secret.
            const sa = fileOf(a!, `/etc/ipsec.d/overlab-${net.id}.secrets`)!;
            const sb = fileOf(b!, `/etc/ipsec.d/overlab-${net.id}.secrets`)!;
            const psk = (s: string): string[] => /^(\S+) (\S+) : PSK "(.*)"$/m.exec(s)!.slice(1);
            const [a1, a2, ka] = psk(sa);
            const [b1, b2, kb] = psk(sb);
            expect([b2, b1]).toEqual([a1, a2]);
            expect(ka).toBe(kb);
            expect(ka).toBe(fakeSecrets(`ipsec/${net.id}/psk`));
            const first = ca.values().next().value!;
            expect([a1, a2]).toEqual([first.leftid, first.rightid]);
          }
        });
      }

      it('keeps the PSK in 0600 files marked secret, never in the scripts or the plan', () => {
        const { plan: p, bundles } = build(id);
        expect(JSON.stringify(p)).not.toContain('S3CR3T');
        expect(p.secrets).toEqual([{ ref: `ipsec/${p.networks[0]!.id}/psk`, kind: { type: 'random', bytes: 32, encoding: 'base64' } }]);
        for (const b of bundles) {
          expect(b.up + b.down).not.toContain('S3CR3T');
          for (const f of b.files) if (f.content.includes('S3CR3T')) expect([f.secret, f.mode]).toEqual([true, 0o600]);
          expect(b.files.find((f) => f.path === '/etc/overlab/ipsec/ipsec.secrets')?.mode).toBe(0o600);
        }
      });

      it('gives each network its own connection names and IKE IDs, and every host one identical pluto config', () => {
        const { plan: p, bundles } = build(id, { shape: 'hub-spoke' });
        const hub = bundles.find((b) => b.host === p.hosts[0]!.name)!;
        const names = p.networks.flatMap((n) => [...parseConns(fileOf(hub, `/etc/ipsec.d/overlab-${n.id}.conf`)!).keys()]);
        expect(new Set(names).size).toBe(names.length);
        const ids = p.networks.flatMap((n) => n.params.ipsecIds);
        expect(new Set(ids).size).toBe(ids.length);
        const plutoConfs = hub.files.filter((f) => f.path === '/etc/overlab/ipsec/ipsec.conf');
        expect(plutoConfs).toHaveLength(p.networks.length);
        expect(new Set(plutoConfs.map((f) => f.content)).size).toBe(1);
        // One pluto: every network starts it under the same guard, with the same pid file.
        expect(hub.up.match(/^if ! ol_running \/run\/overlab\/pluto\.pid pluto; then$/gm)).toHaveLength(p.networks.length);
        expect(hub.down).toContain('ol_stop /run/overlab/pluto.pid pluto');
      });

      it('renders byte-identical bundles for the same project', () => {
        expect(build(id, { shape: 'mesh' }).bundles).toEqual(build(id, { shape: 'mesh' }).bundles);
      });

      it('selects IKEv1 with ike: ikev1', () => {
        const { bundles } = build(id, { options: { ike: 'ikev1' } });
        for (const c of parseConns(bundles[0]!.files.find((f) => f.path.startsWith('/etc/ipsec.d/'))!.content).values()) expect(c.ikev2).toBe('no');
        // Debian's pluto drops IKEv1 unless told otherwise.
        expect(fileOf(bundles[0]!, '/etc/overlab/ipsec/ipsec.conf')).toMatch(/^\tikev1-policy=accept$/m);
      });

      it('refuses bad option values at the option', () => {
        const t = makeTemplate({ template: 'site-to-site', hosts: 2, kind: id }, registry).value!;
        for (const [field, value] of [
          ['ike', 'ikev3'],
          ['esp', 'des-md5'],
          ['bogus', 1],
        ] as const) {
          const v = validateTopology({ ...t, links: [{ ...t.links[0]!, options: { [field]: value } }] }, registry);
          expect(v.value).toBeUndefined();
          expect(v.diagnostics.map((d) => d.path)).toContain(`links[0].options.${field}`);
        }
      });

      it('probes the kernel with an ESP SA of the chosen cipher', () => {
        expect(kind.requirements(kind.options.parse({})).probe).toMatch(/ip xfrm state add .* proto esp .* aead 'rfc4106\(gcm\(aes\)\)'/);
        expect(kind.requirements(kind.options.parse({ esp: 'aes128-sha1' })).probe).toMatch(/enc 'cbc\(aes\)' 0x(01){16} auth-trunc 'hmac\(sha1\)' 0x(02){20} 96/);
        expect(kind.requirements(kind.options.parse({})).packages).toContain('libreswan');
      });

      it.skipIf(!hasIpsec)('rendered conns pass `ipsec addconn --checkconfig` with nothing to say (both IKE versions, both ends, every link)', () => {
        for (const [options, shape] of [
          [{}, 'hub-spoke'],
          [{ ike: 'ikev1', esp: 'aes128-sha1' }, 'site-to-site'],
          [{ esp: 'aes256-sha2_256' }, 'mesh'],
        ] as const) {
          for (const b of build(id, { options, shape }).bundles) {
            for (const f of b.files.filter((x) => x.path.endsWith('.conf') && x.path.includes('ipsec'))) {
              const file = path.join(work, `${id}-${b.host}-${path.basename(f.path)}`);
              writeFileSync(file, f.content);
              const r = spawnSync('ipsec', ['addconn', '--checkconfig', '--config', file], { encoding: 'utf8' });
              expect(r.stdout + r.stderr, `${f.path} of ${b.host}`).toBe('');
              expect(r.status).toBe(0);
            }
          }
        }
      }, 60_000);

      it.skipIf(!hasShellcheck)('rendered scripts pass shellcheck with no finding, with every option', () => {
        const scripts: string[] = [];
        for (const [options, mtu, shape] of [
          [{ ike: 'ikev1', esp: 'aes256-sha2_256' }, 9000, 'site-to-site'],
          [{}, 1500, 'hub-spoke'],
        ] as const) {
          for (const b of build(id, { options, mtu, shape }).bundles) {
            const dir = path.join(work, 'sh', `${id}-${mtu}`, b.host);
            mkdirSync(dir, { recursive: true });
            writeFileSync(path.join(dir, 'up.sh'), b.up);
            writeFileSync(path.join(dir, 'down.sh'), b.down);
            scripts.push(path.join(dir, 'up.sh'), path.join(dir, 'down.sh'));
          }
        }
        const r = spawnSync('shellcheck', ['-s', 'sh', '-f', 'gcc', ...scripts], { encoding: 'utf8' });
        expect(r.stdout).toBe('');
        expect(r.status).toBe(0);
      }, 60_000);

      it.skipIf(!hasIpsec || !isRoot)('a real pluto (in a scratch network namespace) adds every rendered connection', () => {
        for (const [options, shape] of [
          [{}, 'hub-spoke'],
          [{ ike: 'ikev1', esp: 'aes128-sha1' }, 'site-to-site'],
        ] as const) {
          for (const b of build(id, { options, shape }).bundles) {
            for (const f of b.files.filter((x) => x.path.startsWith('/etc/ipsec.d/') && x.path.endsWith('.conf'))) {
              const names = [...parseConns(f.content).keys()];
              const log = plutoAdd(b, f.path, names);
              if (id === 'ipsec-xfrmi' && !canXfrmi && /xfrmi is not supported/.test(log)) continue;
              expect(log, `${b.host} ${f.path}`).not.toMatch(/failed to add|ERROR|error/);
              for (const n of names) expect(log, `${b.host} ${n}`).toMatch(new RegExp(`"${n}": added IKEv${options.ike === 'ikev1' ? 1 : 2} connection`));
            }
          }
        }
      }, 60_000);

      it('down.sh undoes up.sh: connections deleted, pluto stopped, its run dir, NSS database and leftover ND policies removed; transport blocks around it all', () => {
        const { bundles } = build(id);
        for (const b of bundles) {
          const conns = [...b.up.matchAll(/^ {2}ipsec_out=\$\(ipsec addconn .* --config \S+ (.+) 2>&1\) \|\|/gm)].flatMap((m) => m[1]!.split(' '));
          expect(conns.length).toBeGreaterThan(0);
          for (const c of conns) expect(b.down).toContain(`--delete --name ${c} >/dev/null 2>&1`);
          // Transport mode: block policies go in first and come out last, around the device.
          const up = b.up.split('\n');
          const down = b.down.split('\n');
          const blocks = up.filter((l) => l.startsWith('ip xfrm policy update ') && l.endsWith(' mark 0 mask 1 priority 4294967295 action block'));
          const unblocks = down.filter((l) => l.startsWith('ip xfrm policy deleteall ') && l.endsWith(' priority 4294967295 action block 2>/dev/null'));
          expect(blocks.length).toBe(modeOf(id) === 'transport' ? 2 * conns.length : 0);
          expect(unblocks.length).toBe(blocks.length);
          // …and outlive the larval states of traffic held while the peer went down first.
          expect(b.down.includes("grep -q 'spi 0x00000000'")).toBe(blocks.length > 0);
          if (blocks.length) {
            const firstOther = up.findIndex((l) => /^(ip link|ipsec|if )/.test(l));
            expect(up.indexOf(blocks.at(-1)!)).toBeLessThan(firstOther);
            expect(down.indexOf(unblocks[0]!)).toBeGreaterThan(Math.max(...down.map((l, i) => (/^(ip link del|ol_stop)/.test(l) ? i : -1))));
          }
          expect(b.down).toContain('rm -rf /run/overlab/pluto /etc/overlab/ipsec/nss');
          expect(b.down).toContain('ip xfrm policy delete dir "$d" src ::/0 dst ::/0 proto ipv6-icmp type "$t"');
        }
      });
    });
  }
});
