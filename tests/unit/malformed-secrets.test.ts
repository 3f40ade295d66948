/**
 * Damaged secrets in `.overlab/secrets/` are refused, never used and never made again behind the
 * person's back (hosts may hold the old key): every secret type Overlab makes, each of its parts
 * truncated, emptied, replaced by garbage or by another type's part, removed or grown to 100 MB,
 * spec.json cut short or edited, and seeded random mutations (fast-check) of every file. Each
 * refusal names the file and the folder to remove to make a new secret, takes bounded time, and
 * leaves the store byte for byte as it was (no file replaced, no temporary folder left).
 * Through the doors too: `render.bundles` of the engine and `overlab render`.
 */
import fc from 'fast-check';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { ApiError, createEngine } from '../../src/engine/engine.js';
import { ensureSecrets, SecretStoreError } from '../../src/engine/secrets/store.js';
import type { SecretSpec } from '../../src/shared/secrets.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

/** A generous bound for one refusal on this loaded machine: a correctness bound (no hang), not a speed target. */
const BOUND_MS = 20_000;

const SPECS: readonly SecretSpec[] = [
  { ref: 'wg/n/a', kind: { type: 'x25519' } },
  { ref: 'psk/n/hex', kind: { type: 'random', bytes: 32, encoding: 'hex' } },
  { ref: 'psk/n/b64', kind: { type: 'random', bytes: 32, encoding: 'base64' } },
  { ref: 'pw/n/user', kind: { type: 'password', length: 20 } },
  { ref: 'rsa/n/a', kind: { type: 'rsa', bits: 2048 } },
  { ref: 'x509/n/ca', kind: { type: 'x509-ca', commonName: 'test CA' } },
  { ref: 'x509/n/hub', kind: { type: 'x509-cert', ca: 'x509/n/ca', commonName: 'hub', usage: 'server', sans: ['198.18.0.1'] } },
  { ref: 'nebula/n/ca', kind: { type: 'nebula-ca', name: 'test' } },
  { ref: 'nebula/n/a', kind: { type: 'nebula-cert', ca: 'nebula/n/ca', name: 'a', ip: '10.0.0.1/24' } },
];

/** Each part, and the part of another type put in its place for "wrong type" (chosen so that the two are told apart by format). */
const DONOR: Readonly<Record<string, string>> = {
  'wg/n/a/private': 'rsa/n/a/private',
  'wg/n/a/public': 'x509/n/ca/cert',
  'psk/n/hex/value': 'wg/n/a/public',
  'psk/n/b64/value': 'pw/n/user/value',
  'pw/n/user/value': 'psk/n/hex/value',
  'pw/n/user/hash': 'x509/n/hub/fingerprint',
  'rsa/n/a/private': 'x509/n/ca/key',
  'rsa/n/a/public': 'wg/n/a/public',
  'x509/n/ca/key': 'rsa/n/a/private',
  'x509/n/ca/cert': 'nebula/n/ca/cert',
  'x509/n/hub/key': 'nebula/n/a/key',
  // Another certificate of the same CA's making: a sound certificate, of another key.
  'x509/n/hub/cert': 'x509/n/ca/cert',
  'x509/n/hub/fingerprint': 'psk/n/hex/value',
  'nebula/n/ca/key': 'nebula/n/a/key',
  'nebula/n/ca/cert': 'nebula/n/a/cert',
  'nebula/n/a/key': 'nebula/n/ca/key',
  'nebula/n/a/cert': 'nebula/n/ca/cert',
};

let dir = '';
let secrets = '';
/** Every file of the store as generated (relative path → bytes). */
let pristine = new Map<string, Buffer>();

async function snapshot(root: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const rel of (await fs.readdir(root, { recursive: true })).sort()) {
    const p = path.join(root, rel);
    const st = await fs.lstat(p);
    // Folders are listed too (empty ones, temporary ones left behind).
    out.set(rel, st.isFile() ? await fs.readFile(p) : Buffer.from(`<${st.isDirectory() ? 'dir' : 'other'}>`));
  }
  return out;
}

/** A seeded PRNG (mulberry32) for the fixed corruptions' garbage. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SECRET_PARTS = Object.keys(DONOR);

type Outcome = { refused: SecretStoreError } | { accepted: string[] };

/** Runs the store over the damaged project: refused (with its error) or accepted (with what it made). Bounded. */
async function runStore(): Promise<Outcome> {
  const t0 = Date.now();
  const r = await ensureSecrets(dir, SPECS).then(
    (set): Outcome => ({ accepted: [...set.created] }),
    (e: unknown): Outcome => {
      if (e instanceof SecretStoreError) return { refused: e };
      throw e;
    },
  );
  expect(Date.now() - t0).toBeLessThan(BOUND_MS);
  return r;
}

/** The refusal of a damaged `rel` (a file of the store): names it and the folder to remove, one line. */
function expectRefusalOf(o: Outcome, rel: string): void {
  expect(o, `${rel} was taken`).toHaveProperty('refused');
  const e = (o as { refused: SecretStoreError }).refused;
  const file = path.join(secrets, rel);
  expect(e.message.startsWith(`${file} `)).toBe(true);
  expect(e.message).toContain(`remove the folder ${path.dirname(file)} to make a new one`);
  expect(e.message).not.toMatch(/[\n\r]/);
  expect(e).toBeInstanceOf(ApiError);
}

/** The store holds exactly `expected` (nothing rewritten, removed, added or left half made). */
async function expectStore(expected: Map<string, Buffer>): Promise<void> {
  const now = await snapshot(secrets);
  expect([...now.keys()]).toEqual([...expected.keys()]);
  for (const [k, v] of expected) expect(now.get(k)!.equals(v), `${k} changed`).toBe(true);
}

/** Puts the store back as generated (after a case that changed a file on purpose). */
async function restore(rel: string): Promise<void> {
  const file = path.join(secrets, rel);
  await fs.rm(file, { force: true, recursive: true });
  await fs.writeFile(file, pristine.get(rel)!, { mode: 0o600 });
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-bad-secrets-'));
  secrets = path.join(dir, '.overlab', 'secrets');
  const first = await ensureSecrets(dir, SPECS);
  expect(first.created).toEqual(SPECS.map((s) => s.ref));
  pristine = await snapshot(secrets);
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

describe('the secret store reading back what it made', () => {
  it('takes every type as it was written, making none again', async () => {
    expect(await runStore()).toEqual({ accepted: [] });
    await expectStore(pristine);
  });

  it('takes a spec.json written before the check line (an earlier Overlab)', async () => {
    const rel = 'rsa/n/a/spec.json';
    const old = pristine.get(rel)!.toString().replace(/check [0-9a-f]{64}\n$/, '');
    await fs.writeFile(path.join(secrets, rel), old);
    try {
      expect(await runStore()).toEqual({ accepted: [] });
    } finally {
      await restore(rel);
    }
  });
});

const corruptions: Readonly<Record<string, (bytes: Buffer, rel: string) => Buffer | 'remove' | 'huge' | 'folder'>> = {
  truncated: (b) => b.subarray(0, Math.floor(b.length / 2)),
  emptied: () => Buffer.alloc(0),
  garbage: (b, rel) => {
    const r = prng([...rel].reduce((h, c) => h * 31 + c.charCodeAt(0), 7));
    return Buffer.from(Array.from({ length: Math.max(b.length, 16) }, () => Math.floor(r() * 256)));
  },
  'of another type': (_b, rel) => pristine.get(DONOR[rel]!)!,
  removed: () => 'remove',
  '100 MB': () => 'huge',
  'a folder': () => 'folder',
};

describe.each(Object.keys(corruptions))('a part %s', (how) => {
  it.each(SECRET_PARTS)('%s: refused, naming it, the store unchanged', async (rel) => {
    const file = path.join(secrets, rel);
    const damage = corruptions[how]!(pristine.get(rel)!, rel);
    const expected = new Map(pristine);
    if (damage === 'remove') {
      await fs.rm(file);
      expected.delete(rel);
    } else if (damage === 'folder') {
      await fs.rm(file);
      await fs.mkdir(file);
      expected.set(rel, Buffer.from('<dir>'));
    } else if (damage === 'huge') {
      // Sparse: 100 MB as far as stat is concerned, nothing on the disk.
      await fs.truncate(file, 100 << 20);
      expected.delete(rel);
    } else {
      await fs.writeFile(file, damage);
      expected.set(rel, damage);
    }
    try {
      expectRefusalOf(await runStore(), rel);
      if (damage !== 'huge') await expectStore(expected);
      else expect((await fs.stat(file)).size).toBe(100 << 20);
    } finally {
      await restore(rel);
    }
  });
});

describe('a spec.json that is not one Overlab wrote', () => {
  const edits: Readonly<Record<string, (text: string) => string | 'remove'>> = {
    'cut short': (t) => t.slice(0, Math.floor(t.length / 2)),
    emptied: () => '',
    'not JSON': (t) => t.replace(/^\{/, '{{'),
    // Parses, and would read as a request for another key size: the check line tells damage from a change.
    'with a digit changed': (t) => t.replace('2048', '2049'),
    'cut at its CA line (written before the check line)': (t) => t.split('\n')[0]! + '\n',
    removed: () => 'remove',
  };
  it.each(Object.keys(edits))('%s: refused, naming it, nothing made again', async (how) => {
    // The RSA key (its spec has a number to change) and the certificate (its spec has a CA line).
    const rel = how.includes('CA line') ? 'x509/n/hub/spec.json' : 'rsa/n/a/spec.json';
    const file = path.join(secrets, rel);
    const edited = edits[how]!(pristine.get(rel)!.toString());
    const expected = new Map(pristine);
    if (edited === 'remove') {
      await fs.rm(file);
      expected.delete(rel);
    } else {
      await fs.writeFile(file, edited);
      expected.set(rel, Buffer.from(edited));
    }
    try {
      expectRefusalOf(await runStore(), rel);
      await expectStore(expected);
    } finally {
      await restore(rel);
    }
  });

  it('still makes a secret again when its request changed (not damage)', async () => {
    const other = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-secret-change-'));
    try {
      const specs: SecretSpec[] = [{ ref: 'psk/n/x', kind: { type: 'random', bytes: 32, encoding: 'hex' } }];
      const a = await ensureSecrets(other, specs);
      const b = await ensureSecrets(other, [{ ref: 'psk/n/x', kind: { type: 'random', bytes: 16, encoding: 'hex' } }]);
      expect(b.created).toEqual(['psk/n/x']);
      expect(b.lookup('psk/n/x')).toHaveLength(32);
      expect(b.lookup('psk/n/x')).not.toBe(a.lookup('psk/n/x'));
      // No temporary folder left beside it.
      expect((await fs.readdir(path.join(other, '.overlab/secrets/psk/n'))).sort()).toEqual(['x']);
    } finally {
      await fs.rm(other, { recursive: true, force: true });
    }
  });
});

/** Characters that mean something to YAML, JSON, PEM and base64 readers. */
const META = ['\n', '\r\n', '\0', '-----', '=', '/', '+', '"', "'", '{', '}', '[', ']', ':', '#', '&', '*', '!', '\\', ' ', '\t', '\uFEFF', '\u00e9'];

type Mutation = { op: 'truncate'; at: number } | { op: 'flip'; at: number; mask: number } | { op: 'insert'; at: number; text: string } | { op: 'delete'; at: number; length: number };

function mutate(b: Buffer, m: Mutation): Buffer {
  const at = Math.min(m.at, b.length);
  switch (m.op) {
    case 'truncate':
      return b.subarray(0, at);
    case 'flip': {
      if (b.length === 0) return b;
      const c = Buffer.from(b);
      c[at % b.length]! ^= m.mask;
      return c;
    }
    case 'insert':
      return Buffer.concat([b.subarray(0, at), Buffer.from(m.text), b.subarray(at)]);
    case 'delete':
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + m.length))]);
  }
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat({ max: 4096 }) }),
  fc.record({ op: fc.constant('flip' as const), at: fc.nat({ max: 4096 }), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat({ max: 4096 }), text: fc.constantFrom(...META) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat({ max: 4096 }), length: fc.integer({ min: 1, max: 64 }) }),
);

/** Parts whose every value of the right form is a valid secret: a change that keeps the form cannot be told from the value made. */
const FORM_ONLY: Readonly<Record<string, (text: string) => boolean>> = {
  'psk/n/hex/value': (t) => /^[0-9a-f]{64}$/.test(t),
  'psk/n/b64/value': (t) => Buffer.from(t, 'base64').length === 32 && Buffer.from(t, 'base64').toString('base64') === t,
};

describe('seeded random damage to any file of the store (fast-check)', () => {
  it('is refused naming the file, or is no damage at all; the store is never rewritten', async () => {
    const files = [...pristine.keys()].filter((k) => pristine.get(k)!.length > 0 && /\/(private|public|value|hash|key|cert|fingerprint|spec\.json)$/.test(k));
    expect(files).toHaveLength(SECRET_PARTS.length + SPECS.length);
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...files), mutation, async (rel, m) => {
        const before = pristine.get(rel)!;
        const after = mutate(before, m);
        if (after.equals(before)) return;
        await fs.writeFile(path.join(secrets, rel), after);
        try {
          const o = await runStore();
          const text = after.toString('utf8');
          if ('accepted' in o) {
            // Taken only when the change is not damage Overlab can see: a value of the right form
            // (random bytes), or a spec.json that lost only its check line (the form an earlier Overlab wrote).
            const undetectable = FORM_ONLY[rel]?.(text) ?? (rel.endsWith('spec.json') && before.toString().startsWith(text) && /\n$/.test(text) && !text.includes('check '));
            expect(undetectable, `${rel} ${JSON.stringify(m)} was taken`).toBe(true);
            expect(o.accepted).toEqual([]);
          } else {
            refused++;
            expectRefusalOf(o, rel);
          }
          await expectStore(new Map(pristine).set(rel, after));
        } finally {
          await restore(rel);
        }
      }),
      { seed: 20261207, numRuns: 150 },
    );
    // The property means something only if most changes were refused.
    expect(refused).toBeGreaterThan(100);
  });
});

describe('through the doors', () => {
  let project = '';
  beforeAll(async () => {
    project = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-bad-secret-door-')), 'p');
    expect(await runCli(['new', project, '--template', 'site-to-site', '--kind', 'wireguard'], { out: () => undefined, err: () => undefined })).toBe(0);
    expect(await runCli(['render', project, '--out', path.join(project, '..', 'out1')], { out: () => undefined, err: () => undefined })).toBe(0);
  });
  afterAll(() => fs.rm(path.dirname(project), { recursive: true, force: true }));

  it('overlab render and render.bundles refuse a damaged WireGuard key: exit 1, one line naming it, nothing written', async () => {
    const store = path.join(project, '.overlab', 'secrets');
    const key = (await fs.readdir(store, { recursive: true })).find((f) => f.endsWith('/private'));
    expect(key).toBeDefined();
    const file = path.join(store, key!);
    await fs.writeFile(file, (await fs.readFile(file, 'utf8')).slice(0, 20));
    const before = await snapshot(store);
    let err = '';
    const out = path.join(project, '..', 'out2');
    const code = await runCli(['render', project, '--out', out], { out: () => undefined, err: (t) => void (err += t) });
    expect(code).toBe(1);
    const lines = err.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^overlab: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a WireGuard key`));
    expect(lines[0]).toContain(`remove the folder ${path.dirname(file)}`);
    expect(err).not.toMatch(/^\s+at /m);
    await expect(fs.stat(out)).rejects.toMatchObject({ code: 'ENOENT' });

    const engine = createEngine({ registry: defaultRegistry });
    const e = await engine['render.bundles']({ dir: project, out }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).toData()).toMatchObject({ code: 'failed', message: expect.stringContaining(file) });
    await expectStoreAt(store, before);
  });
});

async function expectStoreAt(root: string, expected: Map<string, Buffer>): Promise<void> {
  const now = await snapshot(root);
  expect([...now.keys()]).toEqual([...expected.keys()]);
  for (const [k, v] of expected) expect(now.get(k)!.equals(v), `${k} changed`).toBe(true);
}
