/**
 * Captures what `tc` really prints for the shaping scripts of src/shared/conditions-tc.ts, so
 * that readTc/compareTc/inForce are tested on real output (tests/fixtures/tc/). For each case:
 * a scratch namespace with a veth, shapeDevice's lines applied there, readScript's output saved
 * as tests/fixtures/tc/<case>.txt (cases: capture-cases.ts); then the lines applied a second time (the script replaces the
 * tree: the read-back must be byte-identical) and unshapeDevice (the device's qdiscs as before).
 * The netem cases need a kernel with sch_netem: run it in the full-kernel VM
 *   scripts/fullkernel/run.sh --share tests/fixtures/tc -- node scripts/run-ts.mjs tests/conditions/capture-tc.ts tests/fixtures/tc
 * On a kernel without netem, only the rate-only case runs (the others are said and skipped).
 * Usage: node scripts/run-ts.mjs tests/conditions/capture-tc.ts OUTDIR [CASE...]. Needs root.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { needsNetem } from '../../src/shared/conditions.js';
import { readScript, shapeDevice, unshapeDevice } from '../../src/shared/conditions-tc.js';
import { CAPTURE_CASES } from './capture-cases.js';

const sh = (ns: string, script: string): string => execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', script], { encoding: 'utf8', timeout: 20_000 });

function main(): void {
  const [out, ...only] = process.argv.slice(2);
  if (!out) throw new Error('usage: capture-tc.ts OUTDIR [CASE...]');
  const ns = `ovcap${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  let failed = 0;
  try {
    sh(ns, 'ip link add ovc0 type veth peer name ovc1 && ip link set ovc0 up && ip link set ovc1 up && ip addr add 198.18.0.1/24 dev ovc0 && ip -6 addr add fd00::1/64 dev ovc0 nodad');
    const before = sh(ns, 'tc qdisc show dev ovc0');
    let netem = true;
    try {
      sh(ns, 'tc qdisc add dev ovc1 root netem delay 1ms 2>&1 && tc qdisc del dev ovc1 root');
    } catch {
      netem = false;
    }
    for (const [name, d] of Object.entries(CAPTURE_CASES)) {
      if (only.length && !only.includes(name)) continue;
      const wants = needsNetem(d.all) || d.peers.some((p) => needsNetem(p.condition));
      if (wants && !netem) {
        console.log(`skip ${name}: this kernel has no netem`);
        continue;
      }
      const { apply } = shapeDevice(d);
      try {
        sh(ns, `exec 2>&1; set -e; ${apply.join('\n')}`);
      } catch (e) {
        // What the kernel refuses is a fact to keep too (its message, for the error we give).
        const msg = String((e as { stdout?: string }).stdout ?? '') + String((e as { stderr?: string }).stderr ?? '');
        writeFileSync(path.join(out, `${name}.refused.txt`), msg);
        sh(ns, unshapeDevice(d.device));
        console.log(`refused ${name}: ${msg.trim()}`);
        continue;
      }
      const read = sh(ns, readScript(d.device));
      writeFileSync(path.join(out, `${name}.txt`), read);
      sh(ns, `set -e; ${apply.join('\n')}`);
      const again = sh(ns, readScript(d.device));
      sh(ns, unshapeDevice(d.device));
      const after = sh(ns, 'tc qdisc show dev ovc0');
      const idem = again === read;
      const clean = after === before;
      if (!idem || !clean) failed++;
      console.log(`${idem && clean ? 'ok  ' : 'FAIL'} ${name}: ${read.length} bytes; applied twice ${idem ? 'reads the same' : 'reads DIFFERENTLY'}; removed ${clean ? 'qdiscs as before' : `qdiscs NOT as before: ${after.trim()}`}`);
    }
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
  console.log(`capture-tc: ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}
main();
