import { describe, expect, it } from 'vitest';
import type { HostBundle } from '../render.js';
import type { SecretSpec } from '../secrets.js';
import { macsec } from './macsec.js';
import { after, itPassesShellcheck, kindHarness } from './testing/kind-harness.js';
import { liveProof } from './testing/live-proof.js';

const h = kindHarness(macsec);
const { topology, planOf, bundles } = h;

/** A lookup that gives every reference its own value, so that swapped keys show. */
const distinct = (ref: string, part = 'value'): string => `${ref.replace(/[^a-z0-9]/g, '')}${part}`;
const saFile = (b: HostBundle, ifname: string) => b.files.find((f) => f.path === `/etc/overlab/macsec/${ifname}.batch`)!;
/** `macsec add DEV …` lines of an SA file, as word lists after the device. */
const saLines = (b: HostBundle, ifname: string): string[][] =>
  saFile(b, ifname)
    .content.trim()
    .split('\n')
    .map((l) => {
      const w = l.split(' ');
      expect(w.slice(0, 3)).toEqual(['macsec', 'add', ifname]);
      return w.slice(3);
    });

describe('macsec', () => {
  it('names each end by its planned MAC and the peer’s channel by the peer’s MAC, on every link of a mesh', () => {
    const p = planOf(topology('mesh', 4));
    const b = bundles(p, distinct);
    const macs = new Set<string>();
    for (const net of p.networks) {
      for (const [i, m] of net.members.entries()) {
        const peer = net.members[1 - i]!;
        const mine = b.find((x) => x.host === m.host)!;
        const theirs = b.find((x) => x.host === peer.host)!;
        const create = mine.up.split('\n').find((l) => l.includes(`name ${m.ifname} `))!;
        const mac = after(create.split(' '), 'address')!;
        const peerMac = after(theirs.up.split('\n').find((l) => l.includes(`name ${peer.ifname} `))!.split(' '), 'address')!;
        expect(create).toContain(`ip link add link ${m.underlayDev} name ${m.ifname} address ${mac} type macsec port 1 encrypt on cipher gcm-aes-128`);
        // Locally administered, unicast.
        expect(mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
        macs.add(mac);
        const [tx, rxSc, rxSa] = saLines(mine, m.ifname);
        expect(tx!.slice(0, 6)).toEqual(['tx', 'sa', '0', 'pn', '1', 'on']);
        // The receive channel is the peer's SCI: its MAC and port 1.
        expect(rxSc).toEqual(['rx', 'port', '1', 'address', peerMac]);
        expect(rxSa!.slice(0, 11)).toEqual(['rx', 'port', '1', 'address', peerMac, 'sa', '0', 'pn', '1', 'on', 'key']);
        expect(mine.up).toContain(`addr replace ${m.address} dev ${m.ifname}`);
        expect(mine.down).toContain(`ip link del dev ${m.ifname} 2>/dev/null`);
      }
    }
    // Every device of the project on the one segment has its own MAC, hence its own SCI.
    expect(macs.size).toBe(p.networks.length * 2);
  });

  it('receives with exactly the key the peer sends with, and sends with its own', () => {
    const p = planOf(topology('hub-spoke', 3));
    const b = bundles(p, distinct);
    for (const net of p.networks) {
      const [a, c] = net.members.map((m) => saLines(b.find((x) => x.host === m.host)!, m.ifname));
      const key = (words: string[]) => words.slice(words.indexOf('key') + 1);
      // [key id, key]
      expect(key(a![2]!)).toEqual(key(c![0]!));
      expect(key(c![2]!)).toEqual(key(a![0]!));
      expect(key(a![0]!)).not.toEqual(key(c![0]!));
    }
  });

  it('asks for one 16-byte hex key per end (GCM-AES-128) and keeps the keys out of the scripts, in 0600 files', () => {
    const p = planOf(topology('site-to-site', 2));
    const specs: SecretSpec[] = [...p.secrets];
    expect(specs.map((s) => s.kind)).toEqual([
      { type: 'random', bytes: 16, encoding: 'hex' },
      { type: 'random', bytes: 16, encoding: 'hex' },
    ]);
    expect(new Set(specs.map((s) => s.ref)).size).toBe(2);
    for (const x of bundles(p, distinct)) {
      const f = saFile(x, 'olms0');
      expect([f.mode, f.secret]).toEqual([0o600, true]);
      for (const s of specs) {
        expect(f.content).toContain(distinct(s.ref));
        expect(x.up).not.toContain(distinct(s.ref));
        expect(x.down).not.toContain(distinct(s.ref));
      }
      // Device and SAs together: if the SAs fail, the device goes, so a rerun starts afresh.
      expect(x.up).toContain('if ! ip link show dev olms0 >/dev/null 2>&1; then ip link add link eth0 name olms0 address ');
      expect(x.up).toContain('; ip -batch /etc/overlab/macsec/olms0.batch || { ip link del dev olms0 2>/dev/null; exit 1; }; fi');
    }
  });

  it.each([
    // SecTAG with SCI (16) + ICV (16), whatever the underlay family
    [{}, 1468],
    [{ mtu: 9000 }, 8968],
    [{ v6Underlay: true }, 1468],
    [{ v6Underlay: true, mtu: 9000 }, 8968],
  ] as const)('%j leaves an MTU of %i', (variant, expected) => {
    const l = planOf(topology('site-to-site', 2, variant)).links[0]!;
    expect([l.mtu, l.mss, l.overheadBytes]).toEqual([expected, expected - 40, 32]);
  });

  it('says it needs hosts on one Ethernet segment', () => {
    expect(macsec.label).toMatch(/one L2 segment/);
    expect(macsec.capabilities.underlay.ipv4).toMatchObject({ how: expect.stringMatching(/one Ethernet segment/) });
    expect(macsec.encrypted).toBe(true);
  });

  it('takes no options, and says which one is unknown', () => {
    h.expectOptionErrors({ cipher: 'gcm-aes-256' }, 'cipher');
  });

  it('renders the same bytes twice', () => {
    const t = topology('mesh', 4);
    expect(bundles(planOf(t), distinct)).toEqual(bundles(planOf(t), distinct));
  });

  itPassesShellcheck(h, [
    ['site-to-site', 2, {}],
    ['hub-spoke', 3, { mtu: 9000 }],
  ]);
});

liveProof(h, [{}, { mtu: 9000 }]);
