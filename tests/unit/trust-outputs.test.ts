/**
 * Where root writes because it was told to (`render --out`, `report --out/--pdf`) or reads
 * because the project says so (secrets, known_hosts on deploy), with links and foreign files
 * planted the way a local attacker would: each is refused with a message naming the path, and
 * the file a link points at is neither read nor changed. "Another user" is uid 4242 (root only).
 */
import { execFileSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { MARKER } from '../../src/engine/safe-fs.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const root = process.getuid?.() === 0;
const OTHER = 4242;
const SECRET = 'root:$6$the-machines-own-secret:19000:0:99999:7:::\n';
const engine = createEngine({ registry: defaultRegistry });
let tmp = '';
let dir = '';
let secretFile = '';
let runId = '';

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-trust-out-'));
  await fs.mkdir(path.join(tmp, 'vault'), { mode: 0o700 });
  secretFile = path.join(tmp, 'vault', 'shadow');
  await fs.writeFile(secretFile, SECRET, { mode: 0o600 });
  dir = path.join(tmp, 'p');
  await engine['project.create']({ dir, template: 'hub-spoke', hosts: 3, kind: 'wireguard' });
  const fixture = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../fixtures/results/hub3/results.json'), 'utf8')) as { runId: string };
  runId = fixture.runId;
  await fs.mkdir(path.join(dir, 'runs', runId), { recursive: true });
  await fs.writeFile(path.join(dir, 'runs', runId, 'results.json'), JSON.stringify(fixture));
});
afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

const untouched = async (): Promise<void> => expect(await fs.readFile(secretFile, 'utf8')).toBe(SECRET);

describe('render --out', () => {
  it('writes each host folder with a marker, and replaces its own folders on the next render', async () => {
    const out = path.join(tmp, 'bundles');
    await engine['render.bundles']({ dir, out });
    expect((await fs.readdir(path.join(out, 'hub'))).sort()).toEqual([MARKER, 'down.sh', 'files', 'up.sh']);
    await fs.writeFile(path.join(out, 'hub', 'stale'), 'from before');
    await engine['render.bundles']({ dir, out });
    expect(await fs.readdir(path.join(out, 'hub'))).not.toContain('stale');
  });

  it('does not remove a folder it did not make, nor one a link points at', async () => {
    const out = path.join(tmp, 'bundles-theirs');
    const precious = path.join(tmp, 'precious');
    await fs.mkdir(precious);
    await fs.writeFile(path.join(precious, 'thesis.tex'), 'years of work');
    await fs.mkdir(out);
    await fs.symlink(precious, path.join(out, 'hub'));
    await expect(engine['render.bundles']({ dir, out })).rejects.toThrow(`${path.join(out, 'hub')} is a symbolic link`);
    expect(await fs.readdir(precious)).toEqual(['thesis.tex']);

    await fs.rm(path.join(out, 'hub'));
    await fs.mkdir(path.join(out, 'hub'));
    await fs.writeFile(path.join(out, 'hub', 'notes.txt'), 'mine');
    await expect(engine['render.bundles']({ dir, out })).rejects.toThrow(`${path.join(out, 'hub')} exists and was not written by overlab render`);
    expect(await fs.readFile(path.join(out, 'hub', 'notes.txt'), 'utf8')).toBe('mine');
  });
});

describe('report --out', () => {
  it('writes a new file, replaces a report of its own, and refuses any other file at that name', async () => {
    const file = path.join(tmp, 'report.csv');
    await engine['report.pdf']({ dir, format: 'csv', file });
    const first = await fs.readFile(file, 'utf8');
    expect(first.startsWith('run_id,')).toBe(true);
    await engine['report.pdf']({ dir, format: 'csv', file });

    const mine = path.join(tmp, 'data.csv');
    await fs.writeFile(mine, 'a,b\n1,2\n');
    await expect(engine['report.pdf']({ dir, format: 'csv', file: mine })).rejects.toThrow(`${mine} exists and was not written by Overlab`);
    expect(await fs.readFile(mine, 'utf8')).toBe('a,b\n1,2\n');

    const json = path.join(tmp, 'r.json');
    await engine['report.pdf']({ dir, format: 'json', file: json });
    await engine['report.pdf']({ dir, format: 'json', file: json });
    await expect(engine['report.pdf']({ dir, format: 'json', file: mine })).rejects.toThrow('was not written by Overlab');
  });

  it('never writes through a link at the report’s name', async () => {
    const link = path.join(tmp, 'evil.json');
    await fs.symlink(secretFile, link);
    await expect(engine['report.pdf']({ dir, format: 'json', file: link })).rejects.toThrow(`${link} is a symbolic link`);
    await untouched();
  });

  it.skipIf(!root)('never writes into a folder another user owns, nor through their link', async () => {
    const theirs = path.join(tmp, 'theirs');
    await fs.mkdir(theirs);
    await fs.chown(theirs, OTHER, OTHER);
    await expect(engine['report.pdf']({ dir, format: 'json', file: path.join(theirs, 'r.json') })).rejects.toThrow(`${theirs} is owned by uid ${OTHER}`);
    await fs.symlink(path.dirname(secretFile), path.join(tmp, 'via'));
    execFileSync('chown', ['-h', `${OTHER}:${OTHER}`, path.join(tmp, 'via')]);
    await expect(engine['report.pdf']({ dir, format: 'json', file: path.join(tmp, 'via', 'r.json') })).rejects.toThrow(`${path.join(tmp, 'via')} is a symbolic link made by uid ${OTHER}`);
    expect(await fs.readdir(path.dirname(secretFile))).toEqual(['shadow']);
  });
});

describe('the project’s own files', () => {
  it('refuses a secret that is a link, rather than deploying what it points at', async () => {
    const other = path.join(tmp, 'p2');
    await engine['project.create']({ dir: other, template: 'site-to-site', hosts: 2, kind: 'wireguard' });
    await engine['render.bundles']({ dir: other, out: path.join(tmp, 'b2') });
    const secrets = path.join(other, '.overlab', 'secrets');
    const find = async (d: string): Promise<string> => {
      for (const e of await fs.readdir(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) {
          const f = await find(p).catch(() => '');
          if (f) return f;
        } else if (e.name === 'private') return p;
      }
      throw new Error('no private key in the store');
    };
    const key = await find(secrets);
    await fs.rm(key);
    await fs.symlink(secretFile, key);
    await expect(engine['render.bundles']({ dir: other, out: path.join(tmp, 'b2') })).rejects.toThrow(`${key} is a symbolic link`);
    expect(JSON.stringify(await fs.readdir(path.join(tmp, 'b2'), { recursive: true }))).not.toContain('shadow');
    await untouched();
  });

  it('refuses an overlab.yaml that is a link, naming it', async () => {
    const other = path.join(tmp, 'p3');
    await fs.mkdir(other);
    await fs.symlink(path.join(dir, 'overlab.yaml'), path.join(other, 'overlab.yaml'));
    const snap = await engine['project.open']({ dir: other });
    expect(snap.topology).toBeUndefined();
    expect(snap.diagnostics.map((d) => d.message).join('\n')).toContain(`${path.join(other, 'overlab.yaml')} is a symbolic link`);
  });
});
