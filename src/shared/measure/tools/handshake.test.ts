/**
 * Time to first packet after up.sh, on real output from a VXLAN lab link
 * (tests/fixtures/tools/capture.sh): the near end taken down and brought up again while the far
 * end stays up, and the same with the far end down (no reply before the deadline); the far end
 * restarted (its up.sh's stamps in `<kind>-far.far.txt`, this end's probe in `<kind>-far.txt`:
 * tinc answers, VXLAN does not within 20 s), and both ends (VXLAN and tinc).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { q } from '../../shell.js';
import { checkHandshake, handshakeCommand, handshakeCommands, parseHandshake } from './handshake.js';

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

  it('far end restarted (tinc): from the far end’s up.sh start (its own stamp) to the first reply here', () => {
    const near = text('tinc-far.txt');
    const far = text('tinc-far.far.txt');
    const r = parseHandshake(near, far, 'far');
    const t0 = stamp(far, /overlab-handshake start (\S+)/);
    expect(r.error).toBeUndefined();
    expect(r.restart).toBe('far');
    expect(r.upSeconds).toBeUndefined();
    expect(r.farUpSeconds).toBeCloseTo(stamp(far, /overlab-handshake up rc=0 (\S+)/) - t0, 9);
    expect(r.firstPacketSeconds).toBeCloseTo(stamp(near, /^\[(\S+)\] 64 bytes/m) - t0, 9);
    // This end probed while the far end's daemon was not yet there: tinc said so, then answered.
    expect(near).toContain('Destination Net Unknown');
    expect(r.lostProbes).toBe([...near.matchAll(/^(\d+) packets transmitted/gm)].reduce((a, m) => a + Number(m[1]), 0) - 1);
    expect(r.lostProbes!).toBeGreaterThan(0);
    // Without the far end's output there is no start to count from.
    expect(parseHandshake(near, '', 'far').error).toBe(`the far end's up.sh printed no "### overlab-handshake start" stamp (cut short, or past its deadline?)`);
  });

  it('far end restarted (VXLAN): no reply within 20 s — said with ping’s count, the far end’s up.sh time kept', () => {
    const near = text('vxlan-far.txt');
    const r = parseHandshake(near, text('vxlan-far.far.txt'), 'far');
    expect(r.firstPacketSeconds).toBeUndefined();
    expect(r.farUpSeconds!).toBeGreaterThan(0);
    expect(r.error).toBe(`no reply through the tunnel before the deadline (${/^\d+ packets transmitted, 0 received.*$/m.exec(near)![0]})`);
  });

  it('both ends restarted: from the earlier up.sh’s start; both up.sh times kept', () => {
    for (const kind of ['vxlan', 'tinc']) {
      const near = text(`${kind}-both.txt`);
      const far = text(`${kind}-both.far.txt`);
      const r = parseHandshake(near, far, 'both');
      const t0 = Math.min(stamp(near, /overlab-handshake start (\S+)/), stamp(far, /overlab-handshake start (\S+)/));
      expect(r.error).toBeUndefined();
      expect(r.upSeconds).toBeCloseTo(stamp(near, /overlab-handshake up rc=0 (\S+)/) - stamp(near, /overlab-handshake start (\S+)/), 9);
      expect(r.farUpSeconds).toBeCloseTo(stamp(far, /overlab-handshake up rc=0 (\S+)/) - stamp(far, /overlab-handshake start (\S+)/), 9);
      expect(r.firstPacketSeconds).toBeCloseTo(stamp(near, /^\[(\S+)\] 64 bytes/m) - t0, 9);
      // This end probes once its own up.sh is done.
      expect(r.firstPacketSeconds!).toBeGreaterThan(r.upSeconds!);
    }
  });

  it('the far end’s failed up.sh, and a clock that puts the reply before up.sh, are errors that say what to do', () => {
    const near = text('tinc-far.txt');
    const far = text('tinc-far.far.txt');
    expect(parseHandshake(near, far.replace('up rc=0', 'up rc=1'), 'far').error).toBe("the far end's up.sh failed (exit 1): redeploy that host and look at its deploy log");
    // The far host's clock 100 s ahead: its up.sh "starts" after the reply arrived here.
    const ahead = far.replace(/(start|up rc=0) (\d+)\./g, (_m, w: string, sec: string) => `${w} ${Number(sec) + 100}.`);
    expect(parseHandshake(near, ahead, 'far').error).toMatch(/^the first reply is stamped 99\.\d{3} s before the far end's up\.sh started: the two hosts' clocks disagree; synchronise them \(NTP\) and measure again$/);
  });

  it('builds the script; refuses a bundle path that is not a plain absolute folder', () => {
    const s = handshakeCommand({ address: '198.19.0.1', bundle: '/var/lib/overlab/bundle', deadline: 10 });
    expect(s.split('; ')[0]).toBe('/var/lib/overlab/bundle/down.sh >/dev/null 2>&1 || true');
    expect(s).toContain('ping -D -n -i 0.01 -c 1 -w 10 -W 0.1 198.19.0.1 2>&1');
    expect(checkHandshake({ address: 'x', bundle: '/tmp/$(reboot)', deadline: 0 })).toEqual([
      'bundle: "/tmp/$(reboot)"; give the absolute folder of the deployed bundle (letters, digits, . _ - /)',
      'deadline: 0; use a whole number of seconds from 1 to 300',
    ]);
    expect(checkHandshake({ address: 'x', bundle: '/b', deadline: 5, restart: 'reboot' as 'far' })).toEqual(['restart: "reboot"; use near, far, both']);
    expect(() => handshakeCommands({ address: 'x', bundle: '/b;x', deadline: 5, restart: 'far' })).toThrow(/^handshake: bundle: /);
    // The address reaches the far-end scenario's probe quoted like the near one's.
    const client = handshakeCommands({ address: "198.19.0.1'; reboot", bundle: '/b', deadline: 5, restart: 'far' }).client;
    const inner = execFileSync('sh', ['-c', `printf %s ${client.slice('sh -c '.length)}`], { encoding: 'utf8' });
    expect(inner).toContain(`-W 0.1 ${q("198.19.0.1'; reboot")} 2>&1`);
  });
});
