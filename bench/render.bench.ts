/**
 * Plan + render of large meshes: a 200-host WireGuard mesh (one network, 199 peers per host)
 * and a 200-host VXLAN mesh (19,900 point-to-point links, 199 devices per host).
 * Prints the figures; no assertion. Target on the 2-core CI machine: under 2 s each.
 *   node scripts/run-ts.mjs bench/render.bench.ts [--hosts N] [--runs R]
 */
import { plan } from '../src/shared/plan.js';
import { render } from '../src/shared/render.js';
import { TopologySchema, type Topology } from '../src/shared/schema.js';
import { placeholderSecrets } from '../src/shared/secrets.js';
import { defaultRegistry } from '../src/shared/tunnels/index.js';
import { validateTopology } from '../src/shared/validate.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('--hosts', 200);
const RUNS = arg('--runs', 3);

function mesh(kind: string): Topology {
  const hosts = Array.from({ length: N }, (_, i) => ({ name: `h${i}` }));
  const links = [];
  for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) links.push({ a: `h${i}`, b: `h${j}`, kind });
  return TopologySchema.parse({ schemaVersion: 3, name: `${kind} mesh`, shape: 'mesh', hosts, links });
}

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const kind of ['wireguard', 'vxlan']) {
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
  console.log(
    `${kind.padEnd(10)} ${N} hosts, ${t.links.length} links: validate ${median(times.validate).toFixed(0)} ms, plan ${median(times.plan).toFixed(0)} ms, render ${median(times.render).toFixed(0)} ms, plan+render ${total.toFixed(0)} ms (target < 2000), ${(bytes / 1e6).toFixed(1)} MB of bundles (median of ${RUNS})`,
  );
}
