/**
 * Plan + render of large meshes, each host with its own LAN (as the templates make them, so
 * every host routes every other LAN): 200-host WireGuard, tinc and Nebula meshes (one network,
 * 199 peers per host) and a 200-host VXLAN mesh (19,900 point-to-point links, 199 devices per
 * host). Prints the figures and each kind's ratio to VXLAN's; no assertion. Targets on the
 * 2-core CI machine: the mesh-model kinds under 1 s of plan + render, none slower than VXLAN.
 * `npm test` runs it (`--runs 1`), so a regression shows in every CI log.
 *   node scripts/run-ts.mjs bench/render.bench.ts [--hosts N] [--runs R]
 */
import { plan } from '../src/shared/plan.js';
import { render } from '../src/shared/render.js';
import type { Topology } from '../src/shared/schema.js';
import { makeTemplate } from '../src/shared/templates.js';
import { placeholderSecrets } from '../src/shared/secrets.js';
import { defaultRegistry } from '../src/shared/tunnels/index.js';
import { validateTopology } from '../src/shared/validate.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('--hosts', 200);
const RUNS = arg('--runs', 3);

/** A full mesh where the kind builds one, else (star kinds) a hub with N−1 spokes. */
function mesh(kind: string): Topology {
  const shape = defaultRegistry.kinds.find((k) => k.id === kind)!.shapes.includes('mesh') ? 'mesh' : 'hub-spoke';
  const t = makeTemplate({ template: shape, hosts: N, kind, name: `${kind} ${shape}` }, defaultRegistry);
  if (!t.value) throw new Error(JSON.stringify(t.diagnostics.slice(0, 3)));
  return t.value;
}

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const totals = new Map<string, number>();
console.log(`plan + render of ${N}-host projects, every host with a LAN (median of ${RUNS}); targets: mesh-model kinds < 1000 ms, no kind above VXLAN's ×1`);
const only = process.argv.includes('--kinds') ? process.argv[process.argv.indexOf('--kinds') + 1]!.split(',') : undefined;
const kinds = ['vxlan', ...defaultRegistry.kinds.map((k) => k.id).filter((k) => k !== 'vxlan' && (!only || only.includes(k)))];
for (const kind of kinds) {
  const t = mesh(kind);
  const times = { validate: [] as number[], plan: [] as number[], render: [] as number[] };
  let bytes = 0;
  for (let r = 0; r < RUNS; r++) {
    let t0 = process.hrtime.bigint();
    const v = validateTopology(t, defaultRegistry);
    times.validate.push(ms(t0));
    if (!v.value) throw new Error(JSON.stringify(v.diagnostics.slice(0, 3)));
    t0 = process.hrtime.bigint();
    const p = plan(v.value, defaultRegistry);
    times.plan.push(ms(t0));
    if (!p.value) throw new Error(JSON.stringify(p.diagnostics.slice(0, 3)));
    t0 = process.hrtime.bigint();
    const bundles = render(p.value, defaultRegistry, placeholderSecrets);
    times.render.push(ms(t0));
    bytes = bundles.reduce((n, b) => n + b.up.length + b.down.length + b.files.reduce((m, f) => m + f.content.length, 0), 0);
  }
  const total = median(times.plan) + median(times.render);
  totals.set(kind, total);
  const vsVxlan = kind === 'vxlan' ? '  1.00' : (total / totals.get('vxlan')!).toFixed(2).padStart(6);
  const model = defaultRegistry.kinds.find((k) => k.id === kind)!.model;
  console.log(
    `${kind.padEnd(15)} ${model.padEnd(4)} ${t.shape.padEnd(9)} ${String(t.links.length).padStart(5)} links  validate ${median(times.validate).toFixed(0).padStart(4)} ms  plan ${median(times.plan).toFixed(0).padStart(4)} ms  render ${median(times.render).toFixed(0).padStart(4)} ms  plan+render ${total.toFixed(0).padStart(5)} ms  ×VXLAN ${vsVxlan}  ${(bytes / 1e6).toFixed(1).padStart(5)} MB`,
  );
}
