/** `overlab deploy --accept-host-key`: consent by host and fingerprint; a bare host name or `all` is refused with how to give it. */
import { describe, expect, it } from 'vitest';
import { runCli, type Io } from '../main.js';
import type { DeployRun } from '../../shared/deploy.js';
import { cliContext } from '../common.js';
import { defaultRegistry } from '../../shared/tunnels/index.js';
import { hostKeyConsentArg, printRun } from './deploy.js';

const FP = 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU';
const FP2 = 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t) };
  return { code: await runCli(argv, io), out, err };
}

describe('--accept-host-key', () => {
  it('takes HOST=FINGERPRINT pairs, comma-separated or repeated, as people paste them', () => {
    const first = hostKeyConsentArg(`hub=${FP}, spoke-1=sha256:${FP2.slice(7)}=`);
    expect(first).toEqual([{ host: 'hub', fingerprint: FP }, { host: 'spoke-1', fingerprint: FP2 }]);
    expect(hostKeyConsentArg(`spoke-2=${FP}`, first)).toHaveLength(3);
  });

  it('refuses a host name alone, saying how to give the fingerprint (usage error, exit 2)', async () => {
    const r = await cli('deploy', '/nonexistent', '--accept-host-key', 'hub');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/"hub": a host name alone would let in whatever key the host presents, not the one you checked; give each host with the fingerprint you checked on it: --accept-host-key HOST=SHA256:…/);
  });

  it('refuses "all"', async () => {
    const r = await cli('deploy', '/nonexistent', '--accept-host-key', `hub=${FP},all`);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/"all": accepting every host key would let in whatever key/);
  });

  it('refuses what is not a SHA256 fingerprint, or not a host name', async () => {
    expect((await cli('deploy', '/nonexistent', '--accept-host-key', 'hub=SHA256:abc')).err).toMatch(/"SHA256:abc" is not a SHA256 fingerprint/);
    expect((await cli('deploy', '/nonexistent', '--accept-host-key', `Hub Two=${FP}`)).err).toMatch(/"Hub Two" is not a host name/);
  });

  it('is documented in the help with its HOST=FINGERPRINT form', async () => {
    const r = await cli('deploy', '--help');
    expect(r.code).toBe(0);
    expect(r.out.replace(/\s+/g, ' ')).toMatch(/--accept-host-key <host=fp> accept and pin the unknown SSH host key of HOST whose fingerprint is FP/);
  });
});

describe('overlab measure --accept-host-key', () => {
  it('takes the same HOST=FINGERPRINT form and refuses a bare host name', async () => {
    const r = await cli('measure', '/nonexistent', '--accept-host-key', 'hub');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--accept-host-key HOST=SHA256:');
  });
});

describe('printing a deploy run', () => {
  it('names the host whose state is unknown in the last line, and says which failed hosts were rolled back', () => {
    const run: DeployRun = {
      ok: false,
      durationMs: 15_800,
      diagnostics: [],
      hosts: [
        { host: 'hub', hostId: 'h1', status: 'failed', failedStep: 'apply', error: 'up.sh exited 1: boom', rolledBack: true, timings: {} },
        { host: 'spoke-1', hostId: 'h2', status: 'rolled-back', timings: {} },
        { host: 'spoke-2', hostId: 'h3', status: 'unknown', failedStep: 'apply', error: 'spoke-2: no answer from the host for 15 s during apply (SSH keepalives unanswered)', timings: {} },
      ],
    };
    let out = '';
    printRun(cliContext({ out: (t) => (out += t), err: () => undefined }, defaultRegistry), run, false, 'deploy');
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^hub +failed \(rolled back\) at apply: up\.sh exited 1/);
    expect(lines[2]).toMatch(/^spoke-2 +unknown at apply: spoke-2: no answer from the host for 15 s during apply/);
    expect(lines.at(-1)).toBe('deploy FAILED: 3 hosts in 15.8 s, 2 failed; state UNKNOWN on spoke-2: check it, then deploy or tear down again');
  });
});
