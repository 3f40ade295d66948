/**
 * Embedded-lab bring-up and SSH deploy of a VXLAN mesh for 5, 10 and 20 hosts. Prints
 * figures and the growth ratio; no assertion. Deploy is parallel (one SSH connection per
 * host), so its time should grow far slower than the host count.
 *   sudo node scripts/run-ts.mjs bench/lab.bench.ts [--sizes 5,10,20] [--kind vxlan] [--template mesh|hub-spoke]
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deploy, teardown } from '../src/engine/deploy/deploy.js';
import { chooseLabLayout, labDown, labUp } from '../src/engine/lab/lab.js';
import { createProject } from '../src/engine/store/project.js';
import { plan } from '../src/shared/plan.js';
import { makeTemplate } from '../src/shared/templates.js';
import { defaultRegistry } from '../src/shared/tunnels/index.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const sizes = arg('--sizes', '5,10,20').split(',').map(Number);
const kind = arg('--kind', 'vxlan');
const template = arg('--template', 'mesh') as 'mesh' | 'hub-spoke';
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

if (process.getuid?.() !== 0) {
  console.error('lab.bench: needs root (the embedded lab)');
  process.exit(1);
}

const rows: { n: number; links: number; labUp: number; deploy: number; redeploy: number; teardown: number; labDown: number }[] = [];
for (const n of sizes) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `overlab-bench-${n}-`));
  try {
    const made = makeTemplate({ template, hosts: n, kind }, defaultRegistry).value!;
    // Keep clear of a user's own lab on the default management range.
    const t = { ...made, lab: { management: '198.18.224.0/20' } };
    await createProject(dir, t, defaultRegistry);
    const L = await chooseLabLayout(dir, t, plan(t, defaultRegistry).value!);
    let t0 = Date.now();
    await labUp(dir, L);
    const labUpMs = Date.now() - t0;
    t0 = Date.now();
    const d = await deploy(dir, defaultRegistry);
    const deployMs = Date.now() - t0;
    if (!d.ok) throw new Error(`deploy failed: ${JSON.stringify(d.hosts.filter((h) => h.status === 'failed'))}`);
    t0 = Date.now();
    await deploy(dir, defaultRegistry);
    const redeployMs = Date.now() - t0;
    t0 = Date.now();
    await teardown(dir, defaultRegistry);
    const teardownMs = Date.now() - t0;
    t0 = Date.now();
    await labDown(dir);
    rows.push({ n, links: t.links.length, labUp: labUpMs, deploy: deployMs, redeploy: redeployMs, teardown: teardownMs, labDown: Date.now() - t0 });
  } finally {
    await labDown(dir).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

console.log(`hosts  links  lab up    deploy    redeploy  teardown  lab down   (${kind} ${template}, ${os.cpus().length} cores)`);
for (const r of rows) console.log(`${String(r.n).padStart(5)}  ${String(r.links).padStart(5)}  ${sec(r.labUp).padEnd(9)} ${sec(r.deploy).padEnd(9)} ${sec(r.redeploy).padEnd(9)} ${sec(r.teardown).padEnd(9)} ${sec(r.labDown)}`);
if (rows.length >= 2) {
  const a = rows[0]!;
  const b = rows[rows.length - 1]!;
  console.log(`${b.n / a.n}x the hosts: lab up ${(b.labUp / a.labUp).toFixed(1)}x, deploy ${(b.deploy / a.deploy).toFixed(1)}x (${b.links / a.links}x the links)`);
}
