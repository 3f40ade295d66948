/**
 * Time to first packet after a restart, per kind and per scenario (issue 22): for each kind, a
 * site-to-site on the embedded lab (root), measured through `measure.run` with a suite of one
 * handshake test per scenario — the near end restarted (site-a, the path's source), the far end
 * (site-b), both — each with a long deadline (default 120 s) so that a kind whose surviving end
 * keeps a stale session shows how long it really takes. Before each scenario the tunnel must
 * answer again (a ping loop, up to the deadline), so that one scenario's slow recovery does not
 * become the next one's figure. Prints which end holds the kind's server/lighthouse role, each
 * scenario's seconds (or why none), and with `--logs` the tail of the daemons' logs on both ends
 * after a scenario that gave no reply. Prints figures only; no assertion.
 *   sudo node scripts/run-ts.mjs bench/handshake.bench.ts [--kinds clean,vxlan,...] [--deadline S] [--scenarios near,far,both] [--logs]
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../src/engine/engine.js';
import { run } from '../src/engine/exec.js';
import { labExecArgv, loadLab, type LabLayout } from '../src/engine/lab/lab.js';
import type { RunResults, TestRecord } from '../src/shared/measure/results.js';
import type { HandshakeResult, Restart } from '../src/shared/measure/tools/handshake.js';
import { defaultRegistry } from '../src/shared/tunnels/index.js';

const argOf = (name: string, dflt: string): string => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : dflt);
const KINDS = argOf('--kinds', 'clean,vxlan').split(',');
const DEADLINE = Number(argOf('--deadline', '120'));
const SCENARIOS = argOf('--scenarios', 'near,far,both').split(',') as Restart[];
const LOGS = process.argv.includes('--logs');
const engine = createEngine({ registry: defaultRegistry });
const f = (x: number | undefined, d = 3): string => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));

const suiteOf = (restart: Restart) => ({ tests: [{ tool: 'handshake' as const, deadline: DEADLINE, restart }], baseline: false, lan: false, repeat: 1 });
const SUITES = { near: suiteOf('near'), far: suiteOf('far'), both: suiteOf('both') };

const tunnelRecord = (r: RunResults): TestRecord | undefined => r.tests.find((t) => r.paths.find((p) => p.id === t.pathId)?.type === 'tunnel');

/** Seconds until the far end's tunnel address answers from site-a (ping every 0.2 s), or undefined. */
async function settle(L: LabLayout, address: string, seconds: number): Promise<number | undefined> {
  const t0 = Date.now();
  // A tunnel that does not come back (its device gone: ping fails at once) is this scenario's
  // starting point, not the bench's end: the next scenario restarts an end anyway.
  const r = await run(labExecArgv(L, 'site-a', ['ping', '-n', '-c', '1', '-i', '0.2', '-w', String(seconds), address])).catch(() => undefined);
  return r?.code === 0 ? (Date.now() - t0) / 1000 : undefined;
}

const LOG_TAIL = 'for f in /var/log/overlab/*.log /run/overlab/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 12 "$f"; }; done; true';

async function measureKind(kind: string, n: number): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-handshake-bench-'));
  try {
    const t = (await engine['project.create']({ dir, template: 'site-to-site', hosts: 2, kind })).topology!;
    await engine['project.save']({ dir, topology: { ...t, lab: { management: `198.18.${236 + n}.0/24` }, measurement: { ...t.measurement, suites: SUITES } } });
    await engine['lab.up']({ dir });
    const d = await engine['deploy.apply']({ dir });
    if (!d.ok) throw new Error(`deploy failed: ${JSON.stringify(d.hosts.filter((h) => h.status === 'failed'))}`);
    const plan = (await engine['plan.compute']({ dir })).plan!;
    const L = (await loadLab(dir, (await engine['project.open']({ dir })).topology!, plan))!;
    const roles = plan.networks[0]?.members.map((m) => `${m.host} ${m.role}`).join(', ');
    console.log(`\n${kind} (near end: site-a, the path's source; far end: site-b${roles ? `; roles: ${roles}` : ''})`);
    let address = '';
    for (const restart of SCENARIOS) {
      if (address) {
        const s = await settle(L, address, DEADLINE);
        if (s === undefined) console.log(`  (the tunnel did not answer within ${DEADLINE} s before this scenario)`);
        else if (s > 1) console.log(`  (the tunnel answered again ${f(s, 1)} s after the previous scenario ended)`);
      }
      const m = await engine['measure.run']({ dir, suite: restart });
      const r = await engine['runs.get']({ dir, runId: m.runId });
      address ||= r.paths.find((p) => p.type === 'tunnel')!.dst.address;
      const rec = tunnelRecord(r);
      const res = rec?.detail as HandshakeResult | undefined;
      const up = [res?.upSeconds !== undefined ? `near up.sh ${f(res.upSeconds)} s` : '', res?.farUpSeconds !== undefined ? `far up.sh ${f(res.farUpSeconds)} s` : ''].filter(Boolean).join(', ');
      console.log(`  ${restart.padEnd(4)}: ${res?.firstPacketSeconds !== undefined ? `${f(res.firstPacketSeconds)} s to the first packet` : `none (${rec?.error ?? 'no record'})`}${up ? ` (${up})` : ''}${res?.lostProbes !== undefined ? `, ${res.lostProbes} probes unanswered` : ''}`);
      if (LOGS && (rec?.error || (res?.firstPacketSeconds ?? 0) > 5)) {
        for (const host of ['site-a', 'site-b']) {
          const o = await run(labExecArgv(L, host, ['sh', '-c', LOG_TAIL]));
          console.log(`  [${host} logs]\n${o.stdout.replace(/^/gm, '    ')}`);
        }
      }
    }
  } finally {
    await engine['deploy.teardown']({ dir }).catch(() => undefined);
    await engine['lab.down']({ dir }).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

console.log(`time to first packet after a restart, embedded lab site-to-site, deadline ${DEADLINE} s, scenarios ${SCENARIOS.join(', ')}`);
for (const [n, kind] of KINDS.entries()) {
  try {
    await measureKind(kind, n);
  } catch (e) {
    console.log(`\n${kind}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
