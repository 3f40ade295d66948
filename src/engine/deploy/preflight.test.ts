/**
 * The preflight script, run for real by sh on this machine: binaries, and ports held by a
 * real socket of this process (loopback only).
 */
import dgram from 'node:dgram';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preflightScript, type PreflightNeed } from '../../shared/preflight.js';

const hasSs = spawnSync('sh', ['-c', 'command -v ss'], { encoding: 'utf8' }).status === 0;

function run(needs: PreflightNeed[], hashFile: string): { missing: string[]; deployed: string } {
  const r = spawnSync('sh', ['-s'], { input: preflightScript(needs, hashFile), encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.split('\n');
  return {
    // Not root here is reported too; these tests are about the other checks.
    missing: lines.filter((l) => l.startsWith('missing: ') && !l.includes('root privileges')).map((l) => l.slice(9)),
    deployed: /^deployed: (.*)$/m.exec(r.stdout)?.[1] ?? '<none>',
  };
}

const need = (kind: string, ports: PreflightNeed['ports'], binaries: string[] = ['sh']): PreflightNeed => ({
  kind,
  requirements: { modules: [], packages: ['some-package'], binaries },
  ports,
});

describe.skipIf(!hasSs)('preflight script', () => {
  let udp: dgram.Socket;
  let tcp: net.Server;
  let udpPort = 0;
  let tcpPort = 0;
  let freePort = 0;
  let dir = '';

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'olpf-'));
    udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', () => resolve()));
    udpPort = udp.address().port;
    tcp = net.createServer();
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
    tcpPort = (tcp.address() as net.AddressInfo).port;
    // A port free on both protocols: bound once, then released.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    freePort = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
  });
  afterAll(async () => {
    udp.close();
    await new Promise((resolve) => tcp.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names a taken UDP and TCP port, the kinds that need it and who holds it', () => {
    const r = run(
      [need('wireguard', [{ proto: 'udp', port: udpPort }]), need('tinc', [{ proto: 'tcp', port: tcpPort }, { proto: 'udp', port: freePort }])],
      path.join(dir, 'absent'),
    );
    expect(r.missing).toEqual([
      `UDP port ${udpPort} free for wireguard (in use by node: stop it, or choose another port in the link's options)`,
      `TCP port ${tcpPort} free for tinc (in use by node: stop it, or choose another port in the link's options)`,
    ]);
    expect(r.deployed).toBe('');
  });

  it('a UDP port taken is not a TCP port taken, and one port shared by two kinds is checked once', () => {
    const r = run([need('vxlan', [{ proto: 'tcp', port: udpPort }]), need('a', [{ proto: 'udp', port: udpPort }]), need('b', [{ proto: 'udp', port: udpPort }])], path.join(dir, 'absent'));
    expect(r.missing).toEqual([`UDP port ${udpPort} free for a, b (in use by node: stop it, or choose another port in the link's options)`]);
  });

  it('does not check ports when a bundle is deployed (it may hold them, and goes down first)', () => {
    const hash = path.join(dir, 'bundle.sha256');
    fs.writeFileSync(hash, 'abc123\n');
    const r = run([need('wireguard', [{ proto: 'udp', port: udpPort }])], hash);
    expect(r.missing).toEqual([]);
    expect(r.deployed).toBe('abc123');
  });

  it('names a missing program with the packages that provide it', () => {
    const r = run([need('nebula', [], ['sh', 'overlab-no-such-program'])], path.join(dir, 'absent'));
    expect(r.missing).toEqual(['program overlab-no-such-program (install: some-package)']);
  });
});
