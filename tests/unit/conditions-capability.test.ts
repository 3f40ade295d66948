/**
 * `overlab kinds` says which link conditions this machine can apply, from a real probe: compared
 * here with what the kernel does when asked directly (a qdisc of each kind on a veth in
 * a scratch namespace). On this project's machine: htb yes, netem no; in the full-kernel VM
 * (Debian's kernel) both yes — tests/conditions/vm-proof.ts checks the line there.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { conditionsLine } from '../../src/engine/capability.js';
import { kindInfos } from '../../src/engine/engine.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const root = process.getuid?.() === 0;

/** Whether the kernel takes a root qdisc of this kind on a veth (the ground truth, asked another way than the probe). */
function kernelTakes(qdisc: string): 'yes' | 'no' {
  const script = `ip link add d0 type veth peer name d1 && tc qdisc add dev d0 root ${qdisc} 2>/dev/null && echo yes || echo no`;
  return execFileSync('unshare', ['--net', 'sh', '-c', script], { encoding: 'utf8', timeout: 20_000 }).trim() === 'yes' ? 'yes' : 'no';
}

describe('which conditions this machine can apply', () => {
  it.runIf(root)('kinds.list (probed) says what the kernel really takes, the same on every row; unprobed rows say nothing', async () => {
    const rows = await kindInfos(defaultRegistry, true);
    const truth = { htb: kernelTakes('htb default 1'), netem: kernelTakes('netem delay 5ms loss 1%') };
    expect(rows[0]?.conditionsHere).toEqual(truth);
    expect(new Set(rows.map((r) => JSON.stringify(r.conditionsHere))).size).toBe(1);
    expect((await kindInfos(defaultRegistry, false)).some((r) => r.conditionsHere)).toBe(false);
    if (truth.netem === 'no') expect(conditionsLine(rows[0]!.conditionsHere!)).toMatch(/\(netem\) no; delay\/loss\/… run in the full-kernel runner \(scripts\/fullkernel\/run\.sh\) or on a host with netem/);
  });

  it('the line: where netem is there, no pointer elsewhere; unknown says why', () => {
    expect(conditionsLine({ htb: 'yes', netem: 'yes' })).toBe('conditions here: rate (htb) yes; delay, jitter, loss, duplicate, reorder, corrupt (netem) yes');
    expect(conditionsLine({ htb: 'unknown', netem: 'unknown', reason: 'the probe needs root' })).toMatch(/rate \(htb\) unknown; .* \(netem\) unknown; .*full-kernel runner.* \(the probe needs root\)$/);
  });
});
