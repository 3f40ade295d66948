/**
 * The injection fuzz (tests/fuzz/injection.ts) for real: accepted cases whose hostile text reaches
 * the bundles are deployed over SSH to the embedded lab and torn down again — the engine's install
 * script writes every file with the text through the shell, up.sh and down.sh run as root — and
 * afterwards no marker file exists, neither in a lab host's view of the file system nor on this
 * machine. The cases come from the same seeded generator (OVERLAB_FUZZ_SEED), one per kind this
 * kernel carries (OVERLAB_FUZZ_LAB_CASES per kind for more), among those whose payload is live: pasted
 * naively into a shell script (as a command, unquoted, in double or in single quotes) it runs.
 *
 * Only the project name is both accepted with hostile text and in the scripts (a comment line of
 * up.sh and down.sh, and through them every file the install script writes); every other field
 * refuses such text (the unit fuzz checks that), so these are the cases where the text is there.
 * Needs root; skipped otherwise.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRequirements } from '../../src/engine/capability.js';
import { deploy, teardown } from '../../src/engine/deploy/deploy.js';
import { run } from '../../src/engine/exec.js';
import { chooseLabLayout, labDown, labExecArgv, labUp, type LabLayout } from '../../src/engine/lab/lab.js';
import { createProject, saveProject } from '../../src/engine/store/project.js';
import { plan } from '../../src/shared/plan.js';
import type { Topology } from '../../src/shared/schema.js';
import { validateTopology } from '../../src/shared/validate.js';
import { caseArb, describeCase, fieldsOf, fuzzSeed, MARK_PREFIX, registry, runCase, type FuzzCase } from '../fuzz/injection.js';

const root = process.getuid?.() === 0;
const seed = fuzzSeed();
const PER_KIND = Number(process.env.OVERLAB_FUZZ_LAB_CASES ?? 1);
/** Not the default management range, and not the other lab tests' (198.18.224.0/20): labs of parallel runs stay apart. */
const MANAGEMENT = '198.18.208.0/20';

interface LabCase {
  readonly c: FuzzCase;
  readonly topology: Topology;
}

/** Accepted cases of the project name carrying a payload, from the seeded generator (a stream of its own per kind). */
function candidates(kinds: readonly string[]): LabCase[] {
  const out: LabCase[] = [];
  kinds.forEach((id, i) => {
    const kind = registry.kinds.find((k) => k.id === id)!;
    const name = fieldsOf(kind).filter((f) => f.id === 'name');
    for (const c of fc.sample(caseArb([kind], () => name), { seed: seed + i, numRuns: 60 })) {
      if (typeof c.value !== 'string' || !c.value.includes(MARK_PREFIX)) continue;
      const o = runCase(c);
      if (o.verdict !== 'accepted' || !o.topology) continue;
      const t = validateTopology({ ...o.topology, lab: { management: MANAGEMENT } }, registry);
      if (t.value) out.push({ c, topology: t.value });
    }
  });
  return out;
}

/**
 * The naive ways a value gets into a shell script (pasted as a command, unquoted, double-quoted,
 * single-quoted without escaping), with the payload's marker moved to a private folder of the
 * lab host. A payload that makes its marker in one of them is live: quoting is what stops it.
 */
const naive = (value: string, i: number): string[] => {
  const v = value.split('/tmp/' + MARK_PREFIX).join(`/root/olctrl/OLCTRL-${i}-`);
  return [v, `echo ${v}`, `echo "${v}"`, `echo '${v}'`];
};

describe.skipIf(!root)('injection fuzz on the embedded lab', () => {
  let dir = '';
  let L: LabLayout;
  const cases: LabCase[] = [];
  const skipped: string[] = [];
  let livePerKind = new Map<string, number>();

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-fuzz-lab-'));
    // Every kind's project is the same three hosts (a hub and two spokes, same names, LANs and
    // underlay): one lab carries them all, each case's project saved over the last.
    const carried: string[] = [];
    for (const k of registry.kinds) {
      const cap = await checkRequirements(k.requirements(k.options.parse({})));
      if (cap.verdict === 'yes') carried.push(k.id);
      else skipped.push(k.id);
    }
    const all = candidates(carried);
    // Which payloads are live (pasted naively into a script, they run), in one lab host, in one shell.
    const first = all[0]!.topology;
    await createProject(dir, first, registry);
    L = await chooseLabLayout(dir, first, plan(first, registry).value!);
    await labUp(dir, L);
    const host = L.hosts[0]!.name;
    // The naive scripts are written inside the lab host (it has its own /tmp and /root, where
    // this machine's files are not), each from base64 so that this harness quotes nothing.
    const write = all.flatMap(({ c }, i) => naive(c.value as string, i).map((code, j) => `printf '%s' '${Buffer.from(`${code}\n`).toString('base64')}' | base64 -d > /root/olprobe/${i}-${j}.sh`));
    await run(labExecArgv(L, host, ['sh', '-s']), { input: ['set -e', 'mkdir -p /root/olprobe', ...write, ''].join('\n') });
    const tried = await run(labExecArgv(L, host, ['sh', '-c', 'mkdir -p /root/olctrl && cd /root/olctrl && for f in /root/olprobe/*.sh; do timeout 5 sh "$f" </dev/null >/dev/null 2>&1; done; ls /root/olctrl; rm -rf /root/olctrl /root/olprobe']));
    const live = new Set(tried.stdout.split('\n').map((f) => /^OLCTRL-(\d+)-/.exec(f)?.[1]).filter((x): x is string => !!x).map(Number));
    livePerKind = new Map(carried.map((k) => [k, all.filter((x, i) => x.c.kind === k && live.has(i)).length]));
    for (const k of carried) cases.push(...all.filter((x, i) => x.c.kind === k && live.has(i)).slice(0, PER_KIND));
  }, 120_000);

  afterAll(async () => {
    if (dir) {
      await teardown(dir, registry).catch(() => undefined);
      await labDown(dir).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  /**
   * Marker files in each lab host's view of the file system (its own /etc, /var/lib, /var/log,
   * /run, /root, /home, /tmp, /var/tmp and /dev/shm, the payloads naming /tmp), then on this
   * machine outside the checkouts.
   */
  const markers = async (): Promise<string[]> => {
    const found: string[] = [];
    for (const h of L.hosts) {
      const r = await run(labExecArgv(L, h.name, ['sh', '-c', `find /tmp /run /root /home /dev/shm /etc /var -name '${MARK_PREFIX}*' 2>/dev/null; ls -d /${MARK_PREFIX}* 2>/dev/null; true`]));
      found.push(...r.stdout.split('\n').filter(Boolean).map((f) => `${h.name}:${f}`));
    }
    const here = await run(['sh', '-c', `find / -xdev \\( -path /proc -o -path /sys -o -path /work \\) -prune -o -name '${MARK_PREFIX}*' -print 2>/dev/null; true`]);
    return [...found, ...here.stdout.split('\n').filter(Boolean)];
  };

  it('finds a marker file where a payload could make one (the check below can fail)', async () => {
    const mine = `/var/tmp/${MARK_PREFIX}selftest-${process.pid}`;
    const host = L.hosts[1]!.name;
    try {
      await fs.writeFile(mine, '');
      await run(labExecArgv(L, host, ['touch', `/root/${MARK_PREFIX}selftest`]));
      // The machine's /var/tmp is its own (a lab host has its own): found once, on the machine.
      expect((await markers()).sort()).toEqual([mine, `${host}:/root/${MARK_PREFIX}selftest`].sort());
    } finally {
      await fs.rm(mine, { force: true });
      await run(labExecArgv(L, host, ['rm', '-f', `/root/${MARK_PREFIX}selftest`]));
    }
  }, 120_000);

  it('deploys and tears down accepted hostile projects of every kind this kernel carries, and no payload ever runs', async () => {
    const t0 = Date.now();
    // Every kind this kernel carries has live payloads to deploy.
    for (const [k, n] of livePerKind) expect(n, `live payloads of ${k}`).toBeGreaterThan(0);
    const ran: string[] = [];
    const notUp: string[] = [];
    for (const { c, topology } of cases) {
      await saveProject(dir, topology, registry);
      const up = await deploy(dir, registry);
      // The text went through the install script and up.sh whatever up.sh then did: a host that
      // was never written to did not run it (unreachable, or a refused host key).
      for (const h of up.hosts) {
        expect(h.failedStep === 'upload' || h.failedStep === 'connect', `${c.kind}: ${h.host} ${h.failedStep}: ${h.error} — ${describeCase(c, seed)}`).toBe(false);
        if (h.status !== 'applied' && h.status !== 'unchanged') notUp.push(`${c.kind}/${h.host}: ${h.status} ${h.failedStep ?? ''} ${(h.error ?? '').slice(0, 120)}`);
      }
      const down = await teardown(dir, registry);
      expect(down.hosts.map((h) => h.status).filter((s) => s !== 'removed' && s !== 'absent'), c.kind).toEqual([]);
      ran.push(`${c.kind}: ${JSON.stringify(c.value)}`);
    }
    console.log(`injection fuzz on the lab: ${cases.length} accepted hostile projects deployed and torn down in ${((Date.now() - t0) / 1000).toFixed(1)} s (seed ${seed}); kinds this kernel lacks: ${skipped.join(', ') || 'none'}`);
    for (const r of ran) console.log(`  ${r}`);
    if (notUp.length) console.log(`  not up (the kind's own failure in this lab, not the fuzz's): ${notUp.join('; ')}`);

    expect(await markers()).toEqual([]);
  }, 600_000);
});
