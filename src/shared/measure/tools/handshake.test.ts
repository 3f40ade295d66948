/**
 * Time to first packet after up.sh, on real output from a VXLAN lab link
 * (tests/fixtures/tools/capture.sh): the near end taken down and brought up again while the far
 * end stays up, and the same with the far end down (no reply before the deadline).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkHandshake, handshakeCommand, parseHandshake } from './handshake.js';

const text = (name: string): string => readFileSync(new URL(`../../../../tests/fixtures/tools/handshake/${name}`, import.meta.url), 'utf8');
const stamp = (t: string, re: RegExp): number => Number(re.exec(t)![1]);

describe('handshake: time to first packet', () => {
  it('from up.sh’s start to the first reply’s receive time (ping -D)', () => {
    const t = text('vxlan.txt');
    const r = parseHandshake(t);
    const t0 = stamp(t, /overlab-handshake start (\S+)/);
    expect(r.error).toBeUndefined();
    expect(r.upSeconds).toBeCloseTo(stamp(t, /overlab-handshake up rc=0 (\S+)/) - t0, 9);
    expect(r.firstPacketSeconds).toBeCloseTo(stamp(t, /^\[(\S+)\] 64 bytes/m) - t0, 9);
    expect(r.firstPacketSeconds!).toBeGreaterThan(r.upSeconds!);
    expect(r.lostProbes).toBe(0);
  });

  it('tinc: "Destination Net Unknown" until its daemons meet, probed again each time, then the first reply (seconds, not ms)', () => {
    const t = text('tinc.txt');
    const r = parseHandshake(t);
    const t0 = stamp(t, /overlab-handshake start (\S+)/);
    expect(r.error).toBeUndefined();
    expect(t).toContain('Destination Net Unknown');
    expect(r.firstPacketSeconds).toBeCloseTo(stamp(t, /^\[(\S+)\] 64 bytes/m) - t0, 9);
    expect(r.firstPacketSeconds!).toBeGreaterThan(1);
    const sent = [...t.matchAll(/^(\d+) packets transmitted/gm)].reduce((a, m) => a + Number(m[1]), 0);
    expect(r.lostProbes).toBe(sent - 1);
  });

  it('no reply before the deadline: says so with ping’s count, keeps up.sh’s time', () => {
    const t = text('timeout.txt');
    const r = parseHandshake(t);
    expect(r.firstPacketSeconds).toBeUndefined();
    expect(r.upSeconds).toBeGreaterThan(0);
    expect(r.error).toBe(`no reply through the tunnel before the deadline (${/^\d+ packets transmitted, 0 received.*$/m.exec(t)![0]})`);
  });

  it('a failed up.sh and output cut short are errors that say what to do', () => {
    const t = text('vxlan.txt').replace('up rc=0', 'up rc=2');
    expect(parseHandshake(t).error).toBe('up.sh failed (exit 2): redeploy the host and look at its deploy log');
    expect(parseHandshake('').error).toBe('the script printed no "### overlab-handshake start" stamp (cut short?)');
  });

  it('builds the script; refuses a bundle path that is not a plain absolute folder', () => {
    const s = handshakeCommand({ address: '198.19.0.1', bundle: '/var/lib/overlab/bundle', deadline: 10 });
    expect(s.split('; ')[0]).toBe('/var/lib/overlab/bundle/down.sh >/dev/null 2>&1 || true');
    expect(s).toContain('ping -D -n -i 0.01 -c 1 -w 10 -W 0.1 198.19.0.1 2>&1');
    expect(checkHandshake({ address: 'x', bundle: '/tmp/$(reboot)', deadline: 0 })).toEqual([
      'bundle: "/tmp/$(reboot)"; give the absolute folder of the deployed bundle (letters, digits, . _ - /)',
      'deadline: 0; use a whole number of seconds from 1 to 300',
    ]);
  });
});
