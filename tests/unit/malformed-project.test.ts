/**
 * A damaged or hostile overlab.yaml through the real doors — `overlab validate`/`plan`/`render`
 * in-process and the engine's project.open, plan.compute and render.bundles: cut short, emptied,
 * garbage, alias bombs, deep nesting, chained anchors, 100 MB, and seeded random mutations of a
 * real project (fast-check). Each gives problems that name the file (the CLI's lines) and never
 * an internal error or a stack, in bounded time, and the file is never written.
 */
import fc from 'fast-check';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { ApiError, createEngine } from '../../src/engine/engine.js';
import { hasErrors } from '../../src/shared/diagnostics.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

/** A correctness bound on this loaded 2-core machine (no hang), not a speed target. */
const BOUND_MS = 20_000;

let root = '';
let dir = '';
let file = '';
/** The project as `overlab new` wrote it: a 4-host WireGuard mesh. */
let good = '';
const engine = createEngine({ registry: defaultRegistry });

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-bad-yaml-'));
  dir = path.join(root, 'p');
  file = path.join(dir, 'overlab.yaml');
  expect((await cli('new', dir, '--template', 'mesh', '--hosts', '4', '--kind', 'wireguard')).code).toBe(0);
  good = await fs.readFile(file, 'utf8');
});
afterAll(() => fs.rm(root, { recursive: true, force: true }));

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What every door says of a file that does not read: problems naming it, no stack, no internal error, nothing written. */
async function expectRefusedEverywhere(bytes: Buffer | 'huge'): Promise<void> {
  if (bytes === 'huge') {
    await fs.rm(file, { force: true });
    await fs.writeFile(file, '');
    await fs.truncate(file, 100 << 20);
  } else await fs.writeFile(file, bytes);
  const before = bytes === 'huge' ? undefined : await fs.readFile(file);
  const named = new RegExp(`\\(${escape(file)}(:\\d+:\\d+)?\\)$`);
  for (const command of ['validate', 'plan']) {
    const t0 = Date.now();
    const r = await cli(command, dir);
    expect(Date.now() - t0).toBeLessThan(BOUND_MS);
    expect(r.code, `${command}: ${r.err}`).toBe(1);
    const lines = r.err.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(21);
    for (const l of lines) {
      expect(l).toMatch(/^[^:]+: error: /);
      expect(l).toMatch(named);
      expect(l).not.toMatch(/^\s+at |internal error|TypeError|RangeError|Maximum call stack/);
    }
  }
  const t0 = Date.now();
  // Twice in one process: after a stack overflow inside yaml's parser, Node 20 could abort on the next parse.
  for (let i = 0; i < 2; i++) {
    const snap = await engine['project.open']({ dir });
    expect(snap.topology).toBeUndefined();
    expect(hasErrors(snap.diagnostics)).toBe(true);
    for (const d of snap.diagnostics) expect(d.message).not.toMatch(/[\n\r]/);
    const planned = await engine['plan.compute']({ dir });
    expect(planned.plan).toBeUndefined();
  }
  const e = await engine['render.bundles']({ dir, out: path.join(root, 'out') }).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ApiError);
  expect((e as ApiError).code).toBe('invalid-arguments');
  expect(Date.now() - t0).toBeLessThan(BOUND_MS);
  // Nothing written: the file, no secrets, no bundles.
  if (before) expect((await fs.readFile(file)).equals(before)).toBe(true);
  else expect((await fs.stat(file)).size).toBe(100 << 20);
  expect(await fs.readdir(path.join(dir, '.overlab', 'secrets'))).toEqual([]);
  await expect(fs.stat(path.join(root, 'out'))).rejects.toMatchObject({ code: 'ENOENT' });
}

const deepSeq = (n: number): string => Array.from({ length: n }, (_, i) => `${' '.repeat(2 * i)}- `).join('\n');
const bomb = (): string => {
  // "Billion laughs": nine levels of nine aliases, 9^9 strings if expanded.
  const names = 'abcdefghi';
  return [`a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]`, ...names.slice(1).split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${names[i]!}`).join(', ')}]`), ''].join('\n');
};

const FIXED: Readonly<Record<string, () => Buffer | 'huge'>> = {
  'cut short': () => Buffer.from(good.slice(0, Math.floor(good.length * 0.6))),
  emptied: () => Buffer.alloc(0),
  'binary garbage': () => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)),
  'NUL bytes': () => Buffer.from(`${good.slice(0, 200)}\0\0\0${good.slice(200)}`),
  'not UTF-8': () => Buffer.concat([Buffer.from(good.slice(0, 100)), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(good.slice(100))]),
  'a billion laughs': () => Buffer.from(bomb()),
  'a billion laughs in a project': () => Buffer.from(`${bomb()}${good.replace(/^#.*\n/, '')}`),
  'nested 5,000 block sequences deep': () => Buffer.from(deepSeq(5000)),
  'nested 100,000 flow sequences deep': () => Buffer.from(`a: ${'['.repeat(100_000)}${']'.repeat(100_000)}`),
  'an unclosed flow of 200,000 brackets': () => Buffer.from(`a: ${'['.repeat(200_000)}`),
  'nested 3,000 mappings deep': () => Buffer.from(Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n')),
  'deep nesting behind a syntax error': () => Buffer.from(`]\n${deepSeq(3000)}`),
  'deep nesting behind an unknown tag': () => Buffer.from(`x: !!binary aGk=\na: ${'{b: '.repeat(5000)}`),
  '3,000 chained anchors': () => Buffer.from(Array.from({ length: 3000 }, (_, i) => (i === 0 ? 'a0: &a0 [x]' : `a${i}: &a${i} [*a${i - 1}]`)).join('\n')),
  'several documents': () => Buffer.from(`${good}---\n${good}`),
  '100 KiB of stray brackets': () => Buffer.from(']\n'.repeat(50 << 10)),
  '1 MiB of stray brackets': () => Buffer.from(']\n'.repeat(512 << 10)),
  '8 MiB of YAML that is not a project': () => Buffer.from('- a\n'.repeat(2 << 20)),
  // Past the size whose problems are placed: js-yaml's value is walked, aliases and all.
  'a billion laughs padded past 2 MiB': () => Buffer.from(`${bomb()}${`#${' '.repeat(70)}\n`.repeat(32 << 10)}`),
  '3 MiB of aliases in one list': () => Buffer.from(`a: &x [1]\nb:\n${'  - *x\n'.repeat(400 << 10)}`),
  '100 MB': () => 'huge',
};

describe('an overlab.yaml that does not read', () => {
  it.each(Object.keys(FIXED))('%s: every door says so, naming the file, in bounded time, writing nothing', async (how) => {
    try {
      await expectRefusedEverywhere(FIXED[how]!());
    } finally {
      await fs.rm(file, { force: true });
      await fs.writeFile(file, good);
    }
  });
});

/** YAML's (and JSON's) metacharacters, and sequences that change a document's shape. */
const META = [':', ': ', '-', '- ', '&a ', '*a', '!!', '!x ', '[', ']', '{', '}', ',', '|', '>', '#', "'", '"', '? ', '---\n', '...\n', '\t', '%YAML 1.1\n', '\n', '\r\n', '\0', '<<: ', '\\', '\uFEFF', '~', '@', '`', '&a [*a]', 'x: &b [*b, *b]'];

type Mutation = { op: 'truncate'; at: number } | { op: 'flip'; at: number; mask: number } | { op: 'insert'; at: number; text: string } | { op: 'delete'; at: number; length: number } | { op: 'repeat-line'; at: number; times: number };

function mutate(b: Buffer, m: Mutation): Buffer {
  const at = Math.min(m.at, b.length);
  switch (m.op) {
    case 'truncate':
      return b.subarray(0, at);
    case 'flip': {
      const c = Buffer.from(b);
      c[at % b.length]! ^= m.mask;
      return c;
    }
    case 'insert':
      return Buffer.concat([b.subarray(0, at), Buffer.from(m.text), b.subarray(at)]);
    case 'delete':
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + m.length))]);
    case 'repeat-line': {
      const lines: Buffer[] = [];
      for (let start = 0; start <= b.length; ) {
        const end = b.indexOf(10, start);
        lines.push(b.subarray(start, end < 0 ? b.length : end + 1));
        if (end < 0) break;
        start = end + 1;
      }
      const i = m.at % lines.length;
      return Buffer.concat([...lines.slice(0, i), ...Array<Buffer>(m.times).fill(lines[i]!), ...lines.slice(i)]);
    }
  }
}

describe('seeded random damage to a real project (fast-check)', () => {
  it('reads to a project or to problems, through the engine and the CLI, never throwing, never writing', async () => {
    const size = Buffer.byteLength(good);
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      fc.record({ op: fc.constant('truncate' as const), at: fc.nat({ max: size }) }),
      fc.record({ op: fc.constant('flip' as const), at: fc.nat({ max: size }), mask: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ op: fc.constant('insert' as const), at: fc.nat({ max: size }), text: fc.constantFrom(...META) }),
      fc.record({ op: fc.constant('delete' as const), at: fc.nat({ max: size }), length: fc.integer({ min: 1, max: 200 }) }),
      fc.record({ op: fc.constant('repeat-line' as const), at: fc.nat({ max: 200 }), times: fc.integer({ min: 1, max: 50 }) }),
    );
    let refused = 0;
    let cliRuns = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), async (ms, viaCli) => {
          let bytes: Buffer = Buffer.from(good);
          for (const m of ms) bytes = mutate(bytes, m);
          await fs.writeFile(file, bytes);
          const t0 = Date.now();
          const snap = await engine['project.open']({ dir });
          if (!snap.topology) {
            refused++;
            expect(hasErrors(snap.diagnostics)).toBe(true);
          }
          for (const d of snap.diagnostics) {
            expect(d.message.length).toBeGreaterThan(0);
            expect(d.message).not.toMatch(/[\n\r]|Maximum call stack|is not a function|Cannot read propert/);
          }
          const planned = await engine['plan.compute']({ dir });
          if (!snap.topology) expect(planned.plan).toBeUndefined();
          if (viaCli && cliRuns < 40) {
            cliRuns++;
            const r = await cli('validate', dir);
            expect(r.code).toBe(snap.topology && !hasErrors(snap.diagnostics) ? 0 : 1);
            for (const l of r.err.split('\n').filter(Boolean)) expect(l).toMatch(new RegExp(`\\(${escape(file)}(:\\d+:\\d+)?\\)$`));
          }
          expect(Date.now() - t0).toBeLessThan(BOUND_MS);
          expect((await fs.readFile(file)).equals(bytes)).toBe(true);
        }),
        { seed: 4242, numRuns: 150 },
      );
    } finally {
      await fs.writeFile(file, good);
    }
    // The property means something only if many of the mutations broke the file.
    expect(refused).toBeGreaterThan(40);
  }, 120_000);
});
