/**
 * Deploy wall times on one embedded-lab VXLAN hub-spoke per size (10 and 20 hosts): `overlab
 * deploy` (the engine's deploy.apply), the exported Ansible playbook (`overlab export ansible`,
 * run as exported: pipelining on) with Ansible's default forks (5) and with forks = the host
 * count, and one plain `ssh HOST true` per host in parallel as the floor. Every deploy is a fresh
 * one (the hosts are torn down, untimed, before each run). Prints each figure (median, min–max of
 * the runs), the ratios, and overlab's per-host step times; no assertion.
 *   sudo node scripts/run-ts.mjs bench/ansible.bench.ts [--sizes 10,20] [--runs 3] [--no-ansible]
 * --no-ansible: the floor and overlab deploy only (a quick check of a deploy change).
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deploy, teardown, type DeployRun } from '../src/engine/deploy/deploy.js';
import { createEngine } from '../src/engine/engine.js';
import { chooseLabLayout, knownHostsPath, labDown, labKeyPath, labUp } from '../src/engine/lab/lab.js';
import { createProject } from '../src/engine/store/project.js';
import { plan } from '../src/shared/plan.js';
import { makeTemplate } from '../src/shared/templates.js';
import { defaultRegistry } from '../src/shared/tunnels/index.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const sizes = arg('--sizes', '10,20').split(',').map(Number);
const runs = Number(arg('--runs', '3'));
const withAnsible = !process.argv.includes('--no-ansible');
const registry = defaultRegistry;

if (process.getuid?.() !== 0) {
  console.error('ansible.bench: needs root (the embedded lab)');
  process.exit(1);
}

/** Runs argv to its end; the exit code and output, never a throw. */
function exec(argv: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const spread = (xs: readonly number[]): string => xs.length === 0 ? 'not run' : `${sec(median(xs))} (${(Math.min(...xs) / 1000).toFixed(2)}–${(Math.max(...xs) / 1000).toFixed(2)})`;

interface Row {
  n: number;
  floor: number[];
  overlab: number[];
  ansible5: number[];
  ansibleN: number[];
  /** Per step, the median over hosts of overlab's step times, per run. */
  steps: Record<string, number[]>;
  slowest: Record<string, number[]>;
  /** Wall time of each phase of the deploy (every host through it), per run. */
  phases: Record<string, number[]>;
}

const rows: Row[] = [];
for (const n of sizes) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `overlab-ansible-bench-${n}-`));
  const out = path.join(dir, 'ansible');
  const row: Row = { n, floor: [], overlab: [], ansible5: [], ansibleN: [], steps: {}, slowest: {}, phases: {} };
  try {
    const made = makeTemplate({ template: 'hub-spoke', hosts: n, kind: 'vxlan' }, registry).value!;
    // The same management range as tests/lab/ansible.lab.test.ts: clear of the other lab tests'.
    const t = { ...made, lab: { management: '198.18.248.0/22' } };
    await createProject(dir, t, registry);
    const L = await chooseLabLayout(dir, t, plan(t, registry).value!);
    await labUp(dir, L);
    await createEngine({ registry })['export.ansible']({ dir, out });
    const key = labKeyPath(dir);
    const known = knownHostsPath(dir);

    // The floor: one SSH login per host, all at once, running nothing.
    for (let r = 0; r < runs; r++) {
      const t0 = Date.now();
      const res = await Promise.all(
        L.hosts.map((h) =>
          exec(['ssh', '-F', '/dev/null', '-i', key, '-o', `UserKnownHostsFile=${known}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ControlMaster=no', '-o', 'ControlPath=none', `root@${h.mgmtAddress}`, 'true']),
        ),
      );
      row.floor.push(Date.now() - t0);
      const bad = res.find((x) => x.code !== 0);
      if (bad) throw new Error(`ssh floor failed: ${bad.out}`);
    }

    const fresh = async (): Promise<void> => {
      const d = await teardown(dir, registry);
      if (!d.ok) throw new Error(`teardown failed: ${JSON.stringify(d.hosts.filter((h) => h.status === 'failed'))}`);
    };
    const ok = (d: DeployRun): void => {
      if (!d.ok || d.hosts.some((h) => h.status !== 'applied')) throw new Error(`deploy failed: ${JSON.stringify(d.hosts.filter((h) => h.status !== 'applied'))}`);
    };

    for (let r = 0; r < runs; r++) {
      await fresh();
      const t0 = Date.now();
      const d = await deploy(dir, registry);
      row.overlab.push(Date.now() - t0);
      ok(d);
      for (const [ph, ms] of Object.entries(d.phases ?? {})) (row.phases[ph] ??= []).push(ms);
      for (const step of ['connect', 'preflight', 'apply', 'verify'] as const) {
        const times = d.hosts.map((h) => h.timings[step] ?? 0);
        (row.steps[step] ??= []).push(median(times));
        (row.slowest[step] ??= []).push(Math.max(...times));
      }
    }

    for (const [forks, into] of withAnsible
      ? ([
          [undefined, row.ansible5],
          [n, row.ansibleN],
        ] as const)
      : []) {
      for (let r = 0; r < runs; r++) {
        await fresh();
        // A control-socket folder per run: each run opens its own SSH connections, as overlab deploy does.
        const cp = await fs.mkdtemp(path.join(dir, 'cp-'));
        const t0 = Date.now();
        const res = await exec(['ansible-playbook', 'deploy.yml', ...(forks ? ['--forks', String(forks)] : [])], { cwd: out, env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_SSH_CONTROL_PATH_DIR: cp } });
        into.push(Date.now() - t0);
        if (res.code !== 0) throw new Error(`ansible-playbook failed:\n${res.out.slice(-3000)}`);
      }
    }
    await fresh();
    rows.push(row);
  } finally {
    await labDown(dir).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

console.log(`VXLAN hub-spoke on the embedded lab, ${os.cpus().length} cores, ${runs} runs each: median (min–max); every deploy a fresh one`);
console.log('hosts  ssh floor              overlab deploy         ansible forks=5        ansible forks=hosts');
for (const r of rows) console.log(`${String(r.n).padStart(5)}  ${spread(r.floor).padEnd(22)} ${spread(r.overlab).padEnd(22)} ${spread(r.ansible5).padEnd(22)} ${spread(r.ansibleN)}`);
console.log('ratios of the medians:');
for (const r of rows) {
  const [f, o, a5, aN] = [median(r.floor), median(r.overlab), median(r.ansible5), median(r.ansibleN)];
  console.log(`${String(r.n).padStart(5)}  overlab/floor ${(o / f).toFixed(2)}x   ansible(5)/overlab ${(a5 / o).toFixed(1)}x   ansible(${r.n})/overlab ${(aN / o).toFixed(1)}x   (overlab/ansible ${(o / a5).toFixed(3)} and ${(o / aN).toFixed(3)})`);
}
console.log("overlab deploy's steps per host (median over hosts / slowest host, median of the runs):");
for (const r of rows) console.log(`${String(r.n).padStart(5)}  ${Object.keys(r.steps).map((s) => `${s} ${sec(median(r.steps[s]!))} / ${sec(median(r.slowest[s]!))}`).join(', ')}`);
console.log("overlab deploy's phases, wall time over all hosts (median of the runs):");
for (const r of rows) console.log(`${String(r.n).padStart(5)}  ${Object.keys(r.phases).map((p) => `${p} ${sec(median(r.phases[p]!))}`).join(', ')}`);
