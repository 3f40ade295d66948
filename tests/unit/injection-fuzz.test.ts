/**
 * The injection fuzz of the project file (tests/fuzz/injection.ts says what each case must do),
 * seeded: OVERLAB_FUZZ_SEED replays a run, OVERLAB_FUZZ_CASES changes its size (at least 5,000
 * here; bench/fuzz.bench.ts runs more). A failure prints the seed, fast-check's replay path and
 * the smallest counterexample found, as a case to keep as a regression test.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { q, quotedText } from '../../src/shared/shell.js';
import { caseArb, checkScripts, describeCase, fuzzCases, fuzzSeed, registry, runCase, ScriptSet, type FuzzCase } from '../fuzz/injection.js';

const seed = fuzzSeed();
const CASES = fuzzCases(5000);
const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;

describe('injection fuzz of the project file', () => {
  const scripts = new ScriptSet();
  const tally = new Map<string, Record<string, number>>();
  const count = (key: string, verdict: string): void => {
    const row = tally.get(key) ?? {};
    row[verdict] = (row[verdict] ?? 0) + 1;
    tally.set(key, row);
  };

  it(`every hostile value of every field of every kind is refused at its path, or accepted and rendered harmless (${CASES} cases, seed ${seed})`, () => {
    const t0 = Date.now();
    const details = fc.check(
      fc.property(caseArb(), (c: FuzzCase) => {
        const o = runCase(c);
        if (o.problems.length > 0) throw new Error(o.problems.slice(0, 5).join('\n'));
        count(`kind ${c.kind}`, o.verdict);
        count(`field ${c.field}`, o.verdict);
        count(`mode ${c.mode}`, o.verdict);
        count('all', o.verdict);
        for (const b of o.bundles ?? []) {
          scripts.add(b.up, describeCase(c, seed));
          scripts.add(b.down, describeCase(c, seed));
        }
      }),
      { seed, numRuns: CASES },
    );
    if (details.failed) {
      const c = details.counterexample?.[0] as FuzzCase | undefined;
      throw new Error(
        [
          `injection fuzz failed after ${details.numRuns} cases: seed ${details.seed}, path ${JSON.stringify(details.counterexamplePath)} (replay: OVERLAB_FUZZ_SEED=${details.seed})`,
          c ? `smallest counterexample: ${describeCase(c, seed)}` : '',
          String(details.errorInstance instanceof Error ? details.errorInstance.message : details.errorInstance),
        ].join('\n'),
      );
    }
    const all = tally.get('all') ?? {};
    console.log(
      `injection fuzz: ${details.numRuns} cases in ${((Date.now() - t0) / 1000).toFixed(1)} s (seed ${seed}): ${JSON.stringify(all)}; ` +
        `${scripts.scripts} scripts rendered, ${scripts.size} distinct in their code`,
    );
    for (const [k, v] of [...tally].filter(([k]) => k.startsWith('kind ') || k.startsWith('mode '))) console.log(`  ${k}: ${JSON.stringify(v)}`);
    console.log(`  fields accepted at least once: ${[...tally].filter(([k, v]) => k.startsWith('field ') && v.accepted).map(([k]) => k.slice(6)).join(', ')}`);
    expect(details.numRuns).toBeGreaterThanOrEqual(Math.min(CASES, 5000));
    // Every kind was reached, and some cases of every kind were accepted (rendered and checked);
    // a short run (OVERLAB_FUZZ_CASES) may miss some.
    if (CASES >= 3000) for (const k of registry.kinds) expect(tally.get(`kind ${k.id}`)?.accepted ?? 0, k.id).toBeGreaterThan(0);
  }, 600_000);

  it('the scripts of the accepted cases pass sh -n and shellcheck', async () => {
    expect(scripts.size).toBeGreaterThan(0);
    const reps = scripts.representatives();
    const r = await checkScripts(reps, { shellcheck: hasShellcheck });
    console.log(`injection fuzz: ${scripts.scripts} scripts, ${r.files} distinct in their code: sh -n ${r.shNMs} ms, shellcheck ${hasShellcheck ? `${r.shellcheckMs} ms` : 'not installed'}`);
    expect(r.problems).toEqual([]);
  }, 600_000);
});

describe('q(), the one shell quoting', () => {
  // dash reads each quoted word back as the value itself: printf prints it between NUL bytes.
  it('gives back every value as one word through the shell (and quotedText every text, line breaks included)', () => {
    const values = fc.sample(fc.string({ unit: fc.oneof(fc.constantFrom("'", '"', '\\', '$', '`', '!', '*', ' ', '\t', '%', '-', '~', '#', ';', '&', '|', '(', '{', '='), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 30 }), { seed, numRuns: 2000 })
      // A file holds UTF-8: what a lone surrogate becomes there is not the shell's business.
      .map((s) => Buffer.from(s, 'utf8').toString('utf8'))
      .filter((s) => !s.includes('\0'));
    const words = values.filter((s) => !/[\n\r]/.test(s));
    const texts = values.map((s, i) => (i % 3 === 0 ? `${s}\n${s}\r\n` : s));
    const script = [`printf '%s\\0' ${words.map(q).join(' ')}`, `printf '%s\\0' ${texts.map(quotedText).join(' ')}`].join('\n');
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\0').slice(0, -1)).toEqual([...words, ...texts]);
  });

  it('refuses line breaks and NUL', () => {
    for (const bad of ['a\nb', 'a\rb', 'a\0b']) expect(() => q(bad)).toThrow(/bug/);
  });
});
