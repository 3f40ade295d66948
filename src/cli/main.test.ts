import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../shared/schema.js';
import { runCli, type Io } from './main.js';

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function cli(...argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t) };
  const code = await runCli(argv, io);
  return { code, out, err };
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');
const noStackTrace = (r: Run): void => {
  for (const l of lines(r.out + r.err)) expect(l).not.toMatch(/^\s+at /);
};

const BROKEN = `schemaVersion: 5
name: broken
shape: mesh
hosts:
  - name: a
  - name: Bad
  - name: a
links:
  - { a: a, b: ghost, kind: clean }
  - { a: a, b: a, kind: clean, mtu: 100 }
`;
/** The (path, code) pairs BROKEN must produce, one line each. */
const BROKEN_PROBLEMS = [
  ['hosts[1].name', 'invalid-format'],
  ['hosts[2].name', 'duplicate-host-name'],
  ['links[0].b', 'unknown-host'],
  ['links[1].b', 'self-link'],
  ['links[1].mtu', 'out-of-range'],
] as const;

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-cli-'));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function writeProject(name: string, text: string): Promise<string> {
  const dir = path.join(root, name);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'overlab.yaml'), text);
  return dir;
}

describe('overlab new', () => {
  it('creates a project that then validates, printing ok:', async () => {
    const dir = path.join(root, 'p');
    const made = await cli('new', dir, '--template', 'hub-spoke', '--hosts', '5', '--kind', 'clean');
    expect(made).toMatchObject({ code: 0, err: '' });
    expect(made.out).toContain(path.join(dir, 'overlab.yaml'));
    const checked = await cli('validate', dir);
    expect(checked.code).toBe(0);
    expect(checked.err).toBe('');
    expect(checked.out).toMatch(/^ok: .*hub-spoke, 5 hosts, 4 links/);
  });

  it('defaults to a site-to-site of two hosts', async () => {
    const dir = path.join(root, 'p');
    expect((await cli('new', dir)).code).toBe(0);
    expect((await cli('validate', dir)).out).toMatch(/^ok: .*site-to-site, 2 hosts, 1 links/);
  });

  it('prints machine-readable counts with --json', async () => {
    const r = await cli('new', path.join(root, 'p'), '--template', 'mesh', '--hosts', '4', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ hosts: 4, links: 6 });
  });

  it('refuses to overwrite a project without --force and keeps it, and overwrites with it', async () => {
    const dir = path.join(root, 'p');
    await cli('new', dir, '--template', 'mesh', '--hosts', '3');
    const before = await fs.readFile(path.join(dir, 'overlab.yaml'), 'utf8');
    const again = await cli('new', dir, '--template', 'mesh', '--hosts', '4');
    expect(again.code).toBe(1);
    expect(again.err).toContain('--force');
    expect(await fs.readFile(path.join(dir, 'overlab.yaml'), 'utf8')).toBe(before);
    expect((await cli('new', dir, '--template', 'mesh', '--hosts', '4', '--force')).code).toBe(0);
    expect((await cli('validate', dir)).out).toContain('4 hosts');
  });

  it('refuses a host count the template cannot take, naming --hosts first', async () => {
    const r = await cli('new', path.join(root, 'p'), '--template', 'site-to-site', '--hosts', '3');
    expect(r.code).toBe(1);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(/^--hosts: error: /);
    expect(existsSync(path.join(root, 'p'))).toBe(false);
  });

  it('refuses an unknown kind, naming --kind first and listing the catalogue', async () => {
    const r = await cli('new', path.join(root, 'p'), '--template', 'mesh', '--hosts', '3', '--kind', 'no-such-kind');
    expect(r.code).toBe(1);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(/^--kind: error: .*no-such-kind.*clean/);
  });

  it('puts the hosts on an IPv6 underlay with --family 6 (the lab\'s own range) or --underlay PREFIX, LANs and tunnels staying IPv4', async () => {
    const six = path.join(root, 'six');
    expect((await cli('new', six, '--template', 'hub-spoke', '--hosts', '3', '--kind', 'vxlan', '--family', '6')).code).toBe(0);
    const text = await fs.readFile(path.join(six, 'overlab.yaml'), 'utf8');
    expect(text).toContain('subnet: fdf6:15da:557d::/64');
    expect(text).toContain('lan: 198.18.16.0/24');
    const planned = await cli('plan', six, '--json');
    expect(planned.code).toBe(0);
    const p = JSON.parse(planned.out) as { family: number; hosts: { underlay: { address: string } }[]; links: { mtu: number }[] };
    expect(p.family).toBe(6);
    expect(p.hosts.map((h) => h.underlay.address)).toEqual(['fdf6:15da:557d::1', 'fdf6:15da:557d::2', 'fdf6:15da:557d::3']);
    // VXLAN over IPv6: 20 bytes more of outer header than over IPv4 (1450).
    expect(p.links.map((l) => l.mtu)).toEqual([1430, 1430]);
    const own = path.join(root, 'own');
    expect((await cli('new', own, '--underlay', 'fd12:3456:789a:1::/64')).code).toBe(0);
    expect(await fs.readFile(path.join(own, 'overlab.yaml'), 'utf8')).toContain('subnet: fd12:3456:789a:1::/64');
  });

  it.each([
    ['a subnet that is not a prefix', ['--underlay', 'fd00::1'], /^--underlay: error: .*address\/length/],
    ['a family other than the subnet\'s', ['--family', '6', '--underlay', '198.18.0.0/20'], /^overlab: --family 6 and --underlay 198\.18\.0\.0\/20 name different address families/],
    ['--underlay with an example', ['--example', 'demo', '--underlay', 'fd00::/64'], /^overlab: --underlay applies to templates only/],
  ])('refuses %s, naming the option', async (_why, extra, message) => {
    const r = await cli('new', path.join(root, 'p'), ...extra);
    expect(r.code).toBe(1);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(message);
    expect(existsSync(path.join(root, 'p'))).toBe(false);
  });

  it.each([
    ['an unknown template', ['--template', 'star']],
    ['a host count that is not a number', ['--hosts', 'many']],
    ['a negative host count', ['--hosts', '-3']],
  ])('exits 2 on %s', async (_why, extra) => {
    const r = await cli('new', path.join(root, 'p'), ...extra);
    expect(r.code).toBe(2);
    expect(r.err).not.toBe('');
    expect(existsSync(path.join(root, 'p'))).toBe(false);
    noStackTrace(r);
  });
});

describe('overlab validate', () => {
  it('prints every problem of a broken file, one per line, path first, and exits 1', async () => {
    const dir = await writeProject('broken', BROKEN);
    const r = await cli('validate', dir);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    const errs = lines(r.err).filter((l) => / error: /.test(l));
    expect(errs.map((l) => l.split(':')[0])).toEqual(BROKEN_PROBLEMS.map(([p]) => p));
    for (const l of errs) expect(l).toMatch(/\(.*overlab\.yaml:\d+:\d+\)$/);
    noStackTrace(r);
  });

  it('says a file that is not YAML is not YAML, with its line and column', async () => {
    const dir = await writeProject('garbage', 'a: [1,\n  b: {');
    const r = await cli('validate', dir);
    expect(r.code).toBe(1);
    expect(lines(r.err).length).toBeGreaterThan(0);
    for (const l of lines(r.err)) expect(l).toMatch(/^\(document\): error: this is not valid YAML: .*overlab\.yaml:2:\d+\)$/);
    noStackTrace(r);
  });

  it('reports a YAML alias to nothing as a problem, not an internal error', async () => {
    const r = await cli('validate', await writeProject('alias', 'schemaVersion: 3\nname: *nope\n'));
    expect(r.code).toBe(1);
    expect(r.err).not.toContain('internal error');
    expect(r.err).toMatch(/overlab\.yaml:2:7\)$/m);
  });

  it('says where to start when the folder has no project', async () => {
    const r = await cli('validate', path.join(root, 'nothing-here'));
    expect(r.code).toBe(1);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toContain('overlab new');
  });

  it('prints { ok: false, diagnostics } as JSON with --json', async () => {
    const r = await cli('validate', await writeProject('broken', BROKEN), '--json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as { ok: boolean; diagnostics: { code: string; path: string; line?: number; message: string }[] };
    expect(report.ok).toBe(false);
    expect(report.diagnostics.filter((d) => d.code !== 'mesh-incomplete').map((d) => [d.path, d.code])).toEqual(BROKEN_PROBLEMS.map(([p, c]) => [p, c]));
    for (const d of report.diagnostics) {
      expect(d.message).not.toBe('');
      expect(d).not.toHaveProperty('segments');
    }
  });

  it('prints { ok: true } as JSON for a valid project', async () => {
    const dir = path.join(root, 'p');
    await cli('new', dir, '--template', 'mesh', '--hosts', '3');
    const r = await cli('validate', dir, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ ok: true, fromVersion: SCHEMA_VERSION, diagnostics: [] });
  });

  it('accepts a version 1 file and says it was migrated in memory', async () => {
    const v1 = await fs.readFile(new URL('../../tests/fixtures/projects/v1/overlab.yaml', import.meta.url), 'utf8');
    const r = await cli('validate', await writeProject('old', v1));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ok: .*schema version 1, migrated in memory/);
  });

  it('prints warnings but still succeeds', async () => {
    const dir = await writeProject('partial', 'schemaVersion: 3\nname: x\nshape: mesh\nhosts: [{ name: a }, { name: b }, { name: c }]\nlinks: [{ a: a, b: b, kind: clean }]\n');
    const r = await cli('validate', dir);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^links: warning: /);
    expect(r.out).toMatch(/^ok: /);
  });
});

describe('usage', () => {
  it.each([[['--help']], [['validate', '--help']], [['new', '--help']], [['help', 'validate']]])('%j prints usage and exits 0', async (argv) => {
    const r = await cli(...argv);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Usage: overlab/);
  });

  it('lists the commands in the main help', async () => {
    const r = await cli('--help');
    for (const c of ['new', 'validate']) expect(r.out).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
  });

  it('exits 0 for --version', async () => {
    const r = await cli('--version');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    ['an unknown command', ['frobnicate']],
    ['an unknown option', ['validate', '.', '--frob']],
    ['a missing argument', ['validate']],
  ])('exits 2 on %s with a message on stderr', async (_why, argv) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/error/);
    noStackTrace(r);
  });
});

describe('the built CLI', () => {
  const repo = fileURLToPath(new URL('../..', import.meta.url));
  const built = path.join(repo, 'out', 'cli', 'overlab.mjs');
  const launcher = path.join(repo, 'bin', 'overlab.mjs');
  const spawn = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [launcher, ...args], { timeout: 15_000 }, (e, stdout, stderr) => {
        const code = e ? (typeof e.code === 'number' ? e.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });

  // The build runs before the tests in scripts/test.sh; a bare `vitest run` may have none.
  it.skipIf(!existsSync(built))('runs as a process: exit 1 and every problem on stderr for a broken project, exit 0 for a good one (skipped when out/cli/overlab.mjs is not built; run `npm run build`)', async () => {
    const dir = await writeProject('broken', BROKEN);
    const bad = await spawn(['validate', dir]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(lines(bad.stderr).filter((l) => / error: /.test(l)).map((l) => l.split(':')[0])).toEqual(BROKEN_PROBLEMS.map(([p]) => p));
    for (const l of lines(bad.stderr)) expect(l).not.toMatch(/^\s+at /);

    const good = path.join(root, 'good');
    expect((await spawn(['new', good, '--template', 'mesh', '--hosts', '3'])).code).toBe(0);
    const ok = await spawn(['validate', good]);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toMatch(/^ok: /);
  });
});

describe('overlab new --example', () => {
  it('lists the example projects, and copies one that then validates with its ids', async () => {
    const list = await cli('new', path.join(root, 'unused'), '--list-examples', '--json');
    expect(list.code).toBe(0);
    const examples = JSON.parse(list.out) as { name: string; hosts: number }[];
    expect(examples.map((e) => e.name)).toContain('demo');
    const dir = path.join(root, 'p');
    const made = await cli('new', dir, '--example', 'demo');
    expect(made).toMatchObject({ code: 0, err: '' });
    expect(made.out).toMatch(/hub-spoke, 4 hosts, 3 links of vxlan \(example demo\)/);
    const text = await fs.readFile(path.join(dir, 'overlab.yaml'), 'utf8');
    const source = await fs.readFile(new URL('../../resources/examples/demo/overlab.yaml', import.meta.url), 'utf8');
    // The same hosts, links and ids as the example.
    const ids = (t: string): string[] => [...t.matchAll(/^\s+- id: (\S+)$/gm)].map((m) => m[1]!);
    expect(ids(text)).toEqual(ids(source));
    expect(ids(text)).toHaveLength(7);
    expect((await cli('validate', dir)).code).toBe(0);
  });

  it('refuses an unknown example, naming the ones there are', async () => {
    const r = await cli('new', path.join(root, 'p'), '--example', 'no-such');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^--example: error: .*"no-such" is not an example project; use one of: .*demo/);
    expect(existsSync(path.join(root, 'p'))).toBe(false);
  });
});
