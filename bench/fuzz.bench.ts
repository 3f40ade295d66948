/**
 * The injection fuzz of the project file (tests/fuzz/injection.ts) for long runs: as many cases as
 * asked, from a seed (default: the unit test's), then `sh -n` and shellcheck over the distinct
 * scripts of the accepted cases. Prints the counts, the times and every problem with its case;
 * exits 1 when there is one (the smallest counterexample fast-check found, with the seed and the
 * replay path).
 * `--controls` first runs every valid value of every field of every kind (each host picked, read
 * as data and as YAML): no hostile text, but every renamed host, interface, option and pool.
 *   node scripts/run-ts.mjs bench/fuzz.bench.ts [--cases N] [--seed S] [--no-shellcheck] [--controls]
 */
import fc from 'fast-check';
import { caseArb, checkScripts, describeCase, DEFAULT_SEED, fieldsOf, registry, runCase, ScriptSet, type FuzzCase, type Mode } from '../tests/fuzz/injection.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const CASES = arg('--cases', 20_000);
const SEED = arg('--seed', Number(process.env.OVERLAB_FUZZ_SEED ?? DEFAULT_SEED));
const shellcheck = !process.argv.includes('--no-shellcheck');

const verdicts = new Map<string, number>();
const byKind = new Map<string, Map<string, number>>();
const scripts = new ScriptSet();
const bump = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);

let failed = false;
if (process.argv.includes('--controls')) {
  const tc = Date.now();
  let n = 0;
  for (const k of registry.kinds) {
    for (const f of fieldsOf(k)) {
      for (const value of f.valid) {
        for (const pick of [0, 1, 2]) {
          for (const mode of ['object', 'yaml'] as Mode[]) {
            const c: FuzzCase = { kind: k.id, field: f.id, pick, mode, mark: 0, value };
            const o = runCase(c);
            n++;
            for (const b of o.bundles ?? []) {
              scripts.add(b.up, describeCase(c, SEED));
              scripts.add(b.down, describeCase(c, SEED));
            }
            if (o.problems.length) {
              failed = true;
              console.log(`control ${describeCase(c, SEED)}:\n  ${o.problems.slice(0, 5).join('\n  ')}`);
            }
          }
        }
      }
    }
  }
  console.log(`controls: ${n} cases (every valid value of every field of every kind) in ${((Date.now() - tc) / 1000).toFixed(1)} s`);
}

const t0 = Date.now();
const details = fc.check(
  fc.property(caseArb(), (c: FuzzCase) => {
    const o = runCase(c);
    if (o.problems.length > 0) throw new Error(o.problems.slice(0, 5).join('\n'));
    bump(verdicts, o.verdict);
    if (!byKind.has(c.kind)) byKind.set(c.kind, new Map());
    bump(byKind.get(c.kind)!, o.verdict);
    for (const b of o.bundles ?? []) {
      scripts.add(b.up, describeCase(c, SEED));
      scripts.add(b.down, describeCase(c, SEED));
    }
  }),
  { seed: SEED, numRuns: CASES },
);
const caseMs = Date.now() - t0;
console.log(`injection fuzz: ${details.numRuns} cases (seed ${SEED}) in ${(caseMs / 1000).toFixed(1)} s, ${(caseMs / Math.max(1, details.numRuns)).toFixed(2)} ms a case: ${JSON.stringify(Object.fromEntries(verdicts))}`);
for (const [kind, v] of [...byKind].sort(([a], [b]) => a.localeCompare(b))) console.log(`  ${kind.padEnd(16)} ${JSON.stringify(Object.fromEntries(v))}`);

if (details.failed) {
  failed = true;
  const c = details.counterexample?.[0] as FuzzCase | undefined;
  console.log(`FAILED after ${details.numRuns} cases: seed ${details.seed}, path ${JSON.stringify(details.counterexamplePath)}`);
  if (c) console.log(`smallest counterexample: ${describeCase(c, SEED)}`);
  console.log(String(details.errorInstance instanceof Error ? details.errorInstance.message : details.errorInstance));
}

const r = await checkScripts(scripts.representatives(), { shellcheck });
console.log(`scripts: ${scripts.scripts} rendered, ${r.files} distinct in their code; sh -n ${r.shNMs} ms, shellcheck ${shellcheck ? `${r.shellcheckMs} ms` : 'skipped'}`);
for (const p of r.problems) console.log(`  ${p}`);
if (r.problems.length > 0) failed = true;
process.exitCode = failed ? 1 : 0;
