import { describe, expect, it } from 'vitest';
import type { DeployRun } from '../../shared/deploy.js';
import { cliContext } from '../common.js';
import { defaultRegistry } from '../../shared/tunnels/index.js';
import { printRun } from './deploy.js';

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
